"""``watch(fn)``: one in-step finiteness flag per call; an exact origin when it fires."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax

from lintnn.runtime.jax.cover import call_with_needed
from lintnn.runtime.jax.origin import nonfinite_error
from lintnn.runtime.jax.trees import all_finite, bind_static, is_dynamic

_EAGER = object()
_check_outputs = jax.jit(all_finite)
_TRACER = jax.core.Tracer  # looked up once: attribute access on jax.core is slow


class _Watched:
    """Caches one compiled ``(fn(...), all_finite)`` wrapper per argument structure."""

    def __init__(self, fn: Callable[..., Any], jit: bool,
                 check: Callable[[Any], Any] | None) -> None:
        self.fn = fn
        self.jit = jit
        self.check = check
        self.cache: dict[Any, Any] = {}

    def _compiled(self, treedef: Any, static: tuple[Any, ...], mask: tuple[bool, ...]) -> Any:
        it = iter(static)
        leaves = [None if dynamic else next(it) for dynamic in mask]
        call = bind_static(self.fn, leaves, treedef, mask)

        def checked(*dyn: Any) -> tuple[Any, jax.Array]:
            if self.check is None:  # every output, less those another output covers
                out, needed = call_with_needed(call, *dyn)
                return out, all_finite(needed)
            out = call(*dyn)
            return out, all_finite(self.check(out))

        return jax.jit(checked)

    def _lookup(self, treedef: Any, static: tuple[Any, ...], mask: tuple[bool, ...]) -> Any:
        """The cached compiled wrapper for this argument structure, or ``_EAGER``."""
        key = (treedef, static, mask)
        try:
            hash(key)
        except TypeError:  # an unhashable static argument: no compiled wrapper
            return _EAGER, None
        if key not in self.cache:
            self.cache[key] = self._compiled(treedef, static, mask) if self.jit else _EAGER
        return self.cache[key], key

    def __call__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
        if any(isinstance(leaf, _TRACER) for leaf in leaves):
            return self.fn(*args, **kwargs)  # under an outer transform: values are abstract
        mask = tuple(is_dynamic(leaf) for leaf in leaves)
        static = tuple(leaf for leaf, d in zip(leaves, mask, strict=True) if not d)
        compiled, key = self._lookup(treedef, static, mask)
        out = ok = None
        if compiled is not _EAGER:
            try:
                out, ok = compiled(*[leaf for leaf, d in zip(leaves, mask, strict=True) if d])
            except (jax.errors.ConcretizationTypeError, TypeError):
                self.cache[key] = _EAGER  # not traceable as a whole: check outputs eagerly
        if ok is None:
            out = self.fn(*args, **kwargs)
            ok = _check_outputs(out if self.check is None else self.check(out))
        if not bool(ok):
            raise nonfinite_error(self.fn, args, kwargs)
        return out


def watch(fn: Callable[..., Any], *, jit: bool = True,
          check: Callable[[Any], Any] | None = None) -> Callable[..., Any]:
    """``fn`` with the same signature and results that raises :class:`lintnn.NonFiniteError`.

    With ``jit=True`` (default) the finiteness flag is computed inside one compiled wrapper
    around ``fn`` (cached per argument structure); ``jit=False`` calls ``fn`` as is and
    reduces its outputs in a second, cached, compiled call. ``check`` picks the part of the
    output to reduce. By default the flag is as strong as reducing every output leaf, but
    under ``jit=True`` it reduces only the leaves no other output covers (see
    :mod:`lintnn.runtime.jax.cover`: adam's first moment flows into the new parameters, so a
    NaN there shows in them; its second moment, a denominator, is reduced itself).
    ``check=lambda out: out[-1]`` checks only the loss of a train step, which is cheaper but
    finds a NaN born in the backward pass one step later, as non-finite parameters (NR204).
    """
    watched = _Watched(fn, jit, check)

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return watched(args, kwargs)

    wrapper.__lintnn_watched__ = watched  # type: ignore[attr-defined]
    return wrapper
