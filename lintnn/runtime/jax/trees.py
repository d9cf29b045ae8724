"""Pytree helpers shared by the JAX checks: finiteness, parameter leaves, flax roots."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np


def is_float_array(x: Any) -> bool:
    """An array (or abstract value) with an inexact dtype."""
    dtype = getattr(x, "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.inexact)


def _nan_or_zero(x: jax.Array) -> jax.Array:
    """``x - x``: exactly +0 where ``x`` is finite, NaN at NaN and +-Inf, so sums of it
    never overflow. (``x * 0`` reads the same, but XLA:CPU rewrites a reduction of it into
    a dot against a materialised zero array: 1.6x-3x the time of this form.)"""
    return x - x


def all_finite(tree: Any) -> jax.Array:
    """One boolean: every inexact leaf of ``tree`` is finite (traceable, fuses under jit).

    Leaves of one shape and dtype are summed elementwise (as ``x - x``) before a single
    reduction, and the per-group sums are added before a single ``isfinite``: on CPU each
    reduction is its own memory pass and its own dispatched kernel.
    """
    groups: dict[tuple[Any, Any], jax.Array] = {}
    for x in jax.tree_util.tree_leaves(tree):
        if is_float_array(x) and x.size:
            key = (x.shape, x.dtype)
            z = _nan_or_zero(x)
            groups[key] = groups[key] + z if key in groups else z
    total = [jnp.sum(z).astype(jnp.float32) if jnp.issubdtype(z.dtype, jnp.floating)
             else jnp.sum(jnp.real(z) + jnp.imag(z)).astype(jnp.float32)
             for z in groups.values()]
    return jnp.isfinite(functools.reduce(jnp.add, total, jnp.float32(0)))


def nonfinite_paths(tree: Any, prefix: str = "") -> list[str]:
    """Paths (``params/head/fc/kernel``) of inexact leaves holding a NaN or Inf."""
    bad = []
    for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
        if is_float_array(leaf) and not bool(np.isfinite(np.asarray(leaf)).all()):
            bad.append(prefix + path_str(path))
    return bad


def nan_paths(tree: Any, prefix: str = "") -> list[str]:
    """Paths of inexact leaves holding a NaN (an Inf alone does not count)."""
    return [prefix + path_str(path) for path, leaf in jax.tree_util.tree_leaves_with_path(tree)
            if is_float_array(leaf) and bool(np.isnan(np.asarray(leaf)).any())]


def path_str(path: tuple[Any, ...]) -> str:
    """``('params', 'head', 'fc', 'kernel')`` style key path as ``params/head/fc/kernel``."""
    parts = []
    for key in path:
        for attr in ("key", "name", "idx"):
            if hasattr(key, attr):
                parts.append(str(getattr(key, attr)))
                break
        else:
            parts.append(str(key))
    return "/".join(parts)


def unwrap(fn: Callable[..., Any]) -> Iterator[Callable[..., Any]]:
    """``fn`` and what it wraps: partials, ``jax.jit`` and ``functools.wraps`` chains."""
    seen = 0
    while fn is not None and seen < 16:
        yield fn
        seen += 1
        fn = getattr(fn, "func", None) or getattr(fn, "__wrapped__", None)


def bound_parameters(fn: Callable[..., Any]) -> list[Any]:
    """Arguments bound by ``functools.partial`` (``partial(model.apply, params)``)."""
    bound: list[Any] = []
    for f in unwrap(fn):
        if isinstance(f, functools.partial):
            bound.extend(f.args)
            bound.extend(f.keywords.values())
    return bound


def flax_root_names() -> frozenset[str]:
    """Class names of every flax ``linen.Module`` subclass (the root scope of a name stack)."""
    linen = sys.modules.get("flax.linen")
    if linen is None:
        return frozenset()
    names, todo = set(), [linen.Module]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            if sub.__name__ not in names:
                names.add(sub.__name__)
                todo.append(sub)
    return frozenset(names)


_DYNAMIC = (jax.Array, np.ndarray, np.generic, float, complex)


def is_dynamic(leaf: Any) -> bool:
    """Leaves traced as arrays; the others (ints, bools, strings) stay Python values."""
    return isinstance(leaf, _DYNAMIC)


def bind_static(fn: Callable[..., Any], leaves: list[Any], treedef: Any,
                mask: list[bool] | tuple[bool, ...]) -> Callable[..., Any]:
    """``fn`` as a function of the leaves where ``mask`` is true; the rest are baked in."""
    kept = [None if dynamic else leaf for leaf, dynamic in zip(leaves, mask, strict=True)]

    def flat(*dyn: Any) -> Any:
        it = iter(dyn)
        rebuilt = [next(it) if dynamic else leaf for leaf, dynamic in zip(kept, mask, strict=True)]
        args, kwargs = jax.tree_util.tree_unflatten(treedef, rebuilt)
        return fn(*args, **kwargs)

    return flat
