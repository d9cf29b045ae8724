"""What the runtime attaches to the user's objects, and taking all of it off again."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol


class Removable(Protocol):
    """A hook handle (``torch.utils.hooks.RemovableHandle`` and its kin)."""

    def remove(self) -> None: ...


class Attachments:
    """Hook handles and undo callbacks, taken off together, the latest first.

    The runtime promises to leave the model exactly as it found it: whatever a check
    attaches goes through one of these, and ``remove_all()`` runs in its ``close``/``__exit__``.
    """

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []

    def hook(self, handle: Removable) -> None:
        """Keep a handle returned by ``register_*_hook``, to remove it later."""
        self._undo.append(handle.remove)

    def hooks(self, handles: Iterable[Removable]) -> None:
        for handle in handles:
            self.hook(handle)

    def on_remove(self, undo: Callable[[], None]) -> None:
        """Run ``undo`` when everything is taken off (a listener to drop, say)."""
        self._undo.append(undo)

    def remove_all(self) -> None:
        """Take everything off, the latest first; safe to call twice."""
        while self._undo:
            self._undo.pop()()

    def __len__(self) -> int:
        return len(self._undo)
