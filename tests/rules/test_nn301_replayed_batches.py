"""NN301: the batches of one pass of a training loader kept and replayed on every epoch
(``list(loader)`` before the epoch loop, ``itertools.cycle(loader)``)."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import itertools
import random
from itertools import cycle

import torch
from torch.utils.data import DataLoader
from tqdm import tqdm

train_loader = DataLoader(train_set, batch_size=64, shuffle=True)
val_loader = DataLoader(val_set, batch_size=64)
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN301")


def test_batches_listed_once_before_the_epoch_loop() -> None:
    check("""
def fit(model, opt, loader, num_epochs):
    batches = list(loader)  # expect: NN301
    val_batches = list(val_loader)
    for epoch in range(num_epochs):
        pbar = tqdm(batches, desc=f"epoch {epoch}")
        for x, y in pbar:
            opt.zero_grad()
            model(x).sum().backward()
            opt.step()
        for x, y in val_batches:
            model(x)


def fit_steps(state, train_loader, epochs):
    train_batches = list(train_loader)  # expect: NN301
    for epoch in range(epochs):
        for i, batch in enumerate(train_batches):
            state = train_step(state, batch)
    return state
""")


def test_lists_made_per_epoch_reordered_or_walked_once_are_fine() -> None:
    check("""
def per_epoch(model, opt, loader, num_epochs):
    for epoch in range(num_epochs):
        batches = list(loader)
        for x, y in batches:
            model(x).sum().backward()
            opt.step()


def reshuffled(model, opt, loader, num_epochs):
    batches = list(loader)
    for epoch in range(num_epochs):
        random.shuffle(batches)
        for x, y in batches:
            model(x).sum().backward()
            opt.step()


def one_pass(model, opt, loader):
    batches = list(loader)
    for x, y in batches:
        model(x).sum().backward()
        opt.step()


def validation(model, opt, num_epochs):
    val_batches = list(val_loader)
    for epoch in range(num_epochs):
        for x, y in val_batches:
            model(x)


def phases(model, opt, loader):
    batches = list(loader)
    for phase in ("warmup", "main"):
        for x, y in batches:
            model(x).sum().backward()
            opt.step()


def probe(model, opt, num_epochs):
    x, y = next(iter(train_loader))
    shape = x.shape
    for epoch in range(num_epochs):
        for x, y in train_loader:
            model(x).sum().backward()
            opt.step()
""")


def test_a_cycled_loader_feeding_a_training_loop() -> None:
    check("""
def train(model, opt, max_iter):
    train_iterator = cycle(iter(train_loader))  # expect: NN301
    valid_iterator = cycle(iter(val_loader))
    for t in range(max_iter):
        x, y = next(train_iterator)
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
        if t % 10 == 0:
            model(next(valid_iterator)[0])


def train_epochs(model, opt, epochs):
    it = itertools.cycle(train_loader)  # expect: NN301
    for epoch in range(epochs):
        for _ in range(len(train_loader)):
            x, y = next(it)
            model(x).sum().backward()
            opt.step()


def zipped(model, opt, unlabeled_loader, labeled_loader):
    for epoch in range(10):
        for (xl, yl), (xu, _) in zip(cycle(labeled_loader), unlabeled_loader):  # expect: NN301
            model(xl).sum().backward()
            opt.step()
""")


def test_cycles_that_never_replay_or_do_not_train_are_fine() -> None:
    check("""
def within_one_pass(model, opt):
    it = cycle(train_loader)
    for step in range(len(train_loader) // 2):
        x, y = next(it)
        model(x).sum().backward()
        opt.step()


def per_epoch(model, opt, epochs):
    for epoch in range(epochs):
        it = cycle(train_loader)
        for _ in range(len(train_loader)):
            x, y = next(it)
            model(x).sum().backward()
            opt.step()


def looked_at(model, steps):
    it = cycle(train_loader)
    for step in range(steps):
        x, y = next(it)
        print(model(x).mean())


def restarting(loader):
    while True:
        yield from loader


def by_generator(model, opt, steps):
    it = restarting(train_loader)
    for step in range(steps):
        x, y = next(it)
        model(x).sum().backward()
        opt.step()


def colors(model, opt, steps):
    palette = cycle(["red", "blue"])
    for step in range(steps):
        color = next(palette)
        model(color).sum().backward()
        opt.step()
""")


BATCHING = """
import numpy as np

rng = np.random.default_rng(0)
"""


def test_data_permuted_once_then_sliced_in_the_same_order_every_epoch() -> None:
    assert_findings(BATCHING + """
perm = rng.permutation(len(X_train))
X_train, y_train = X_train[perm], y_train[perm]
for epoch in range(20):
    for i in range(0, len(X_train), 128):  # expect: NN301
        loss = loss_fn(model(X_train[i:i + 128]), y_train[i:i + 128])
        loss.backward()
        optimizer.step()


def load(images, labels):
    order = np.random.permutation(len(images))
    return images[order], labels[order]


def train(model, optimizer, num_epochs):
    x_train, y_train = load(images, labels)
    n_batches = len(x_train) // 32
    for epoch in range(num_epochs):
        for b in range(n_batches):  # expect: NN301
            xb = x_train[b * 32:(b + 1) * 32]
            loss = loss_fn(model(xb), y_train[b * 32:(b + 1) * 32])
            loss.backward()
            optimizer.step()
""", "NN301")


def test_permutations_that_may_run_every_epoch_are_fine() -> None:
    assert_findings(BATCHING + """
def shuffled(X, y):
    order = rng.permutation(len(X))
    return X[order], y[order]


for epoch in range(20):
    X_train, y_train = shuffled(X_train, y_train)
    for i in range(0, len(X_train), 128):
        loss_fn(model(X_train[i:i + 128]), y_train[i:i + 128]).backward()
        optimizer.step()
""", "NN301")
    assert_findings(BATCHING + """
perm = rng.permutation(len(X_train))
for epoch in range(20):
    np.random.shuffle(perm)
    for i in range(0, len(X_train), 128):
        loss_fn(model(X_train[i:i + 128]), y_train[i:i + 128]).backward()
        optimizer.step()
""", "NN301")
    assert_findings(BATCHING + """
perms = [rng.permutation(len(X_train)) for _ in range(20)]
for epoch in range(20):
    X_epoch = X_train[perms[epoch]]
    for i in range(0, len(X_train), 128):
        loss_fn(model(X_epoch[i:i + 128]), y_train[i:i + 128]).backward()
        optimizer.step()
""", "NN301")
    assert_findings(BATCHING + """
def reorder(X):
    return X[rng.permutation(len(X))]


hooks = [reorder]
for epoch in range(20):
    for i in range(0, len(X_train), 128):
        loss_fn(model(X_train[i:i + 128]), y_train[i:i + 128]).backward()
        optimizer.step()
""", "NN301")
    assert_findings(BATCHING + """
perm = rng.permutation(len(X_train))
X_train = X_train[perm]
for i in range(0, len(X_train), 128):
    loss_fn(model(X_train[i:i + 128]), y_train[i:i + 128]).backward()
    optimizer.step()
""", "NN301")
