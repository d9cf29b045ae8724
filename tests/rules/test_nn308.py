"""NN308 model-selected-on-test-data."""

from __future__ import annotations

from tests.helpers import assert_findings

LOOP = """
import copy
import torch
from tensorflow import keras

def train_one_epoch(model, loader, optimizer):
    for x, y in loader:
        optimizer.zero_grad()
        model(x).sum().backward()
        optimizer.step()
"""


def test_nn308_positives() -> None:
    assert_findings(LOOP + """
def best_checkpoint(model, optimizer, train_loader, test_loader, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        acc = evaluate(model, test_loader)
        if acc > best:  # expect: NN308
            best = acc
            torch.save(model.state_dict(), "best.pt")

def early_stopping(model, optimizer, loader, test_loss_of):
    best_loss, bad = float("inf"), 0
    for epoch in range(100):
        train_one_epoch(model, loader, optimizer)
        test_loss = test_loss_of(model)
        if test_loss >= best_loss:  # expect: NN308
            bad += 1
            if bad > 5:
                break
        else:
            best_loss = test_loss

def copied(model, optimizer, loader, test_acc_of):
    best_acc, best_model = 0, None
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer)
        holdout_acc = test_acc_of(model)
        if holdout_acc > best_acc:  # expect: NN308
            best_model_state = copy.deepcopy(model.state_dict())

def plateau(model, optimizer, loader, evaluate, test_loader):
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    for epoch in range(10):
        train_one_epoch(model, loader, optimizer)
        test_loss = evaluate(model, test_loader)
        scheduler.step(test_loss)  # expect: NN308

callbacks = [keras.callbacks.ModelCheckpoint("best.keras", save_best_only=True)]
model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=callbacks)  # expect: NN308

best_acc = 0

def test(epoch):
    global best_acc
    correct = total = 0
    for inputs, targets in testloader:
        correct += (net(inputs).argmax(1) == targets).sum().item()
        total += targets.size(0)
    acc = 100. * correct / total
    if acc > best_acc:  # expect: NN308
        torch.save(net.state_dict(), "ckpt.pth")
        best_acc = acc

for epoch in range(200):
    train_one_epoch(net, trainloader, optimizer)
    test(epoch)
""", "NN308")


def test_nn308_negatives() -> None:
    """Validation data selects (the right way); a test score printed, logged or computed
    after training selects nothing; a comparison that keeps nothing is harmless."""
    assert_findings(LOOP + """
def on_validation(model, optimizer, train_loader, val_loader, test_loader, evaluate):
    best = 0.0
    for epoch in range(10):
        train_one_epoch(model, train_loader, optimizer)
        val_acc = evaluate(model, val_loader)
        test_acc = evaluate(model, test_loader)
        print(test_acc)
        if val_acc > best:
            best = val_acc
            torch.save(model.state_dict(), "best.pt")
        if test_acc > 0.99:
            print("suspiciously good")
    final = evaluate(model, test_loader)
    if final > best:
        torch.save(model.state_dict(), "final.pt")

def no_training_loop(models, test_loader, evaluate):
    best = 0.0
    for model in models:
        acc = evaluate(model, test_loader)
        if acc > best:
            best_model = model

model.fit(x_train, y_train, validation_data=(x_val, y_val),
          callbacks=[keras.callbacks.EarlyStopping(patience=3)])
model.fit(x_train, y_train, validation_data=(x_test, y_test))
stop_on_training_loss = keras.callbacks.EarlyStopping(monitor="loss", patience=10)
model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=[stop_on_training_loss])

def test(epoch):
    acc = evaluate(net, testloader)
    if acc > 0.5:
        torch.save(net.state_dict(), "ckpt.pth")
""", "NN308")
