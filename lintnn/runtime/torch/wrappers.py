"""See through the wrappers training code puts around a model and an optimizer.

``torch.compile`` returns an ``OptimizedModule`` (parameters named ``_orig_mod.*``),
``DistributedDataParallel``/``DataParallel`` hold the model as ``.module``; transformers'
accelerate and Lightning wrap the optimizer (``.optimizer``, ``._optimizer``). Findings
name modules as the user wrote them: without those prefixes.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

_DATA_PARALLEL = (nn.parallel.DistributedDataParallel, nn.DataParallel)


def _compiled(model: nn.Module) -> bool:
    return type(model).__name__ == "OptimizedModule" and hasattr(model, "_orig_mod")


def unwrap_model(model: nn.Module) -> nn.Module:
    """The user's module inside ``torch.compile``, DDP and DataParallel wrappers."""
    while True:
        if _compiled(model):
            model = model._orig_mod
        elif isinstance(model, _DATA_PARALLEL):
            model = model.module
        else:
            return model


def is_compiled(model: nn.Module) -> bool:
    """True when ``model`` (or the module a DDP wrapper holds) went through torch.compile."""
    while True:
        if _compiled(model):
            return True
        if isinstance(model, _DATA_PARALLEL):
            model = model.module
        else:
            return False


def unwrap_optimizer(optimizer: Any) -> torch.optim.Optimizer:
    """The ``torch.optim.Optimizer`` inside accelerate's or Lightning's wrapper (accelerate's
    subclasses ``Optimizer`` without its hooks: the inner one steps the parameters)."""
    for _ in range(5):
        inner = getattr(optimizer, "optimizer", None) or getattr(optimizer, "_optimizer", None)
        if inner is None or inner is optimizer:
            break
        optimizer = inner
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"expected a torch.optim.Optimizer, got {type(optimizer).__name__}")
    return optimizer
