"""Errors raised by the runtime shim (framework-free)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lintnn.diagnostics import Diagnostic


@dataclass(frozen=True)
class Origin:
    """Where a non-finite value first appeared.

    ``phase`` is ``"input"``, ``"forward"`` or ``"backward"``; ``module`` is the dotted
    path from ``named_modules()`` (``""`` for the root) or the flax module path; ``op``
    the framework operator (``aten.log``, ``log``); ``source`` the user ``file:line``.
    """

    phase: str
    module: str | None = None
    op: str | None = None
    source: str | None = None
    parameters_nonfinite: bool = False
    detail: str | None = None

    def describe(self) -> str:
        where = {"input": "in the input batch", "forward": "in the forward pass",
                 "backward": "in the backward pass"}.get(self.phase, self.phase)
        parts = [f"first non-finite value {where}"]
        if self.module is not None:
            parts.append(f"module {self.module!r}" if self.module else "module <root>")
        if self.op:
            parts.append(f"op {self.op}")
        if self.source:
            parts.append(f"at {self.source}")
        text = ", ".join(parts)
        text += (
            "; parameters were already non-finite before this step"
            if self.parameters_nonfinite
            else "; parameters were finite before this step"
        )
        if self.detail:
            text += f" ({self.detail})"
        return text


class NonFiniteError(FloatingPointError):
    """A NaN or Inf appeared; ``.origin`` says where it was first produced and
    ``.diagnostic`` is the NR20x finding for it (the same for PyTorch and JAX)."""

    def __init__(self, origin: Origin, message: str | None = None,
                 diagnostic: Diagnostic | None = None) -> None:
        self.origin = origin
        self.diagnostic = diagnostic
        super().__init__(message or origin.describe())
