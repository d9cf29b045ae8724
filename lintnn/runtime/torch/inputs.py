"""Model inputs in the three accepted forms: a tensor, a tuple of tensors, a kwargs dict."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn
from torch.utils import _pytree as pytree


@dataclass
class Inputs:
    """Positional and keyword inputs with a name for each (for messages and ``dims=``)."""

    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)
    arg_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, model: nn.Module, inputs: Any) -> Inputs:
        if isinstance(inputs, dict):
            return cls((), dict(inputs), ())
        args = inputs if isinstance(inputs, tuple) else (inputs,)  # a list is one argument
        return cls(args, {}, positional_names(model, len(args)))

    def named(self) -> dict[str, Any]:
        """Every input by name, positional ones first."""
        return {**dict(zip(self.arg_names, self.args, strict=True)), **self.kwargs}

    def replace(self, named: dict[str, Any]) -> Inputs:
        """The same structure with values taken from ``named``."""
        args = tuple(named[n] for n in self.arg_names)
        kwargs = {k: named[k] for k in self.kwargs}
        return Inputs(args, kwargs, self.arg_names)

    def map(self, fn: Callable[[torch.Tensor], Any]) -> Inputs:
        return self.replace({k: map_tensors(fn, v) for k, v in self.named().items()})

    def call(self, model: Callable[..., Any]) -> Any:
        return model(*self.args, **self.kwargs)

    def tensors(self) -> dict[str, torch.Tensor]:
        return {k: v for k, v in self.named().items() if isinstance(v, torch.Tensor)}


def positional_names(model: nn.Module, count: int) -> tuple[str, ...]:
    try:
        params = [
            p.name
            for p in inspect.signature(model.forward).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    names = params[:count] + [f"arg{i}" for i in range(len(params), count)]
    return tuple(names)


def map_tensors(fn: Callable[[torch.Tensor], Any], obj: Any) -> Any:
    return pytree.tree_map_only(torch.Tensor, fn, obj)


def tensor_leaves(obj: Any) -> list[torch.Tensor]:
    """All tensors in a nested output (tuples, dicts, transformers ``ModelOutput``)."""
    if isinstance(obj, torch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return [t for v in obj.values() for t in tensor_leaves(v)]
    if isinstance(obj, (tuple, list)):
        return [t for v in obj for t in tensor_leaves(v)]
    return [t for t in pytree.tree_leaves(obj) if isinstance(t, torch.Tensor)]


def first_tensor(obj: Any) -> torch.Tensor | None:
    """The main output: the tensor itself, or the first tensor of a tuple or ModelOutput."""
    leaves = tensor_leaves(obj)
    return leaves[0] if leaves else None


def is_float(t: torch.Tensor) -> bool:
    return t.is_floating_point() or t.is_complex()
