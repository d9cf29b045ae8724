"""NN206: flax batch statistics computed by ``apply(..., mutable=["batch_stats"])`` dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.loops import is_jax_gradient_call
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import (
    int_value,
    is_self_attribute,
    keyword,
    method_name,
    string_value,
)
from lintnn.static.syntax.project import READS_RUNNING_STATS, Requirement

_APPLY_METHODS = frozenset({"apply", "apply_fn"})


class BatchStatsDiscarded(Rule):
    """The updated ``batch_stats`` returned by a training ``apply`` thrown away."""

    code = "NN206"
    name = "batch-stats-discarded"
    severity = Severity.ERROR
    message = (
        "the batch statistics returned by apply(..., mutable=['batch_stats']) are "
        "discarded: BatchNorm's running mean and variance never change, so evaluation "
        "(use_running_average=True) normalizes with the initial statistics; keep the "
        "returned variables and store them in the training state"
    )
    frameworks = ("jax",)
    triggers = ("batch_stats",)
    needs = (Needs(frameworks=("jax",)), Needs(names=("batch_stats",)),
             Needs(calls=tuple(_APPLY_METHODS)))

    def check(self, ctx: FileContext) -> None:
        if "jax" not in ctx.frameworks or ctx.is_test_file:
            return
        applies = [c for c in ctx.index.calls
                   if method_name(c) in _APPLY_METHODS and _mutates_batch_stats(c)]
        if not applies:
            return
        dropped = [_discarded_at(ctx, call) for call in applies]
        if None in dropped:
            # Some pass keeps the statistics: the others are extra forward passes whose
            # statistics are dropped on purpose (SAM's perturbed pass, a second view).
            return
        trained = _differentiated(ctx)
        for call, node in zip(applies, dropped, strict=True):
            if _enclosing_body(ctx, call) in trained:
                ctx.report(node, requires=_model_reads_running_stats(ctx, call))  # type: ignore[arg-type]


def _model_reads_running_stats(ctx: FileContext, call: cst.Call) -> tuple[Requirement, ...]:
    """For ``model.apply(...)`` with ``model`` of a project class, that the model has a
    BatchNorm that reads its running statistics (one built with
    ``use_running_average=False`` never does: its statistics are never used)."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value != "apply":
        return ()
    model = ctx.value(func.value)
    if model is None or model.project_class is None or model.candidates:
        return ()
    return (Requirement(model.project_class, READS_RUNNING_STATS, "", str(ctx.path)),)


def _mutates_batch_stats(call: cst.Call) -> bool:
    """``mutable=["batch_stats"]`` (a list, tuple or single string naming it)."""
    mutable = keyword(call, "mutable")
    if type(mutable) in (cst.List, cst.Tuple):
        return any(string_value(el.value) == "batch_stats" for el in mutable.elements)
    return string_value(mutable) == "batch_stats"


def _discarded_at(ctx: FileContext, call: cst.Call) -> cst.CSTNode | None:
    """Where the mutated variables are dropped: ``apply(...)[0]``, a bare statement, a
    ``_`` target, or a name never read afterwards; None when they may be kept."""
    parent = ctx.index.parent(call)
    if type(parent) is cst.Subscript and parent.value is call and len(parent.slice) == 1:
        index = parent.slice[0].slice
        if type(index) is cst.Index and int_value(index.value) == 0:
            return parent
        return None
    statement = ctx.index.statement_of(call)
    if type(statement) is cst.Expr and statement.value is call:
        return call
    if type(statement) is not cst.Assign or statement.value is not call:
        return None
    if len(statement.targets) != 1:
        return None
    target = statement.targets[0].target
    if type(target) not in (cst.Tuple, cst.List) or len(target.elements) != 2:
        return None
    state = target.elements[1].value
    if type(state) is not cst.Name:
        return None
    if state.value == "_" or not any(D.reads_of(ctx, state.value, ctx.scope_of(call))):
        return state
    return None


if TYPE_CHECKING:  # libcst loads on first use (lintnn.static)
    Body = cst.FunctionDef | cst.Lambda


def _enclosing_body(ctx: FileContext, node: cst.CSTNode) -> Body | None:
    for ancestor in ctx.index.ancestors(node):
        if type(ancestor) in (cst.FunctionDef, cst.Lambda):
            return ancestor
    return None


def _differentiated(ctx: FileContext) -> set[Body]:
    """Functions and lambdas a gradient is taken through: passed to ``jax.grad`` /
    ``value_and_grad``, or called (by name, in this file) from one that is."""
    functions: dict[str, list[Body]] = {}
    for fn in ctx.index.functions:
        functions.setdefault(fn.name.value, []).append(fn)
    for assign in D.nodes_of(ctx, cst.Assign):  # ``loss_fn = lambda params: ...``
        if type(assign.value) is cst.Lambda:  # type: ignore[attr-defined]
            for name in D.target_names(assign):  # type: ignore[arg-type]
                functions.setdefault(name, []).append(assign.value)  # type: ignore[attr-defined]
    pending: list[Body] = []
    for call in ctx.index.calls:
        if not is_jax_gradient_call(ctx, call) or not call.args:
            continue
        target = call.args[0].value
        if type(target) is cst.Lambda:
            pending.append(target)
        else:
            pending.extend(functions.get(_last_name(target), ()))
    seen: set[Body] = set()
    while pending:
        body = pending.pop()
        if body in seen:
            continue
        seen.add(body)
        for call in ctx.index.calls:
            if _enclosing_body(ctx, call) is body:
                pending.extend(functions.get(_last_name(call.func), ()))
    return seen


def _last_name(expr: cst.BaseExpression) -> str:
    """``loss_fn`` -> ``loss_fn``; ``self.loss_fn`` -> ``loss_fn``; else ``""``."""
    if type(expr) is cst.Name:
        return expr.value
    if is_self_attribute(expr):
        return expr.attr.value  # type: ignore[attr-defined]
    return ""
