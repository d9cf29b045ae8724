"""The static half of lintnn: a libcst analyzer. Imports neither torch nor jax.

libcst is imported on first use, not when a module of this package says ``import libcst``
(its import is 0.4-0.5 s, more than the rest of ``lintnn check``'s start-up): a run whose
files are all cached, gated out or free of every rule's triggers never loads it.
:func:`defer_libcst`, called by the command line (:mod:`lintnn.cli`) in its own process
only, never on import (a process that embeds lintnn, such as the user's pytest, keeps
the real module), puts a stand-in module under the name ``libcst`` that carries only what
the import system reads (``__spec__``, ``__name__``, ...); the first other attribute read,
a submodule's import included, runs libcst's own ``__init__`` in that same module object,
so every ``cst`` name bound meanwhile is the real module afterwards (``importlib``'s
``LazyLoader`` cannot be used: CPython reads ``__spec__`` on each ``import`` statement, and
that read loads a ``LazyLoader`` module). :func:`load_libcst` loads it at once (before
forking workers that will all need it).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from types import ModuleType
from typing import Any

_LOADING = threading.RLock()
_DEFERRED_PATH: dict[int, list[str]] = {}  # stand-in's id -> the __path__ it lacks until loaded
_RUNNING_IN: list[int] = []  # the thread running libcst's code, while it runs


class _DeferredModule(ModuleType):
    """A module whose code has not run yet; any attribute it lacks runs it. Another thread
    waits until it has run; libcst's own code, reading a name it has not set yet, gets the
    AttributeError of any partly imported module."""

    def __getattr__(self, name: str) -> Any:
        if _RUNNING_IN and _RUNNING_IN[0] == threading.get_ident():
            raise AttributeError(f"partially initialized module {self.__name__!r} has no "
                                 f"attribute {name!r}")
        with _LOADING:
            if type(self) is _DeferredModule:
                _run_deferred(self)
        return ModuleType.__getattribute__(self, name)


def _run_deferred(module: ModuleType) -> None:
    """Run the code of the stand-in ``module`` in it; it is a plain module afterwards."""
    spec = module.__spec__
    assert spec is not None and spec.loader is not None
    path = _DEFERRED_PATH.pop(id(module), None)
    if path is not None:
        module.__path__ = path
    _RUNNING_IN.append(threading.get_ident())
    spec._initializing = True  # type: ignore[attr-defined]  # as importlib's own load
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(spec.name, None)  # as a failed import leaves it
        raise
    finally:
        _RUNNING_IN.clear()
        # Left unset, every later import of the module (libcst's parser imports it once
        # per node it builds) asks for it, fails, and clears the error: 5-8% of a run.
        spec._initializing = False  # type: ignore[attr-defined]
    module.__class__ = ModuleType


def defer_libcst() -> None:
    """Make ``import libcst`` cheap until libcst is used (no-op if it is loaded or absent)."""
    if "libcst" in sys.modules:
        return
    spec = importlib.util.find_spec("libcst")
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    path = module.__dict__.pop("__path__", None)  # a submodule import reads it: loads first
    if path is not None:
        _DEFERRED_PATH[id(module)] = path
    module.__class__ = _DeferredModule
    sys.modules["libcst"] = module


def libcst_loaded() -> bool:
    """Whether libcst's own code has run in this process."""
    module = sys.modules.get("libcst")
    return module is not None and type(module) is not _DeferredModule


def load_libcst() -> None:
    """Run libcst's code now if it was deferred."""
    module = sys.modules.get("libcst")
    if module is not None and type(module) is _DeferredModule:
        with _LOADING:
            if type(module) is _DeferredModule:
                _run_deferred(module)
