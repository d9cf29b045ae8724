"""``%time`` / ``%timeit`` line magics: the statement they run is the notebook's own code."""

from __future__ import annotations

import json
from pathlib import Path

from lintnn.config import Settings
from lintnn.static.engine.run import Engine

MODEL = """import torch
import torch.nn as nn
import torch.nn.functional as F


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.seq = nn.Sequential(nn.Linear(20, 2), nn.LogSoftmax(dim=-1))

    def forward(self, x):
        return self.seq(x)
"""
TRAIN = """def train(model, optimizer, criterion, loader):
    for xb, yb in loader:
        loss = criterion(model(xb), yb)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
"""
SETUP = """model = MLP()
optimizer = torch.optim.Adam(model.parameters())
criterion = nn.CrossEntropyLoss()
"""


def _findings(tmp_path: Path, cells: list[str], code: str) -> list[tuple[int | None, int]]:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                     "outputs": [], "source": c} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "nb.ipynb"
    path.write_text(json.dumps(nb), encoding="utf-8")
    engine = Engine(Settings(select=[code], root=tmp_path), use_cache=False, jobs=1)
    found = engine.check_paths([path]).diagnostics
    return sorted((d.cell, d.extra["cell_location"]["row"]) for d in found if d.code == code)


def test_a_call_behind_time_is_a_call_site(tmp_path: Path) -> None:
    """``%time train(model, ...)`` is the only call of ``train``: its arguments reach the
    loss inside (``MLP`` ends in a log-softmax, the criterion is cross-entropy)."""
    cells = [MODEL, TRAIN, SETUP, "%time train(model, optimizer, criterion, loader)\n"]
    assert _findings(tmp_path, cells, "NN102") == [(2, 3)]


def test_an_assignment_behind_time_binds_the_name(tmp_path: Path) -> None:
    cells = [MODEL, "%time out = F.log_softmax(logits, dim=1)\n",
             "loss = F.cross_entropy(out, y)\n"]
    assert _findings(tmp_path, cells, "NN102") == [(3, 1)]


def test_an_assignment_behind_timeit_binds_nothing(tmp_path: Path) -> None:
    """``%timeit`` runs its statement in a function of its own: ``out`` keeps the logits
    of the cell before, and the loss is right."""
    cells = [MODEL, "out = logits_of(x)\n",
             "%timeit -n 10 -r 3 out = F.log_softmax(logits, dim=1)\n",
             "loss = F.cross_entropy(out, y)\n"]
    assert _findings(tmp_path, cells, "NN102") == []


def test_an_expression_behind_timeit_is_one_call_site(tmp_path: Path) -> None:
    """Run many times, still one call: with NLLLoss the log-probabilities are right."""
    cells = [MODEL, TRAIN, "model = MLP()\n",
             "%timeit -n 2 train(model, torch.optim.Adam(model.parameters()), "
             "nn.NLLLoss(), loader)\n"]
    assert _findings(tmp_path, cells, "NN102") == []
