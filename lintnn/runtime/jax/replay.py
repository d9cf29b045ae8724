"""Re-evaluate a jaxpr equation by equation to find the first one producing a NaN/Inf.

Call-like equations (``jit``, ``custom_jvp_call``, ``custom_vjp_call``, ``remat``, ...)
are entered when the non-finite value is created inside them, so the culprit is a
primitive such as ``log``, not the ``jit`` that contains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jax
import jax.extend
import numpy as np

from lintnn.runtime.jax.sourceinfo import Where, user_source, where
from lintnn.runtime.jax.trees import is_float_array

_SUBJAXPR_PARAMS = ("jaxpr", "call_jaxpr", "fun_jaxpr")


@dataclass(frozen=True)
class Culprit:
    """The equation that first produced a non-finite value from finite inputs."""

    op: str
    where: Where
    source: str | None
    backward: bool = False


def _finite(x: Any) -> bool:
    return not is_float_array(x) or bool(np.isfinite(np.asarray(x)).all())


def _read(env: dict[Any, Any], var: Any) -> Any:
    return var.val if isinstance(var, jax.extend.core.Literal) else env[var]


def inner_jaxpr(eqn: Any) -> Any | None:
    """The sub-jaxpr that a call-like equation applies to exactly its own inputs."""
    for name in _SUBJAXPR_PARAMS:
        sub = eqn.params.get(name)
        if sub is None:
            continue
        closed = sub if hasattr(sub, "jaxpr") else None
        jaxpr = closed.jaxpr if closed is not None else sub
        if hasattr(jaxpr, "eqns") and len(jaxpr.invars) == len(eqn.invars):
            return closed if closed is not None else jax.extend.core.ClosedJaxpr(jaxpr, ())
    return None


def _eval(eqn: Any, invals: list[Any]) -> list[Any]:
    bound = eqn.primitive.get_bind_params(eqn.params)
    subfuns, params = bound if isinstance(bound, tuple) else ((), bound)  # older jax: a pair
    ctx = getattr(getattr(eqn, "ctx", None), "manager", None)
    if ctx is None:
        out = eqn.primitive.bind(*subfuns, *invals, **params)
    else:
        with ctx:
            out = eqn.primitive.bind(*subfuns, *invals, **params)
    return list(out) if eqn.primitive.multiple_results else [out]


def _backward(here: Where, uses: list[Where]) -> bool:
    """In a transpose, or a JVP residual (``0.5 / sqrt(x)``) used only by the transpose."""
    if here.backward:
        return True
    return "jvp" in here.transforms and bool(uses) and all(u.backward for u in uses)


def find_culprit(closed: Any, args: list[Any], outer: Where | None = None,
                 source: str | None = None) -> Culprit | None:
    """The origin of the first non-finite output of ``closed`` evaluated at ``args``;
    ``source`` is the enclosing call's user line, used where an equation has none."""
    outer = outer or Where()
    jaxpr = closed.jaxpr
    env: dict[Any, Any] = dict(zip(jaxpr.constvars, closed.consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    origin: dict[Any, Culprit] = {}
    consumers: dict[Any, list[Where]] = {}
    for eqn in jaxpr.eqns:
        for v in eqn.invars:
            if not isinstance(v, jax.extend.core.Literal):
                consumers.setdefault(v, []).append(outer + where(eqn))
    for eqn in jaxpr.eqns:
        invals = [_read(env, v) for v in eqn.invars]
        outvals = _eval(eqn, invals)
        here = outer + where(eqn)
        for var, val in zip(eqn.outvars, outvals, strict=True):
            env[var] = val
            if _finite(val):
                continue
            inherited = next((origin[v] for v in eqn.invars
                              if not isinstance(v, jax.extend.core.Literal) and v in origin), None)
            if inherited is None:
                sub = inner_jaxpr(eqn)
                inner_source = user_source(eqn) or source
                inherited = (find_culprit(sub, invals, here, inner_source)
                             if sub is not None else None)
            origin[var] = inherited or Culprit(eqn.primitive.name, here,
                                               user_source(eqn) or source,
                                               _backward(here, consumers.get(var, [])))
    return next((origin[v] for v in jaxpr.outvars if v in origin), None)


def evaluate(closed: Any, args: list[Any], visit: Any, outer: Where | None = None,
             source: str | None = None) -> list[Any]:
    """Evaluate ``closed`` equation by equation, entering call-like equations, and call
    ``visit(eqn, where, source, outvals)`` for every primitive equation."""
    outer = outer or Where()
    jaxpr = closed.jaxpr
    env: dict[Any, Any] = dict(zip(jaxpr.constvars, closed.consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    for eqn in jaxpr.eqns:
        invals = [_read(env, v) for v in eqn.invars]
        here = outer + where(eqn)
        sub = inner_jaxpr(eqn)
        line = user_source(eqn) or source
        if sub is not None:
            outvals = evaluate(sub, invals, visit, here, line)
        else:
            outvals = _eval(eqn, invals)
            visit(eqn, here, line, outvals)
        env.update(zip(eqn.outvars, outvals, strict=True))
    return [_read(env, v) for v in jaxpr.outvars]
