"""NN513: a sum (or mean) of per-batch mean losses divided again by the batch size."""

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
    assert_findings(HEADER + body, "NN513")


def test_sum_of_batch_means_divided_by_the_batch_size_constant() -> None:
    check("""
BATCH_SIZE = 10
train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
for epoch in range(5):
    total_loss = 0
    for x, y in train_loader:
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        total_loss += loss.item()
    average = total_loss / BATCH_SIZE  # expect: NN513
    print(total_loss / BATCH_SIZE)
""")


def test_mean_of_batch_means_divided_again_by_the_batch_size() -> None:
    check("""
SIZE = 32
loader = DataLoader(train_set, SIZE, shuffle=True)
for epoch in range(5):
    running = 0.0
    batches = 0
    for x, y in loader:
        loss = crit(model(x), y)
        running = running + loss.item()
        batches = batches + 1
        if batches % 100 == 0:
            print((running / batches) / SIZE)  # expect: NN513
""")


def test_the_loader_batch_size_attribute_and_a_sum_of_two_mean_losses() -> None:
    check("""
def train(loader, d, g, d_opt):
    criterion = nn.BCEWithLogitsLoss(reduction="mean")
    batch_size = loader.batch_size
    for epoch in range(10):
        epoch_loss = 0.0
        for x in loader:
            real = criterion(d(x), torch.ones(len(x)))
            fake = criterion(d(g(x)), torch.zeros(len(x)))
            loss = real + fake
            loss.backward()
            d_opt.step()
            epoch_loss += loss.item()
        print(epoch_loss / batch_size)  # expect: NN513
        print(epoch_loss / loader.batch_size)
""")


def test_batches_so_far_times_the_literal_batch_size() -> None:
    check("""
loader = DataLoader(train_set, batch_size=64, shuffle=True)
for epoch in range(3):
    train_loss = 0
    for i, (x, y) in enumerate(loader):
        loss = crit(model(x), y)
        loss.backward()
        opt.step()
        train_loss += loss
        if i % 100 == 10:
            print(train_loss / ((i + 1) * 64))  # expect: NN513
""")


def test_correct_normalisations_are_fine() -> None:
    check("""
BATCH_SIZE = 16
loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
summed = nn.CrossEntropyLoss(reduction="sum")
for epoch in range(3):
    a = b = c = d = 0.0
    for i, (x, y) in enumerate(loader):
        out = model(x)
        a += summed(out, y).item()
        b += crit(out, y).item() * x.size(0)
        c += crit(out, y).item()
        d += (out.argmax(1) == y).sum().item()
    print(a / BATCH_SIZE, b / BATCH_SIZE, c / (i + 1), d / BATCH_SIZE)
    print(c / len(loader), c / (len(loader) * 1.0))
""")


def test_a_window_of_batches_restarted_in_the_loop_is_left_alone() -> None:
    # ``running_loss`` restarts every 16 batches: the division may mean the window
    check("""
BATCH_SIZE = 16
loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
for epoch in range(3):
    running_loss = 0.0
    for i, (x, y) in enumerate(loader):
        running_loss += crit(model(x), y).item()
        if i % BATCH_SIZE == BATCH_SIZE - 1:
            print(running_loss / BATCH_SIZE)
            running_loss = 0.0
""")


def test_sizes_that_are_not_the_batch_size_of_the_iterated_loader() -> None:
    check("""
BATCH_SIZE = 16
EVAL_BATCH = 64
other = DataLoader(val_set, batch_size=EVAL_BATCH)
loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
n_batches = 64
for epoch in range(3):
    total = 0.0
    for x, y in loader:
        total += crit(model(x), y).item()
    print(total / EVAL_BATCH, total / other.batch_size, total / 16, total / n_batches)
    step = 8
    step = 16
    print(total / step)
    total2 = 0.0
    for x, y in loader:
        total2 += crit(model(x), y).item()
        total2 += 1.0
    print(total2 / BATCH_SIZE)
""")
