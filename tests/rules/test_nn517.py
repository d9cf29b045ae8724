"""NN517 metric-from-last-batch: true positives and the near misses it must skip."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import torch
import torch.nn as nn
from torch.utils.data import DataLoader

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.CrossEntropyLoss()
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN517")


def test_loss_of_the_last_batch_returned_next_to_a_total() -> None:
    check("""
def test(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            correct += (out.argmax(1) == y).sum().item()
    return correct, loss.item()  # expect: NN517
""")


def test_validation_loss_printed_and_recorded_after_the_loop() -> None:
    check("""
history = []
for epoch in range(10):
    model.train()
    for x, y in train_loader:
        opt.zero_grad()
        crit(model(x), y).backward()
        opt.step()
    model.eval()
    total = 0
    for x, y in val_loader:
        val_loss = crit(model(x), y).item()
        total += y.size(0)
    print(epoch, val_loss)  # expect: NN517
    history.append(val_loss)
""")


def test_losses_averaged_over_the_loop_are_fine() -> None:
    check("""
def validate(model, loader):
    model.eval()
    total_loss, correct = 0.0, 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            total_loss += loss.item() * x.size(0)
            correct += (out.argmax(1) == y).sum().item()
    return total_loss / len(loader.dataset), correct
""")


def test_training_loops_and_loops_without_totals_are_not_flagged() -> None:
    check("""
running = 0.0
for x, y in train_loader:
    opt.zero_grad()
    loss = crit(model(x), y)
    loss.backward()
    opt.step()
    running += loss.item()
print(loss.item())

for x, y in val_loader:
    val_loss = crit(model(x), y)
print(val_loss)
""")


def test_one_batch_loaders_and_conditional_losses_are_fine() -> None:
    check("""
full_loader = DataLoader(val_set, batch_size=len(val_set))
correct = 0
for x, y in full_loader:
    out = model(x)
    loss = crit(out, y)
    correct += (out.argmax(1) == y).sum().item()
print(loss.item(), correct)

seen = 0
for i, (x, y) in enumerate(val_loader):
    seen += 1
    if i == 0:
        first = crit(model(x), y)
print(first)

count = 0
for x, y in val_loader:
    loss = crit(model(x), y)
    count += 1
loss = 0.0
print(loss)
""")


def test_a_validation_loss_per_epoch_is_not_a_batch_loss() -> None:
    check("""
epochs_run = 0
for epoch in range(20):
    train_one_epoch(model, train_loader, opt)
    val_loss = crit(model(x_val), y_val)
    epochs_run += 1
print("final validation loss", val_loss.item())

runs = 0
for i in range(20):
    trainer.fit(model)
    val_loss = crit(model(x_val), y_val)
    runs += 1
print(val_loss)
""")


def test_a_loss_name_bound_again_after_the_loop_is_that_new_value() -> None:
    check("""
class Trainer:
    def test(self, loader):
        total, seen = 0.0, 0
        for x, y in loader:
            loss = crit(model(x), y)
            total += loss.item()
            seen += 1
        loss = total / seen
        return {"test-loss": loss}


def evaluate(loader):
    total = 0.0
    for x, y in loader:
        loss = crit(model(x), y)
        total += loss.item()
    print(loss.item())  # expect: NN517
    loss = total / len(loader)
    return loss
""")


def test_a_loss_stored_in_a_saved_checkpoint_is_bookkeeping() -> None:
    check("""
def validate(model, loader, path):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            correct += (out.argmax(1) == y).sum().item()
    torch.save({"model_state_dict": model.state_dict(), "loss": loss}, path)


def validate_item(model, loader, path):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            correct += (out.argmax(1) == y).sum().item()
    state = {"model_state_dict": model.state_dict(), "loss": loss.item()}
    torch.save(state, path)
    return correct
""")


def test_a_loss_saved_and_also_reported_or_kept_in_an_unsaved_dict_is_flagged() -> None:
    check("""
def validate(model, loader, path):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            correct += (out.argmax(1) == y).sum().item()
    torch.save({"model_state_dict": model.state_dict(), "loss": loss}, path)
    print(correct, loss.item())  # expect: NN517


def evaluate(model, loader):
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            out = model(x)
            loss = crit(out, y)
            correct += (out.argmax(1) == y).sum().item()
    metrics = {"accuracy": correct, "loss": loss.item()}  # expect: NN517
    return metrics
""")
