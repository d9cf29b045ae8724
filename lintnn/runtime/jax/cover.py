"""Which outputs of a jaxpr need their own finiteness check.

Output ``a`` is *covered* by output ``b`` when every non-finite element of ``a`` provably
makes some element of ``b`` non-finite in the same call: a path of equations leads from
``a`` to ``b`` and each step passes an operand on in a position where NaN/Inf always
survives (``x + y``, ``x * y``, ``x / y`` for the numerator, ``sqrt``, ``reshape`` ...).
Positions where it may not survive stop the path: a denominator (``x / inf == 0``),
``select_n``, ``max``/``min``, comparisons, ``exp`` (``exp(-inf) == 0``), casts to
integers, slices, gathers and any primitive not listed here. The jaxpr is a DAG, so the
outputs that reach no other output always exist; checking those is as strong as checking
them all: the flag has the same value on every input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
from jax.extend import core

# Every operand position keeps NaN/Inf (output non-empty): Inf*0, Inf-Inf, sqrt(-Inf) are NaN.
_ALL_OPERANDS = frozenset({
    "add", "add_any", "sub", "mul", "neg", "abs", "sqrt", "square", "log", "log1p",
    "copy", "copy_p", "reshape", "squeeze", "expand_dims", "transpose", "rev",
    "broadcast_in_dim", "reduce_sum", "concatenate", "reduce_precision", "floor", "ceil",
    "round", "stop_gradient",
})
# Calls whose inner jaxpr takes the operands and gives the results one for one.
_CALLS = frozenset({
    "pjit", "jit", "closed_call", "core_call", "remat", "remat2", "checkpoint",
    "custom_jvp_call", "custom_vjp_call",
})


def _is_float(var: Any) -> bool:
    dtype = getattr(getattr(var, "aval", None), "dtype", None)
    return dtype is not None and jnp.issubdtype(dtype, jnp.floating)


def _nonempty(eqn: Any) -> bool:
    return all(getattr(v.aval, "size", 1) > 0 for v in eqn.outvars)


def _keeping_positions(eqn: Any) -> tuple[int, ...]:
    """Operand positions of ``eqn`` whose non-finite elements always reach its output."""
    name = eqn.primitive.name
    if not _nonempty(eqn) or not all(_is_float(v) for v in eqn.outvars):
        return ()
    if name in _ALL_OPERANDS:
        return tuple(range(len(eqn.invars)))
    if name == "div":
        return (0,)  # inf / inf is NaN, but finite / inf is 0: never the denominator
    if name == "integer_pow":
        return (0,) if eqn.params.get("y", 0) >= 1 else ()  # x**0 == 1, x**-1 == 0 at inf
    if name == "convert_element_type":
        return (0,)  # float to float (the output is a float: checked above)
    if name == "pad":
        config = eqn.params.get("padding_config", ())
        return (0,) if all(lo >= 0 and hi >= 0 for lo, hi, _ in config) else ()
    return ()


def _inner(eqn: Any) -> Any | None:
    """The jaxpr a call equation runs, when its operands and results map one for one."""
    if eqn.primitive.name not in _CALLS:
        return None
    inner = eqn.params.get("jaxpr", eqn.params.get("call_jaxpr"))
    inner = getattr(inner, "jaxpr", inner)
    if not isinstance(inner, core.Jaxpr):
        return None
    if len(inner.invars) != len(eqn.invars) or len(inner.outvars) != len(eqn.outvars):
        return None
    return inner


def _propagate(jaxpr: Any, seed: dict[Any, int]) -> dict[Any, int]:
    """Bit masks of the outputs each variable of ``jaxpr`` reaches, from those in ``seed``."""
    reach = {v: m for v, m in seed.items() if isinstance(v, core.Var) and _is_float(v)}
    for eqn in reversed(jaxpr.eqns):
        outs = [reach.get(v, 0) if isinstance(v, core.Var) else 0 for v in eqn.outvars]
        if not any(outs):
            continue
        inner = _inner(eqn)
        if inner is not None:
            ins, outs = _call_reach(inner, outs)
            for var, mask in zip(eqn.outvars, outs, strict=True):
                if isinstance(var, core.Var) and _is_float(var):
                    reach[var] = mask  # also the paths between results inside the call
        else:
            joined = 0
            for m in outs:
                joined |= m
            keep = _keeping_positions(eqn)
            ins = [joined if i in keep else 0 for i in range(len(eqn.invars))]
        for var, mask in zip(eqn.invars, ins, strict=True):
            if mask and isinstance(var, core.Var) and _is_float(var):
                reach[var] = reach.get(var, 0) | mask
    return reach


def _call_reach(jaxpr: Any, out_masks: list[int]) -> tuple[list[int], list[int]]:
    """What each input and each output of a nested ``jaxpr`` reaches, given its outputs'."""
    seed: dict[Any, int] = {}
    for var, mask in zip(jaxpr.outvars, out_masks, strict=True):
        if isinstance(var, core.Var):
            seed[var] = seed.get(var, 0) | mask
    reach = _propagate(jaxpr, seed)

    def get(var: Any) -> int:
        return reach.get(var, 0) if isinstance(var, core.Var) else 0

    return [get(v) for v in jaxpr.invars], [get(v) for v in jaxpr.outvars]


def uncovered_outputs(jaxpr: Any) -> list[bool]:
    """Per output of ``jaxpr``: whether it must be checked, i.e. no other output covers it.

    A repeated output variable is checked (or covered) once, at its first position.
    """
    first: dict[Any, int] = {}
    for i, var in enumerate(jaxpr.outvars):
        if isinstance(var, core.Var):
            first.setdefault(var, i)
    reach = _propagate(jaxpr, {var: 1 << i for var, i in first.items()})
    need = []
    for i, var in enumerate(jaxpr.outvars):
        if not isinstance(var, core.Var):
            need.append(True)
        elif first[var] != i:
            need.append(False)
        else:
            need.append(reach.get(var, 0) & ~(1 << i) == 0)
    return need


def call_with_needed(fn: Callable[..., Any], *args: Any) -> tuple[Any, list[Any]]:
    """``fn(*args)``, traced once, and the result leaves that must be checked.

    Meant to run under ``jax.jit``: the jaxpr is evaluated in place of a second trace.
    """
    closed, shape = jax.make_jaxpr(fn, return_shape=True)(*args)
    flat = core.jaxpr_as_fun(closed)(*jax.tree_util.tree_leaves(args))
    need = uncovered_outputs(closed.jaxpr)
    out = jax.tree_util.tree_unflatten(jax.tree_util.tree_structure(shape), flat)
    return out, [leaf for leaf, n in zip(flat, need, strict=True) if n]
