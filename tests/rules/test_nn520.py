"""NN520: a per-batch loss total divided by the last index of ``enumerate``."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import torch
import torch.nn as nn
from tqdm import tqdm

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
criterion = nn.CrossEntropyLoss()
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN520")


def test_known_loss_and_backpropagated_loss_divided_by_the_last_index() -> None:
    check("""
def mixed(out, a, b, lam):
    return lam * criterion(out, a) + (1 - lam) * criterion(out, b)


def train(loader):
    train_loss = 0
    for batch_idx, (x, a, b, lam) in enumerate(loader):
        loss = mixed(model(x), a, b, lam)
        train_loss += loss.data[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
    return train_loss / batch_idx  # expect: NN520


def test(loader):
    test_loss = 0.0
    for i, (x, y) in tqdm(enumerate(loader), total=len(loader)):
        with torch.no_grad():
            test_loss = test_loss + criterion(model(x), y).item()
    test_loss /= i  # expect: NN520
    return test_loss
""")


def test_correct_counts_are_fine() -> None:
    check("""
def train(loader):
    a = b = c = 0.0
    for batch_idx, (x, y) in enumerate(loader):
        a += criterion(model(x), y).item()
    for step, (x, y) in enumerate(loader, 1):
        b += criterion(model(x), y).item()
    for k, (x, y) in enumerate(loader, start=1):
        c += criterion(model(x), y).item()
    return a / (batch_idx + 1), b / step, c / k
""")


def test_loops_that_skip_or_stop_early_and_other_quantities_are_left_alone() -> None:
    check("""
def warm(loader):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        if i > 0:
            total += criterion(model(x), y).item()
    return total / i


def capped(loader, limit):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        if i == limit:
            break
        total += criterion(model(x), y).item()
    return total / i


def skipping(loader):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        if x is None:
            continue
        total += criterion(model(x), y).item()
    return total / i


def variance(values, mean):
    squares = 0.0
    for i, v in enumerate(values):
        squares += (v - mean) ** 2
    return squares / i


def rebound(loader, other):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        total += criterion(model(x), y).item()
    for i, z in enumerate(other):
        pass
    return total / i


def two_totals(loader):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        total += criterion(model(x), y).item()
        total += 0.1
    return total / i


def inside(loader):
    total = 0.0
    for i, (x, y) in enumerate(loader):
        total += criterion(model(x), y).item()
        if i:
            print(total / i)
""")
