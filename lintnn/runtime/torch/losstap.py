"""Hear the training loss without touching the user's loop.

PyTorch has no hook for "backward was called on this tensor", so while at least one
listener is registered, ``torch.autograd.backward`` (which ``Tensor.backward`` calls) and
``GradScaler.scale``/``GradScaler.update`` are wrapped; the originals are put back when the
last listener leaves. Under a ``GradScaler`` the listener hears the unscaled loss (the
argument of ``scale``), never the scaled tensor, and ``skipped`` when ``update`` follows
an iteration whose optimizer step the scaler skipped (inf/NaN gradients of fp16: not a bug).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import torch
from torch.amp import GradScaler


class Listener:
    """What a loss tap tells: each loss tensor, and each ``GradScaler.update``."""

    def on_loss(self, loss: torch.Tensor) -> None: ...

    def on_scaler_update(self) -> None: ...


_listeners: list[Listener] = []
_originals: dict[str, Any] = {}
_scaled: dict[int, weakref.ref] = {}  # id -> tensor made by GradScaler.scale


def _scalar(t: Any) -> bool:
    return isinstance(t, torch.Tensor) and t.numel() == 1 and t.is_floating_point()


def _backward(tensors: Any, *args: Any, **kwargs: Any) -> Any:
    loss = tensors[0] if isinstance(tensors, (tuple, list)) and len(tensors) == 1 else tensors
    if _scalar(loss):
        ref = _scaled.pop(id(loss), None)
        if ref is None or ref() is not loss:  # a scaled loss was heard unscaled already
            for listener in list(_listeners):
                listener.on_loss(loss.detach())
    return _originals["backward"](tensors, *args, **kwargs)


def _scale(self: GradScaler, outputs: Any) -> Any:
    result = _originals["scale"](self, outputs)
    if _scalar(outputs) and _scalar(result):
        for listener in list(_listeners):
            listener.on_loss(outputs.detach())
        _scaled.clear()  # only the latest scaled loss is pending
        _scaled[id(result)] = weakref.ref(result)
    return result


def _update(self: GradScaler, *args: Any, **kwargs: Any) -> Any:
    for listener in list(_listeners):
        listener.on_scaler_update()
    return _originals["update"](self, *args, **kwargs)


_WRAPPERS: dict[str, tuple[Any, str, Callable[..., Any]]] = {
    "backward": (torch.autograd, "backward", _backward),
    "scale": (GradScaler, "scale", _scale),
    "update": (GradScaler, "update", _update),
}


def listen(listener: Listener) -> Callable[[], None]:
    """Register ``listener``; returns the function that unregisters it (idempotent)."""
    if not _listeners:
        for key, (owner, attr, wrapper) in _WRAPPERS.items():
            current = getattr(owner, attr)
            if current is not wrapper:  # still installed if another wrapper sits above it
                _originals[key] = current
                setattr(owner, attr, wrapper)
    _listeners.append(listener)

    def remove() -> None:
        if listener not in _listeners:
            return
        _listeners.remove(listener)
        if not _listeners:
            for key, (owner, attr, wrapper) in _WRAPPERS.items():
                if getattr(owner, attr) is wrapper:  # a wrapper put above ours stays
                    setattr(owner, attr, _originals[key])
            _scaled.clear()

    return remove


def active() -> int:
    """How many listeners are registered (tests check that every one is removed)."""
    return len(_listeners)
