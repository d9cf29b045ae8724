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
    """The equation that first produced a non-finite value from finite inputs.

    ``op == "input"``: no equation did, the value comes from an input that holds +-inf.
    ``from_input``: the equation made a NaN from such an input's inf (``0 * -inf``).
    """

    op: str
    where: Where
    source: str | None
    backward: bool = False
    from_input: bool = False


INPUT = Culprit("input", Where(), None)


def _finite(x: Any) -> bool:
    return not is_float_array(x) or bool(np.isfinite(np.asarray(x)).all())


def _nan(x: Any) -> bool:
    return is_float_array(x) and bool(np.isnan(np.asarray(x)).any())


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


class _Uses:
    """Which equations read each variable, to tell JVP residuals from primal values.

    ``out_backward`` says, for a nested jaxpr, which of its outputs the enclosing jaxpr
    uses only in the backward pass.
    """

    def __init__(self, jaxpr: Any, outer: Where, out_backward: dict[Any, bool]) -> None:
        self.outer = outer
        self.out_backward = out_backward
        self.outputs = {v for v in jaxpr.outvars if not isinstance(v, jax.extend.core.Literal)}
        self.readers: dict[Any, list[Any]] = {}
        for eqn in jaxpr.eqns:
            for v in eqn.invars:
                if not isinstance(v, jax.extend.core.Literal):
                    self.readers.setdefault(v, []).append(eqn)

    def backward(self, eqn: Any, depth: int = 0) -> bool:
        """True for an equation of the transpose, or a JVP residual (``0.5 / sqrt(x)``)
        whose values reach only the transpose through equations of the same source line."""
        here = self.outer + where(eqn)
        if here.backward:
            return True
        if "jvp" not in here.transforms or depth > 8:
            return False
        line = (user_source(eqn), here)
        return all(self.var_backward(v, line, depth) for v in eqn.outvars)

    def var_backward(self, var: Any, line: tuple[Any, Where], depth: int = 0) -> bool:
        if var in self.outputs:
            return self.out_backward.get(var, False)
        readers = self.readers.get(var, [])
        for reader in readers:
            at = self.outer + where(reader)
            same_line = (user_source(reader), at) == line
            if not (at.backward or (same_line and self.backward(reader, depth + 1))):
                return False
        return bool(readers)


def _sub_outputs(sub: Any, eqn: Any, uses: _Uses, here: Where) -> dict[Any, bool]:
    """For a call equation: which outputs of its body are used only backward."""
    line = (user_source(eqn), here)
    return {inner: uses.var_backward(outer_var, line)
            for inner, outer_var in zip(sub.jaxpr.outvars, eqn.outvars, strict=True)
            if not isinstance(inner, jax.extend.core.Literal)}


def find_culprit(closed: Any, args: list[Any], outer: Where | None = None,
                 source: str | None = None,
                 out_backward: dict[Any, bool] | None = None) -> Culprit | None:
    """The origin of the first non-finite output of ``closed`` evaluated at ``args``;
    ``source`` is the enclosing call's user line, used where an equation has none."""
    outer = outer or Where()
    jaxpr = closed.jaxpr
    env: dict[Any, Any] = dict(zip(jaxpr.constvars, closed.consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))
    # An input may hold +-inf on purpose (an additive attention mask): what it is judged
    # by is whether a NaN is born from it.
    origin: dict[Any, Culprit] = {v: INPUT for v, a in zip(jaxpr.invars, args, strict=True)
                                  if not _finite(a)}
    uses = _Uses(jaxpr, outer, out_backward or {})
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
            sub = inner_jaxpr(eqn)
            if sub is not None and (inherited is None or inherited.op == "input"):
                inner = find_culprit(sub, invals, here, user_source(eqn) or source,
                                     _sub_outputs(sub, eqn, uses, here))
                inherited = inner if inner is not None else inherited
            elif inherited is not None and inherited.op == "input" and _nan(val) and not any(
                    _nan(v) for v in invals):
                inherited = Culprit(eqn.primitive.name, here, user_source(eqn) or source,
                                    uses.backward(eqn), from_input=True)
            origin[var] = inherited or Culprit(eqn.primitive.name, here,
                                               user_source(eqn) or source,
                                               uses.backward(eqn))
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
