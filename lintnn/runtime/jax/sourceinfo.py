"""Where a jaxpr equation came from: flax module path, transforms and user source line.

This is the one module that touches jax internals (``source_info_util``); every access
has a fallback so that a jax upgrade degrades the messages, not the checks.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

try:  # internal API: keep all uses in this module
    from jax._src import source_info_util as _siu
except ImportError:  # pragma: no cover - depends on the jax version
    _siu = None

_LIBRARY_PARTS = (f"{os.sep}jax{os.sep}", f"{os.sep}jaxlib{os.sep}", f"{os.sep}flax{os.sep}",
                  f"{os.sep}optax{os.sep}", f"{os.sep}lintnn{os.sep}runtime{os.sep}",
                  f"{os.sep}lintnn{os.sep}jax.py")
_WRAPPED = re.compile(r"^(\w+)\((.*)\)$")


@dataclass(frozen=True)
class Where:
    """Module scopes and transforms of an equation, outermost first."""

    scopes: tuple[str, ...] = ()
    transforms: tuple[str, ...] = ()

    def __add__(self, inner: Where) -> Where:
        return Where(self.scopes + inner.scopes, self.transforms + inner.transforms)

    @property
    def backward(self) -> bool:
        """True for equations of a transpose (the backward pass of ``grad``/``vjp``)."""
        return "transpose" in self.transforms

    def module(self, roots: frozenset[str] = frozenset()) -> str:
        """Flax module path (``head/fc``); drops the root module's class name."""
        scopes = self.scopes[1:] if self.scopes and self.scopes[0] in roots else self.scopes
        return "/".join(scopes)


def where(eqn: Any) -> Where:
    """Scopes and transforms from ``eqn.source_info.name_stack``."""
    stack = getattr(getattr(eqn, "source_info", None), "name_stack", None)
    if stack is None:
        return Where()
    items = getattr(stack, "stack", None)
    if items is not None:
        scopes, transforms = [], []
        for item in items:
            name = str(getattr(item, "name", item))
            if type(item).__name__ == "Transform":
                transforms.append(name)
            else:
                scopes.append(name)
        return Where(tuple(scopes), tuple(transforms))
    return _parse(str(stack))


def _parse(text: str) -> Where:
    """Fallback: parse ``transpose(jvp(M))/head/fc``."""
    scopes, transforms = [], []
    for part in filter(None, text.split("/")):
        while (m := _WRAPPED.match(part)) is not None:
            transforms.append(m.group(1))
            part = m.group(2)
        if part:
            scopes.append(part)
    return Where(tuple(scopes), tuple(transforms))


def _is_user_file(path: str) -> bool:
    return not any(part in path for part in _LIBRARY_PARTS) and "site-packages" not in path


def user_source(eqn: Any) -> str | None:
    """``file:line`` of the innermost frame outside jax, flax, optax and lintnn."""
    tb = getattr(getattr(eqn, "source_info", None), "traceback", None)
    if tb is None or _siu is None:
        return None
    try:
        frames = list(_siu.user_frames(tb))
    except Exception:  # pragma: no cover - internal API changed
        return None
    for frame in frames:
        if _is_user_file(frame.file_name):
            return f"{frame.file_name}:{frame.start_line}"
    return None


def in_batch_norm(eqn: Any) -> bool:
    """True for an equation of flax's ``BatchNorm`` (linen or nnx): its batch statistics
    mix the rows of a batch by design, as torch's BatchNorm does in training mode."""
    tb = getattr(getattr(eqn, "source_info", None), "traceback", None)
    try:
        frames = tb.frames if tb is not None else ()
    except Exception:  # pragma: no cover - internal API changed
        return False
    return any(f.function_name.startswith("BatchNorm.") and f"{os.sep}flax{os.sep}" in
               f.file_name for f in frames)
