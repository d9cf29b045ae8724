"""Round 3 of the corpus: NN509 over written-out cases, NN505 at the clip in a helper,
NN510 with a project's loss scaler."""

from __future__ import annotations

from tests.helpers import assert_findings

# NN509 ---------------------------------------------------------------------------------


def test_nn509_one_seed_per_written_out_split_is_fine() -> None:
    assert_findings("""
import jax

def get_datasets(sizes):
    out = {}
    for split in ("train", "test"):
        key = jax.random.PRNGKey(42)
        order = jax.random.permutation(key, sizes[split])
        out[split] = order
    for name in ["a", "b", "c"]:
        noise = jax.random.normal(key, (3,))
    return out
""", "NN509")


def test_nn509_a_step_loop_around_written_out_cases_still_reuses_the_key() -> None:
    assert_findings("""
import jax

key = jax.random.PRNGKey(0)
for step in range(100):
    for part in ("x", "y"):
        noise = jax.random.normal(key, (3,))  # expect: NN509
""", "NN509")


def test_nn509_a_loop_over_a_variable_or_range_still_fires() -> None:
    assert_findings("""
import jax

def run(splits):
    for split in splits:
        key = jax.random.PRNGKey(42)  # expect: NN509
        order = jax.random.permutation(key, 10)
    for step in range(3):
        k = jax.random.PRNGKey(0)  # expect: NN509
        x = jax.random.normal(k, (2,))
    for item in [*splits]:
        k2 = jax.random.PRNGKey(1)  # expect: NN509
        y = jax.random.normal(k2, (2,))
""", "NN509")


# NN505 ---------------------------------------------------------------------------------


def test_nn505_clip_before_backward_in_a_helper_is_reported_at_the_clip() -> None:
    found = assert_findings("""
import torch.nn as nn

def train(model, optim, x, t):
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(x), t)
    nn.utils.clip_grad_norm(model.parameters(), 5)  # expect: NN505
    loss.backward()
    optim.step()
    return loss.item()

def main(model, optim, batches):
    for x, t in batches:
        train(model, optim, x, t)
    for x, t in batches:
        train(model, optim, x, t)
""", "NN505")
    assert "after zero_grad() and before backward()" in found[0].message


def test_nn505_a_helper_that_clips_in_place_is_fine() -> None:
    assert_findings("""
import torch.nn as nn

def train(model, optim, x, t):
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(x), t)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5)
    optim.step()

for x, t in batches:
    train(model, optim, x, t)
""", "NN505")


def test_nn505_a_helper_clipping_after_the_loop_s_own_step_is_reported_at_its_call() -> None:
    found = assert_findings("""
import torch.nn as nn

def clip(model):
    nn.utils.clip_grad_norm_(model.parameters(), 5)

for x, t in batches:
    optimizer.zero_grad()
    nn.functional.cross_entropy(model(x), t).backward()
    optimizer.step()
    clip(model)  # expect: NN505
""", "NN505")
    assert "after optimizer.step()" in found[0].message


# NN510 ---------------------------------------------------------------------------------


def test_nn510_a_project_loss_scaler_passed_in_is_a_grad_scaler() -> None:
    assert_findings("""
import torch

def train_one_epoch(model, criterion, loader, optimizer, loss_scaler, use_amp=False):
    for samples, targets in loader:
        if use_amp:
            with torch.cuda.amp.autocast():
                loss = criterion(model(samples), targets)
            loss_scaler(loss, optimizer, parameters=model.parameters())
        else:
            loss = criterion(model(samples), targets)
            loss.backward()
            optimizer.step()
""", "NN510")


def test_nn510_a_data_scaler_or_a_scaler_class_is_not_a_loss_scaler() -> None:
    assert_findings("""
import torch
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler()
x = scaler.fit_transform(x)
helper = MinMaxScaler(feature_range=(0, 1))

for samples, targets in loader:
    optimizer.zero_grad()
    with torch.cuda.amp.autocast():  # expect: NN510
        loss = criterion(model(samples), targets)
    loss.backward()
    optimizer.step()
""", "NN510")
