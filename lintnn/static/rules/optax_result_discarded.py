"""NN508: optax's pure update functions called and their results dropped."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import is_jax_gradient_call, is_optimizer_name
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import argument, dotted_name, method_name, positional

_APPLY_UPDATES = frozenset({"optax.apply_updates", "optax.tree_utils.tree_add"})


class OptaxResultDiscarded(Rule):
    """``opt.update(...)`` / ``optax.apply_updates(...)`` results (or the new state) dropped."""

    code = "NN508"
    name = "optax-result-discarded"
    severity = Severity.ERROR
    message = (
        "optax functions are pure: this call returns the new value and changes nothing in "
        "place, so discarding its result leaves the parameters (or optimizer state) as "
        "they were; assign the result"
    )
    frameworks = ("jax",)
    triggers = ("optax",)
    needs = (Needs(frameworks=("jax",)), Needs(calls=("apply_updates", "tree_add", "update")))

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            statement = ctx.index.statement_of(call)
            if ctx.qualname(call.func) in _APPLY_UPDATES:
                if type(statement) is cst.Expr and statement.value is call:
                    ctx.report(call, (
                        "the result of optax.apply_updates is discarded: it returns the "
                        "new parameters and does not change them in place; write "
                        "params = optax.apply_updates(params, updates)"))
            elif method_name(call) == "update" and _is_optax_update(ctx, call):
                self._check_update(ctx, call, statement)

    def _check_update(self, ctx: FileContext, call: cst.Call, statement: cst.CSTNode) -> None:
        if not _trains(ctx, call):
            return  # e.g. a test calling update() for its exceptions or its output
        if type(statement) is cst.Expr and statement.value is call:
            ctx.report(call, (
                "the result of the optimizer's update() is discarded: it returns the updates "
                "and the new state and changes nothing in place; write "
                "updates, opt_state = optimizer.update(grads, opt_state, params)"))
            return
        if type(statement) is not cst.Assign or statement.value is not call:
            return
        target = statement.targets[0].target
        state = argument(call, 1, "state")
        if type(target) in (cst.Tuple, cst.List) and len(target.elements) == 2:
            second = target.elements[1].value
            if type(second) is cst.Name and second.value == "_" and isinstance(
                state, (cst.Name, cst.Attribute)
            ) and _state_reused(ctx, call, state):
                ctx.report(second, (
                    "the new optimizer state returned by update() is discarded: the next "
                    "step reuses the old state (momentum and Adam moments never advance); "
                    "write updates, opt_state = optimizer.update(grads, opt_state, params)"))


def _is_optax_update(ctx: FileContext, call: cst.Call) -> bool:
    """``optimizer.update(grads, state[, params])`` on an optax GradientTransformation."""
    receiver = call.func.value  # type: ignore[attr-defined]
    value = ctx.value(receiver)
    known = value is not None and value.kind is not Kind.REF and (
        value.kind is not Kind.PARAM or value.qualname is not None)
    if known:
        return R.OPTIMIZER in value.roles and value.entry is not None \
            and value.entry.framework == "jax"  # type: ignore[union-attr]
    if _passed_something_else(ctx, receiver):
        return False
    # An optimizer received as a parameter or attribute: go by its usual names.
    name = (dotted_name(receiver) or "").rsplit(".", 1)[-1]
    return "jax" in ctx.frameworks and len(positional(call)) >= 2 and (
        name == "tx" or is_optimizer_name(name))


def _passed_something_else(ctx: FileContext, receiver: cst.BaseExpression) -> bool:
    """A parameter to which the file's callers pass a known value that is not an optax
    transformation (``nnx.Optimizer``, whose ``update(model, grads)`` works in place)."""
    if type(receiver) is not cst.Name:
        return False
    fn = ctx.index.enclosing_function(receiver)
    param = next((p for p in _params(fn) if p.name.value == receiver.value), None) \
        if fn is not None else None
    if fn is None or param is None:
        return False
    value = ctx.parameter_value(fn, param)
    if value is None:
        return False
    passed = value.candidates or (value,)
    return all(v.qualname is not None and R.OPTIMIZER not in v.roles for v in passed)


def _params(fn: cst.FunctionDef) -> list[cst.Param]:
    params = fn.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _trains(ctx: FileContext, call: cst.Call) -> bool:
    """The code around ``call`` is a training step: it computes gradients or applies updates."""
    scope = ctx.scope_of(call)
    for other in ctx.index.calls:
        if ctx.scope_of(other) is not scope:
            continue
        if ctx.qualname(other.func) in _APPLY_UPDATES or is_jax_gradient_call(ctx, other):
            return True
    return False


def _state_reused(ctx: FileContext, call: cst.Call, state: cst.BaseExpression) -> bool:
    """The old state is used again: on the next iteration of a loop, or later in the code."""
    if ctx.index.enclosing_loops(call):
        return True
    name = dotted_name(state)
    index = ctx.index
    _, scope_end = index.span(ctx.scope_of(call))
    _, statement_end = index.span(index.statement_of(call))
    return any(type(node) in (cst.Name, cst.Attribute) and dotted_name(node) == name
               for node in index.nodes[statement_end + 1:scope_end + 1])
