"""NN518 metric-total-not-reset: true positives and the near misses it must skip."""

from __future__ import annotations

from tests.helpers import assert_findings

HEADER = """
import numpy as np
import torch
import torch.nn as nn

model = nn.Linear(4, 2)
opt = torch.optim.SGD(model.parameters(), lr=0.1)
crit = nn.CrossEntropyLoss()


def step(x, y):
    opt.zero_grad()
    out = model(x)
    loss = crit(out, y)
    loss.backward()
    opt.step()
    return out, loss
"""


def check(body: str) -> None:
    assert_findings(HEADER + body, "NN518")


def test_batch_count_kept_over_epochs_divides_a_reset_sum() -> None:
    check("""
def train(loader, epochs):
    batch_count = 0
    for epoch in range(epochs):
        loss_sum = 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = crit(model(x), y)
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            batch_count += 1
        print(epoch, loss_sum / batch_count)  # expect: NN518
""")


def test_list_of_batch_accuracies_averaged_every_epoch() -> None:
    check("""
accs = []
for epoch in range(10):
    for x, y in loader:
        out, _ = step(x, y)
        accs.append((out.argmax(1) == y).float().mean().item())
    epoch_acc = np.mean(accs)  # expect: NN518
    print(epoch, epoch_acc)
""")


def test_correct_count_not_reset_divided_by_the_set_size() -> None:
    check("""
def fit(loader, n_epochs):
    correct = 0
    for e in range(n_epochs):
        for x, y in loader:
            opt.zero_grad()
            out = model(x)
            crit(out, y).backward()
            opt.step()
            correct += (out.argmax(1) == y).sum().item()
        print(e, float(correct) / len(loader.dataset))  # expect: NN518
""")


def test_validation_list_kept_across_epochs_through_a_tensor_mean() -> None:
    check("""
val_losses = []
for epoch in range(10):
    for x, y in train_loader:
        step(x, y)
    with torch.no_grad():
        for x, y in val_loader:
            val_losses.append(crit(model(x), y).item())
    print(torch.tensor(val_losses).mean())  # expect: NN518
""")


def test_totals_reset_at_the_start_of_each_epoch_are_fine() -> None:
    check("""
for epoch in range(10):
    correct, seen, accs = 0, 0, []
    for x, y in loader:
        out, _ = step(x, y)
        correct += (out.argmax(1) == y).sum().item()
        seen += y.size(0)
        accs.append(correct / seen)
    print(correct / seen, np.mean(accs))
""")


def test_reset_after_the_report_or_under_a_condition_is_fine() -> None:
    check("""
running = 0.0
history = []
for epoch in range(10):
    for i, (x, y) in enumerate(loader):
        _, loss = step(x, y)
        running += loss.item()
        history.append(loss.item())
        if i % 100 == 99:
            print(running / 100)
            running = 0.0
    print(np.mean(history))
    history.clear()
""")


def test_two_totals_over_the_whole_run_make_a_run_mean() -> None:
    check("""
total_loss, total_batches = 0.0, 0
for epoch in range(10):
    for x, y in loader:
        _, loss = step(x, y)
        total_loss += loss.item()
        total_batches += 1
    print("mean over the run so far", total_loss / total_batches)
""")


def test_slices_plots_and_step_counters_are_fine() -> None:
    check("""
losses = []
global_step = 0
for epoch in range(10):
    for x, y in loader:
        _, loss = step(x, y)
        losses.append(loss.item())
        global_step += 1
    writer.add_scalar("loss", np.mean(losses[-len(loader):]), global_step)
    plt.plot(losses)
""")


def test_totals_read_only_after_training_are_fine() -> None:
    check("""
correct, seen = 0, 0
for epoch in range(10):
    for x, y in loader:
        out, _ = step(x, y)
        correct += (out.argmax(1) == y).sum().item()
print(correct / len(loader.dataset) / 10)
""")


def test_a_loop_over_folds_that_is_not_an_epoch_loop_is_fine() -> None:
    check("""
scores = []
for fold, (train_idx, val_idx) in enumerate(kfold.split(X)):
    for x in range(3):
        scores.append(evaluate(x))
    print(fold, np.mean(scores))
""")


def test_a_loop_over_folds_around_whole_trainings_is_fine() -> None:
    check("""
fold_scores = []
for fold in range(5):
    for epoch in range(10):
        for x, y in loader:
            step(x, y)
        fold_scores.append(evaluate(model))
    print(fold, np.mean(fold_scores))
""")


def test_a_bounded_window_or_a_carried_in_total_is_not_a_running_total() -> None:
    check("""
from collections import deque

def train(loader, epochs, seen):
    recent = deque(maxlen=10)
    for epoch in range(epochs):
        for x, y in loader:
            _, loss = step(x, y)
            recent.append(loss.item())
            seen += 1
        print(np.mean(recent), 1.0 / seen)
""")
