"""Module paths for flax nnx models.

flax linen puts each module's name on jax's name stack; nnx does not, so every equation
of an nnx model would read as the root module. While a check traces an nnx model, each
submodule's ``__call__`` runs inside ``jax.named_scope`` of its attribute path (``head``,
``layers/0``), the way linen names its scopes. The classes' ``__call__`` are wrapped for
the duration of the trace and restored in ``finally`` (as ``nnx.capture`` does for its own
method outputs); nothing is changed when no nnx model is involved.
"""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any

import jax

from lintnn.runtime.jax.trees import bound_parameters, unwrap


def _roots(nnx: Any, objects: tuple[Any, ...]) -> list[Any]:
    """The nnx modules among ``objects``: the function itself, what it wraps or binds
    (``functools.partial``, a bound method), and its arguments."""
    found: list[Any] = []
    for obj in objects:
        chain = list(unwrap(obj)) if callable(obj) else [obj]
        for item in [*chain, *bound_parameters(obj)] if callable(obj) else chain:
            owner = getattr(item, "__self__", item)
            leaves = jax.tree_util.tree_leaves(owner, is_leaf=lambda x: isinstance(x, nnx.Module))
            found += [m for m in [owner, *leaves] if isinstance(m, nnx.Module)]
    return list({id(m): m for m in found}.values())


@contextlib.contextmanager
def nnx_scopes(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[None]:
    """Trace ``fn(*args, **kwargs)`` inside this block to get nnx module paths."""
    nnx = sys.modules.get("flax.nnx")
    roots = _roots(nnx, (fn, *args, *kwargs.values())) if nnx is not None else []
    paths: dict[int, tuple[str, ...]] = {}
    owners: dict[type, Any] = {}
    for root in roots:
        for path, module in nnx.iter_modules(root):
            paths.setdefault(id(module), tuple(str(p) for p in path))
            owner = next((c for c in type(module).__mro__ if "__call__" in c.__dict__), None)
            if owner is not None and owner is not object:
                owners.setdefault(owner, owner.__dict__["__call__"])
    active: list[tuple[str, ...]] = []

    def scoped(original: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(original)
        def call(self: Any, *a: Any, **k: Any) -> Any:
            path = paths.get(id(self))
            if not path:  # the root, or a module of no checked model
                return original(self, *a, **k)
            parent = active[-1] if active else ()
            inner = path[len(parent):] if path[:len(parent)] == parent else path
            active.append(path)
            try:
                with jax.named_scope("/".join(inner)):
                    return original(self, *a, **k)
            finally:
                active.pop()

        return call

    for owner, original in owners.items():
        owner.__call__ = scoped(original)
    try:
        yield
    finally:
        for owner, original in owners.items():
            owner.__call__ = original
