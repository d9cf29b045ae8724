"""Train a copy of the user's model the way the health checks do (framework: torch).

``copy_with_optimizer`` copies the model together with the user's optimizer, so the copy
trains with its param groups, hyperparameters and state; ``fit`` runs the steps.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lintnn.runtime.torch.inputs import Inputs


def call_loss(loss_fn: Callable[..., Any], out: Any, target: Any) -> torch.Tensor:
    return loss_fn(out, target) if target is not None else loss_fn(out)


def copy_with_optimizer(model: nn.Module, optimizer: Any
                        ) -> tuple[nn.Module, torch.optim.Optimizer]:
    """A deep copy of ``model`` and an optimizer over the copy's parameters.

    A user's optimizer is deep-copied together with the model, so the copy keeps its param
    groups (a parameter left out stays out), hyperparameters and state; the user's
    optimizer is not touched. A function ``params -> optimizer`` gets every parameter.
    """
    if isinstance(optimizer, torch.optim.Optimizer):
        memo: dict[int, Any] = {}
        work = copy.deepcopy(model, memo)
        try:
            return work, copy.deepcopy(optimizer, memo)
        except Exception:  # an optimizer that cannot be copied: rebuilt from its groups
            copies = {id(p): memo[id(p)] if id(p) in memo else copy.deepcopy(p, memo)
                      for g in optimizer.param_groups for p in g["params"]}
            groups = [{**g, "params": [copies[id(p)] for p in g["params"]]}
                      for g in optimizer.param_groups]
            return work, type(optimizer)(groups, **optimizer.defaults)
    work = copy.deepcopy(model)
    if optimizer is None:
        return work, torch.optim.Adam(work.parameters(), lr=3e-3)
    return work, optimizer(work.parameters())


def fit(work: nn.Module, opt: torch.optim.Optimizer, inp: Inputs, target: Any,
        loss_fn: Callable, steps: int) -> list[float]:
    """The loss before each of ``steps`` optimizer steps on one batch (dropout off after
    the first, as in the overfit run)."""
    curve = []
    for step in range(steps):
        opt.zero_grad()
        loss = call_loss(loss_fn, inp.call(work), target)
        curve.append(float(loss.detach()))
        loss.backward()
        opt.step()
        if step == 0:
            for m in work.modules():
                if isinstance(m, nn.modules.dropout._DropoutNd):
                    m.eval()
    return curve
