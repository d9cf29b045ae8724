"""Explain a non-finite result: dirty input, dirty parameters, or the first bad primitive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.jax.nnx_scopes import nnx_scopes
from lintnn.runtime.jax.replay import find_culprit
from lintnn.runtime.jax.rules import finding
from lintnn.runtime.jax.trees import (
    bind_static,
    bound_parameters,
    flax_root_names,
    is_dynamic,
    nan_paths,
    nonfinite_paths,
)

_PARAM_KEYS = ("params",)


def _split_parameters(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(parameter-like leaves, data leaves): flax variable dicts count as parameters."""
    params, data = {}, {}
    for i, arg in enumerate(args):
        is_vars = isinstance(arg, dict) and any(k in arg for k in _PARAM_KEYS)
        (params if is_vars else data)[f"args[{i}]"] = arg
    for key, arg in kwargs.items():
        is_vars = isinstance(arg, dict) and any(k in arg for k in _PARAM_KEYS)
        (params if is_vars else data)[key] = arg
    return params, data


def _bad(named: dict[str, Any]) -> list[str]:
    return [p for name, tree in named.items() for p in nonfinite_paths(tree, f"{name}/")]


def explain(fn: Callable[..., Any], args: tuple[Any, ...],
            kwargs: dict[str, Any]) -> tuple[Origin, Diagnostic]:
    """Where the first non-finite value of ``fn(*args, **kwargs)`` came from."""
    params, data = _split_parameters(args, kwargs)
    bad_params = _bad(params) + [p for i, b in enumerate(bound_parameters(fn))
                                 for p in nonfinite_paths(b, f"bound[{i}]/")]
    bad_inputs = [p for name, tree in data.items() for p in nan_paths(tree, f"{name}/")]
    if bad_inputs or bad_params:
        code = "NR203" if bad_inputs else "NR204"
        what = bad_inputs or bad_params
        detail = "non-finite leaves: " + ", ".join(what[:5]) + (" ..." if len(what) > 5 else "")
        origin = Origin("input", parameters_nonfinite=bool(bad_params), detail=detail)
        return origin, finding(code, origin.describe(), leaves=what)
    infinite = _bad(data)  # +-inf only: judged by whether a NaN is born from it (below)
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    mask = [is_dynamic(leaf) for leaf in leaves]
    dynamic = [leaf for leaf, d in zip(leaves, mask, strict=True) if d]
    try:
        with nnx_scopes(fn, *args, **kwargs):
            closed = jax.make_jaxpr(bind_static(fn, leaves, treedef, mask))(*dynamic)
    except jax.errors.ConcretizationTypeError:
        if not infinite:
            raise
        origin = Origin("input", detail=f"{', '.join(infinite[:3])} hold(s) +-inf (fn cannot "
                        f"be traced to tell whether a NaN is born from it)")
        return origin, finding("NR203", origin.describe(), leaves=infinite)
    culprit = find_culprit(closed, dynamic)
    if culprit is None:
        origin = Origin("forward", detail="could not replay the step to a single primitive")
        return origin, finding("NR201", origin.describe())
    module = culprit.where.module(flax_root_names())
    if culprit.op == "input" or culprit.from_input:
        born = (f"a NaN is born from it at {culprit.op}" if culprit.from_input
                else "it reaches the output")
        origin = Origin("input", module=module if culprit.from_input else None,
                        op=culprit.op if culprit.from_input else None, source=culprit.source,
                        detail=f"{', '.join(infinite[:3])} hold(s) +-inf and {born}")
        return origin, finding("NR203", origin.describe(), module=origin.module,
                               source=culprit.source, op=origin.op, leaves=infinite)
    phase = "backward" if culprit.backward else "forward"
    origin = Origin(phase, module=module, op=culprit.op, source=culprit.source)
    code = "NR202" if phase == "backward" else "NR201"
    return origin, finding(code, origin.describe(), module=module, source=culprit.source,
                           op=culprit.op)


def nonfinite_error(fn: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> NonFiniteError:
    """A :class:`NonFiniteError` whose ``.diagnostic`` carries the NR2xx finding."""
    origin, diagnostic = explain(fn, args, kwargs)
    return NonFiniteError(origin, f"{diagnostic.code} {origin.describe()}", diagnostic)
