"""A small, learnable classification task and the plain training loop the monitor tests run.

The task: 10 features, 4 classes given by a fixed random linear map (a small MLP learns it
in a few hundred steps). ``train`` is the user's own loop, unchanged by the monitor; the
``at`` hooks inject a symptom at a given step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

FEATURES, CLASSES = 10, 4


def make_model(hidden: int = 32, seed: int = 0) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(FEATURES, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                         nn.ReLU(), nn.Linear(hidden, CLASSES))


class Task:
    """Batches of the task from a fixed generator: the same run every time."""

    def __init__(self, seed: int = 0, batch: int = 32) -> None:
        self.gen = torch.Generator().manual_seed(seed)
        self.map = torch.randn(FEATURES, CLASSES, generator=torch.Generator().manual_seed(99))
        self.batch = batch

    def draw(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.randn(n or self.batch, FEATURES, generator=self.gen)
        return x, (x @ self.map).argmax(1)


def train(model: nn.Module, opt: torch.optim.Optimizer, steps: int, task: Task | None = None,
          at: dict[int, Callable[[], Any]] | None = None,
          labels: Callable[[int, torch.Tensor], torch.Tensor] | None = None,
          scheduler: Any = None, loss_fn: Callable[..., torch.Tensor] | None = None) -> None:
    """The plain loop: ``at[step]()`` runs before that step, ``labels(step, y)`` may
    replace a batch's labels."""
    task = task or Task()
    loss_fn = loss_fn or nn.functional.cross_entropy
    for step in range(steps):
        if at and step in at:
            at[step]()
        x, y = task.draw()
        if labels is not None:
            y = labels(step, y)
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if scheduler is not None:
            scheduler.step()
