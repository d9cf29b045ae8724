"""Snapshot a model and the global RNG, and put everything back exactly in ``finally``."""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
    "_backward_hooks",
    "_backward_pre_hooks",
    "_state_dict_hooks",
    "_state_dict_pre_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)


@contextlib.contextmanager
def preserved_rng() -> Iterator[None]:
    """Restore the global CPU and CUDA generator states on exit."""
    cpu = torch.get_rng_state()
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_initialized() else None
    try:
        yield
    finally:
        torch.set_rng_state(cpu)
        if cuda is not None:
            torch.cuda.set_rng_state_all(cuda)


class ModelState:
    """What a check may disturb: tensors (values and identity), modes, hooks, flags."""

    def __init__(self, model: nn.Module, copy_params: bool = True) -> None:
        self.model = model
        self.modules = list(model.modules())
        self.training = [m.training for m in self.modules]
        self.hooks = [
            {name: OrderedDict(getattr(m, name)) for name in _HOOK_DICTS if hasattr(m, name)}
            for m in self.modules
        ]
        self.param_dicts = [OrderedDict(m._parameters) for m in self.modules]
        self.buffer_dicts = [OrderedDict(m._buffers) for m in self.modules]
        self.params: list[tuple[nn.Parameter, bool, Any, torch.Tensor | None, Any]] = []
        for p in {id(p): p for d in self.param_dicts for p in d.values() if p is not None}.values():
            value = p.detach().clone() if copy_params and not p.is_meta else None
            grad = p.grad
            grad_value = grad.detach().clone() if grad is not None and not grad.is_meta else None
            self.params.append((p, p.requires_grad, value, grad, grad_value))
        self.buffers = [
            (b, b.detach().clone())
            for b in {id(b): b for d in self.buffer_dicts for b in d.values()
                      if b is not None}.values()
            if not b.is_meta
        ]

    @torch.no_grad()
    def restore(self) -> None:
        for m, training, hooks, params, buffers in zip(
            self.modules, self.training, self.hooks, self.param_dicts, self.buffer_dicts,
            strict=True,
        ):
            m.training = training
            for name, saved in hooks.items():
                current = getattr(m, name)
                current.clear()
                current.update(saved)
            m._parameters.clear()
            m._parameters.update(params)
            m._buffers.clear()
            m._buffers.update(buffers)
        for p, requires_grad, value, grad, grad_value in self.params:
            if value is not None:
                p.copy_(value)
            if grad is not None and grad_value is not None:
                grad.copy_(grad_value)
            p.grad = grad
            p.requires_grad_(requires_grad)
        for b, value in self.buffers:
            b.copy_(value)


@contextlib.contextmanager
def preserved(model: nn.Module, copy_params: bool = True) -> Iterator[ModelState]:
    """Leave ``model`` and the RNG exactly as found, also when the body raises.

    ``copy_params=False`` skips copying parameter values, for checks that never write them
    (a forward pass cannot; buffers, gradients, modes, hooks and RNG are still restored).
    """
    state = ModelState(model, copy_params=copy_params)
    with preserved_rng():
        try:
            yield state
        finally:
            state.restore()
