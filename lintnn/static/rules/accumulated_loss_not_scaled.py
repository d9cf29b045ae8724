"""NN515: gradients accumulated over k batches from a loss that is not divided by k."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.functions import LOSS_OBJECT, callee_name, names_a_loss, object_fact
from lintnn.static.analyses.loops import EventKind, classify_step, conditional_within
from lintnn.static.analyses.losses import LOSS_ROLES, loss_call
from lintnn.static.analyses.project_losses import passed_loss_call, passed_object_requirement
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, method_name, positional
from lintnn.static.syntax.project import Requirement


class AccumulatedLossNotScaled(Rule):
    """``loss.backward()`` every batch, ``optimizer.step()`` every k-th, and the loss a
    criterion's output as it is: the update is the sum of k mean gradients."""

    code = "NN515"
    name = "accumulated-loss-not-scaled"
    severity = Severity.WARNING
    message = (
        "gradients are accumulated over several batches before each optimizer step, but "
        "the loss backpropagated is not divided by their number: every step applies the "
        "sum of the batches' mean gradients, so the effective learning rate grows with the "
        "accumulation count; divide the loss by it before backward()"
    )
    frameworks = ("torch",)
    triggers = ("backward",)
    # A loss named here, or one from another file (imported, or a parameter named as a
    # loss (called under a loss's name) that a caller passes).
    needs = (Needs(calls=("backward",)), Needs(calls=("step",)),
             Needs(roles=tuple(LOSS_ROLES), project_imports=True, called=names_a_loss))

    def check(self, ctx: FileContext) -> None:
        for branch in D.nodes_of(ctx, cst.If):
            if not _every_kth(branch.test) or not _steps_optimizer(ctx, branch):  # type: ignore[attr-defined]
                continue
            scope = ctx.scope_of(branch)
            loop = ctx.index.innermost_loop(branch)
            if _steps_on_every_batch(ctx, scope, loop):
                continue  # the guarded step is not the only one: nothing accumulates
            for call in D.nodes_in_scope(ctx, cst.Call, scope):
                if method_name(call) != "backward" or not ctx.index.before(call, branch):
                    continue
                if ctx.index.innermost_loop(call) is not loop:
                    continue  # another loop's backward (or a step outside this loop)
                if conditional_within(ctx, call, scope) or type(
                        call.func) is not cst.Attribute:
                    continue
                unscaled = _unscaled_loss(ctx, _backpropagated(call.func.value), call)
                if unscaled is not False:
                    requires = (unscaled,) if isinstance(unscaled, Requirement) else ()
                    ctx.report(call, requires=requires)


def _every_kth(test: cst.BaseExpression) -> bool:
    """``i % k == 0`` or ``(i + 1) % k == 0``, with ``k`` not the literal 1; also one side
    of an ``or`` (``... or i + 1 == len(loader)``: the last, partial group)."""
    if type(test) is cst.BooleanOperation and type(test.operator) is cst.Or:
        return _every_kth(test.left) or _every_kth(test.right)
    if not (type(test) is cst.Comparison and len(test.comparisons) == 1
            and type(test.comparisons[0].operator) is cst.Equal):
        return False
    left = test.left
    if not (type(left) is cst.BinaryOperation and type(left.operator) is cst.Modulo):
        return False
    divisor = left.right
    return not (type(divisor) is cst.Integer and divisor.value in ("0", "1"))


def _steps_optimizer(ctx: FileContext, branch: cst.If) -> bool:
    return any(_optimizer_step(ctx, call) for call in D.calls_in(ctx, branch.body))


def _optimizer_step(ctx: FileContext, call: cst.Call) -> bool:
    if method_name(call) != "step":
        return False
    kind = classify_step(ctx, call)
    return kind is not None and kind[0] is EventKind.STEP


def _steps_on_every_batch(ctx: FileContext, scope: cst.CSTNode,
                          loop: cst.CSTNode | None) -> bool:
    """An optimizer step of the same loop (or per-batch function) outside any branch:
    the parameters are updated on every batch, whatever the guarded step does."""
    return any(_optimizer_step(ctx, call) and ctx.index.innermost_loop(call) is loop
               and not conditional_within(ctx, call, loop if loop is not None else scope)
               for call in D.nodes_in_scope(ctx, cst.Call, scope))


def _backpropagated(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``loss`` in ``loss.backward()`` and in ``scaler.scale(loss).backward()``."""
    if type(expr) is cst.Call and method_name(expr) == "scale":
        args = positional(expr)
        if len(args) == 1:
            return args[0]
    return expr


def _unscaled_loss(ctx: FileContext, expr: cst.BaseExpression,
                   at: cst.CSTNode) -> bool | Requirement:
    """A name last bound to a loss call itself (``loss = criterion(out, y)``); the loss
    object may come from a project function or file (``criterion = get_loss(cfg)``) or
    from a caller (a parameter): a requirement on what that function returns, that file
    binds, or some caller passes."""
    if type(expr) is not cst.Name:
        return False
    value = ctx.assigned_value(expr.value, at)
    if value is None or expr.value in _changed_between(ctx, value, at):
        return False
    if type(value) is not cst.Call:
        return False
    if loss_call(ctx, value) is not None:
        return True
    passed = passed_loss_call(ctx, value)
    if passed is not None:
        return names_a_loss(callee_name(value)) and passed_object_requirement(
            passed, LOSS_OBJECT, str(ctx.path))
    return object_fact(ctx, value.func, LOSS_OBJECT)


def _changed_between(ctx: FileContext, bound: cst.CSTNode, at: cst.CSTNode) -> set[str]:
    """Names changed in place (``loss /= k``) between the value bound and ``at``."""
    scope = ctx.scope_of(at)
    return {dotted_name(aug.target) or "" for aug in D.nodes_in_scope(ctx, cst.AugAssign, scope)
            if ctx.index.before(bound, aug) and ctx.index.before(aug, at)}
