"""A small PyTorch training script with the optimization-loop mistakes lintnn finds.

Run ``lintnn check examples/`` to see them.
"""

import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 3))

    def forward(self, x):
        return self.body(x)


data = TensorDataset(torch.randn(512, 20), torch.randint(0, 3, (512,)))
loader = DataLoader(data, batch_size=32, shuffle=True)
criterion = nn.CrossEntropyLoss()

model = Classifier()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=100)
model = Classifier().to("cuda")

# Warm-up epoch: mixed precision, clipping, a running loss for the log.
running = 0.0
for x, y in loader:
    optimizer.zero_grad()
    scheduler.step()
    with torch.autocast(device_type="cuda", dtype=torch.float16):
        loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.step()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    running += loss

# Main training.
for _epoch in range(10):
    for x, y in loader:
        loss = criterion(model(x.cuda()), y.cuda())
        loss.backward()
        optimizer.step()

# Fine-tuning the head.
for x, y in loader:
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()
    optimizer.zero_grad()
    optimizer.step()

# Probe of the head's gradients, meant to update it too.
for x, y in loader:
    optimizer.zero_grad()
    loss = criterion(model(x.cuda()), y.cuda())
    loss.backward()

print("done", running)


def fine_tune(model, loader):
    """Fine-tuning meant to decay the learning rate every epoch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    decay = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    for epoch in range(5):
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        print(epoch, decay.get_last_lr())


def validate(model, loader):
    """The validation loss printed after each epoch."""
    model.eval()
    total = 0.0
    with torch.no_grad():
        for x, y in loader:
            total += criterion(model(x), y).item()
    return total / len(loader.dataset)


def train_large_batches(model, loader, accumulation=8):
    """A virtual batch of 8 loader batches per optimizer step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for i, (x, y) in enumerate(loader):
        loss = criterion(model(x), y)
        loss.backward()
        if (i + 1) % accumulation == 0:
            optimizer.step()
            optimizer.zero_grad()


def test(model, loader):
    """The test loss and accuracy recorded in the history."""
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in loader:
            output = model(x)
            loss = criterion(output, y)
            correct += (output.argmax(1) == y).sum().item()
    return correct / len(loader.dataset), loss.item()


def train_with_early_stopping(model, train_loader, val_loader, patience=5):
    """Early stopping that should give back the weights of the best epoch."""
    optimizer = torch.optim.Adam(model.parameters())
    best_loss, best_state, waited = float("inf"), None, 0
    for _epoch in range(100):
        model.train()
        for x, y in train_loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()
        val_loss = validate(model, val_loader)
        if val_loss < best_loss:
            best_loss, waited = val_loss, 0
            best_state = model.state_dict()
        else:
            waited += 1
            if waited == patience:
                break
    model.load_state_dict(best_state)
    return model


def train_with_accuracy_log(model, loader, epochs=10):
    """Prints the training accuracy of every epoch."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    correct = 0
    for epoch in range(epochs):
        model.train()
        for x, y in loader:
            optimizer.zero_grad()
            output = model(x)
            criterion(output, y).backward()
            optimizer.step()
            correct += (output.argmax(1) == y).sum().item()
        print(epoch, correct / len(loader.dataset))


def train_with_step_decay(model, loader, epochs=30):
    """A learning-rate schedule written by hand: a new Adam each epoch."""
    for epoch in range(epochs):
        lr = 1e-3 * 0.5 ** (epoch // 10)
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        for x, y in loader:
            optimizer.zero_grad()
            criterion(model(x), y).backward()
            optimizer.step()


def train_one_epoch(model, loader, optimizer):
    """The epoch's mean training loss, for the history."""
    total = 0.0
    for batch_idx, (x, y) in enumerate(loader):
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / batch_idx
