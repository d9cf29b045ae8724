"""NN107 activation-before-logits-loss: a finding at every loss the activated output reaches
(training and evaluation losses alike, as NN101 does)."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import assert_findings, lint_project

MODEL = """
import torch
import torch.nn as nn

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(8, 4), nn.ReLU())

    def forward(self, x):
        return self.layers(x)

loss_fn = nn.CrossEntropyLoss()
"""


def test_training_and_evaluation_losses_are_each_reported() -> None:
    assert_findings(MODEL + """
def train_step(model, loader, optimizer):
    model.train()
    for x, y in loader:
        loss = loss_fn(model(x), y)  # expect: NN107
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

def test_step(model, loader):
    model.eval()
    total = 0.0
    with torch.inference_mode():
        for x, y in loader:
            total += loss_fn(model(x), y).item()  # expect: NN107
    return total

@torch.no_grad()
def eval_model(model, loader):
    return sum(loss_fn(model(x), y).item() for x, y in loader)  # expect: NN107

model = Net()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
for epoch in range(3):
    train_step(model, train_loader, optimizer)
    test_step(model, test_loader)
print(eval_model(model, test_loader))
""", "NN107")


def test_a_loss_outside_no_grad_is_still_reported() -> None:
    # Named as evaluation but computing gradients: not known to be a measurement only.
    assert_findings(MODEL + """
model = Net()

def validate(loader):
    return [loss_fn(model(x), y) for x, y in loader]  # expect: NN107

with torch.enable_grad():
    loss = loss_fn(model(x), y)  # expect: NN107
    loss.backward()
""", "NN107")


def test_a_no_grad_block_inside_the_training_loop_is_reported_too() -> None:
    assert_findings(MODEL + """
model = Net()
for x, y in train_loader:
    loss = loss_fn(model(x), y)  # expect: NN107
    loss.backward()
    with torch.no_grad():
        val = loss_fn(model(x_val), y_val)  # expect: NN107
""", "NN107")


_TUPLE_MODEL = """
import torch.nn as nn


class Tagger(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.GRU(8, 8, batch_first=True)
        self.fc = nn.Linear(8, 3)
        self.act = {act}

    def forward(self, x):
        out, hidden = self.rnn(x)
        return self.act(self.fc(out)), hidden
"""

_TUPLE_TRAIN = """
import torch.nn as nn
from model import Tagger

model = Tagger()
criterion = nn.{loss}()
for x, y in loader:
    pred, hidden = model(x)
    criterion(pred, y).backward()
"""


def _tuple_findings(tmp_path: Path, act: str, loss: str) -> list[int]:
    found = lint_project(tmp_path, {
        "model.py": _TUPLE_MODEL.format(act=act),
        "train.py": _TUPLE_TRAIN.format(loss=loss),
    }, select="NN107")
    return [d.location.row for d in found if d.code == "NN107"]


def test_an_activation_attribute_ending_one_part_of_another_files_tuple_output(
        tmp_path: Path) -> None:
    assert _tuple_findings(tmp_path, "nn.ReLU()", "CrossEntropyLoss") == [9]


def test_an_identity_attribute_or_log_softmax_with_nll_in_the_tuple_part_is_fine(
        tmp_path: Path) -> None:
    assert _tuple_findings(tmp_path / "a", "nn.Identity()", "CrossEntropyLoss") == []
    assert _tuple_findings(tmp_path / "b", "nn.LogSoftmax(dim=-1)", "NLLLoss") == []


def test_an_activation_on_the_other_part_of_the_tuple_is_fine(tmp_path: Path) -> None:
    found = lint_project(tmp_path, {
        "model.py": _TUPLE_MODEL.format(act="nn.ReLU()").replace(
            "return self.act(self.fc(out)), hidden", "return self.fc(out), self.act(hidden)"),
        "train.py": _TUPLE_TRAIN.format(loss="CrossEntropyLoss"),
    }, select="NN107")
    assert [d for d in found if d.code == "NN107"] == []
