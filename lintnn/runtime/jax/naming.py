"""Which input dims get a name, and the prime-sized abstract inputs built from them.

Defaults: every dim of an integer array, every dim but the last of a float array; equal
real sizes share a name (so ``x`` and its mask stay compatible). Axis 0 of the first
array is ``B``. ``dims=`` overrides per argument position or keyword name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

from lintnn.runtime.dims import assign_primes
from lintnn.runtime.jax.trees import bound_parameters

_NAMES = ("B", "T", "S", "U", "V", "W", "X", "Y", "Z")
DimSpec = Sequence[str | None]


@dataclass
class Naming:
    """Dim names per array leaf of the inputs, their primes and real sizes."""

    specs: list[tuple[str | None, ...] | None]  # per leaf; None: not an array
    primes: dict[str, int]
    real: dict[str, int]

    @property
    def batch(self) -> str | None:
        return next((s[0] for s in self.specs if s and s[0] is not None), None)

    def struct(self, leaf: Any, spec: tuple[str | None, ...] | None) -> Any:
        """The abstract stand-in of one leaf: named dims take their prime."""
        if spec is None:
            return leaf
        shape = tuple(self.primes[n] if n is not None else int(s)
                      for n, s in zip(spec, leaf.shape, strict=True))
        return jax.ShapeDtypeStruct(shape, leaf.dtype)


def _is_array(leaf: Any) -> bool:
    return hasattr(leaf, "shape") and hasattr(leaf, "dtype")


def _positions(fn: Callable[..., Any], dims: Mapping[Any, DimSpec]) -> dict[Any, DimSpec]:
    """Keyword names in ``dims`` mapped to argument positions where the signature says so."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        params = []
    return {(params.index(k) if isinstance(k, str) and k in params else k): v
            for k, v in dims.items()}


def name_inputs(fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any],
                dims: Mapping[Any, DimSpec] | None, batch_only: bool = False) -> Naming:
    """Name the dims of every array in ``args``/``kwargs`` (keys: position or keyword)."""
    overrides = _positions(fn, dims or {})
    specs: list[tuple[str | None, ...] | None] = []
    real: dict[str, int] = {}
    by_size: dict[int, str] = {}
    static: list[int] = []
    for key, arg in [*enumerate(args), *kwargs.items()]:
        for leaf in jax.tree_util.tree_leaves(arg):
            if not _is_array(leaf):
                specs.append(None)
                continue
            shape = tuple(int(s) for s in leaf.shape)
            if key in overrides:
                spec = tuple(overrides[key])
                if len(spec) != len(shape):
                    raise ValueError(f"dims[{key!r}] has {len(spec)} names for shape {shape}")
            else:
                named = len(shape) if jnp.issubdtype(leaf.dtype, jnp.integer) else len(shape) - 1
                if batch_only:
                    named = min(named, 1)
                spec = tuple(_default(s, by_size) if i < named and s > 1 else None
                             for i, s in enumerate(shape))
            for n, s in zip(spec, shape, strict=True):
                if n is None:
                    static.append(s)
                else:
                    real.setdefault(n, s)
                    by_size.setdefault(s, n)
            specs.append(spec)
    for bound in bound_parameters(fn):
        static.extend(int(s) for leaf in jax.tree_util.tree_leaves(bound)
                      if _is_array(leaf) for s in leaf.shape)
    primes = assign_primes(list(real), avoid=static)
    return Naming(specs, primes, real)


def _default(size: int, by_size: dict[int, str]) -> str:
    """The name of an earlier dim of the same real size, else the next free name."""
    if size not in by_size:
        used = set(by_size.values())
        by_size[size] = next(n for n in (*_NAMES, *(f"D{i}" for i in range(99)))
                             if n not in used)
    return by_size[size]


def name_target(target: Any, naming: Naming, spec: DimSpec | None) -> list[Any]:
    """Target leaves as abstract values: dims whose real size matches a named dim take it."""
    out = []
    by_size = {s: n for n, s in reversed(list(naming.real.items()))}
    for leaf in jax.tree_util.tree_leaves(target):
        if not _is_array(leaf):
            out.append(leaf)
            continue
        leaf_spec = tuple(spec) if spec is not None else tuple(
            by_size.get(int(s)) if int(s) > 1 else None for s in leaf.shape)
        out.append(naming.struct(leaf, leaf_spec))
    return out
