"""Explain a non-finite result: dirty input, dirty parameters, or the first bad primitive."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.jax.replay import find_culprit
from lintnn.runtime.jax.rules import finding
from lintnn.runtime.jax.trees import (
    bind_static,
    bound_parameters,
    flax_root_names,
    is_dynamic,
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
    bad_inputs = _bad(data)
    if bad_inputs or bad_params:
        code = "NR203" if bad_inputs else "NR204"
        what = bad_inputs or bad_params
        detail = "non-finite leaves: " + ", ".join(what[:5]) + (" ..." if len(what) > 5 else "")
        origin = Origin("input", parameters_nonfinite=bool(bad_params), detail=detail)
        return origin, finding(code, origin.describe(), leaves=what)
    leaves, treedef = jax.tree_util.tree_flatten((args, kwargs))
    mask = [is_dynamic(leaf) for leaf in leaves]
    dynamic = [leaf for leaf, d in zip(leaves, mask, strict=True) if d]
    closed = jax.make_jaxpr(bind_static(fn, leaves, treedef, mask))(*dynamic)
    culprit = find_culprit(closed, dynamic)
    if culprit is None:
        origin = Origin("forward", detail="could not replay the step to a single primitive")
        return origin, finding("NR201", origin.describe())
    module = culprit.where.module(flax_root_names())
    phase = "backward" if culprit.backward else "forward"
    origin = Origin(phase, module=module, op=culprit.op, source=culprit.source)
    code = "NR202" if phase == "backward" else "NR201"
    return origin, finding(code, origin.describe(), module=module, source=culprit.source,
                           op=culprit.op)


def nonfinite_error(fn: Callable[..., Any], args: tuple[Any, ...],
                    kwargs: dict[str, Any]) -> NonFiniteError:
    """A :class:`NonFiniteError` whose ``.diagnostic`` carries the NR2xx finding."""
    origin, diagnostic = explain(fn, args, kwargs)
    err = NonFiniteError(origin, f"{diagnostic.code} {origin.describe()}")
    err.diagnostic = diagnostic  # type: ignore[attr-defined]
    return err
