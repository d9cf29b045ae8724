"""NN503: gradients computed and never applied, or an update without gradients."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import (
    EventKind,
    Iteration,
    calls_in,
    is_optimizer_name,
    iterations,
)
from lintnn.static.analyses.losses import loss_call
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.memo import subtree_memo
from lintnn.static.syntax.nodes import dotted_name, method_name
from lintnn.static.syntax.visitor import cst_visitor, walk

_GRADIENT_CALLS = frozenset({"grad", "value_and_grad", "apply_gradients", "closure"})
_HARMLESS = frozenset({"print", "float", "len", "str", "repr", "format", "isinstance"})


class BackwardWithoutStep(Rule):
    """A loop that runs backward() with no optimizer step, or steps with no backward()."""

    code = "NN503"
    name = "backward-without-step"
    severity = Severity.ERROR
    message = (
        "backward() runs in this loop but the optimizer never steps: gradients are "
        "computed and thrown away, the model does not learn; call optimizer.step() "
        "after backward()"
    )
    frameworks = ("torch",)
    triggers = ("backward", ".step(")
    absent = ("",)
    needs = (Needs(loop_calls=("backward", "manual_backward", "step")),)

    def check(self, ctx: FileContext) -> None:
        for iteration in iterations(ctx):
            scope = ctx.scope_of(iteration.loop)
            if iteration.uses_closure:
                continue
            if iteration.of(EventKind.BACKWARD) and not iteration.of(
                EventKind.STEP, nested=None
            ):
                self._backward_only(ctx, iteration)
            elif iteration.of(EventKind.STEP) and not iteration.of(
                EventKind.BACKWARD, EventKind.OPAQUE_BACKWARD, nested=None
            ):
                self._step_only(ctx, iteration, scope)

    def _backward_only(self, ctx: FileContext, iteration: Iteration) -> None:
        """Only when an optimizer is clearly in use here (its zero_grad is in the loop)."""
        optimizers = {
            e.receiver for e in iteration.of(EventKind.ZERO_GRAD, nested=None)
            if e.receiver is not None and _is_optimizer(ctx, e)
        }
        if not optimizers:
            return
        for region in _stepping_region(ctx, iteration.loop):
            for call in calls_in(region):
                name = method_name(call) or dotted_name(call.func) or ""
                if name.rsplit(".", 1)[-1] in ("step", "apply_gradients", "optimizer_step"):
                    return
                if any(dotted_name(arg.value) in optimizers for arg in call.args):
                    return  # handed to code that may step it
        ctx.report(iteration.of(EventKind.BACKWARD)[0].anchor)

    def _step_only(self, ctx: FileContext, iteration: Iteration, scope: cst.CSTNode) -> None:
        """Only when the loss is computed in the loop and visibly goes nowhere else."""
        if any(e.has_arguments for e in iteration.of(EventKind.STEP, nested=None)):
            return
        calls = ctx.index.within(ctx.index.calls, scope)
        for call in calls:
            name = (method_name(call) or ctx.qualname(call.func) or dotted_name(call.func) or "")
            last = name.rsplit(".", 1)[-1]
            if "backward" in last or last in _GRADIENT_CALLS:
                return
        if _assigns_grad(ctx, scope):
            return
        losses = _loss_names(ctx, iteration, calls)
        if not losses:
            return
        for call in calls:
            name = dotted_name(call.func) or ""
            if name in _HARMLESS or name.split(".")[0] in losses:
                continue
            if any(type(a.value) is cst.Name and a.value.value in losses for a in call.args):
                return  # the loss goes to code that may run backward
        step = iteration.of(EventKind.STEP)[0]
        ctx.report(step.anchor, (
            "the optimizer steps in this loop but no backward() computes gradients: the "
            "update uses stale (or no) gradients; call loss.backward() before step()"))


def _stepping_region(ctx: FileContext, loop: cst.CSTNode) -> list[cst.CSTNode]:
    """Where a step for this loop's gradients could be: the loop nest, and what follows
    it in its block up to the next loop or definition (accumulate, then step)."""
    outer = ctx.index.enclosing_loops(loop)
    nest = outer[-1] if outer else loop
    block = ctx.index.parent(nest)
    body = list(getattr(block, "body", ()))
    region: list[cst.CSTNode] = [nest]
    if nest in body:
        for stmt in body[body.index(nest) + 1:]:
            if type(stmt) in (cst.For, cst.While, cst.FunctionDef, cst.ClassDef):
                break
            region.append(stmt)
    return region


def _is_optimizer(ctx: FileContext, event: object) -> bool:
    node = event.node  # type: ignore[attr-defined]
    receiver = node.func.value if type(node) is cst.Call and type(
        node.func) is cst.Attribute else None
    value = ctx.value(receiver) if receiver is not None else None
    if value is not None and value.kind is not Kind.REF and value.roles:
        return R.OPTIMIZER in value.roles
    return is_optimizer_name(event.receiver or "")  # type: ignore[attr-defined]


def _assigns_grad(ctx: FileContext, scope: cst.CSTNode) -> bool:
    """``p.grad = g`` (gradients computed with autograd.grad and set by hand)."""
    return _grad_assigned(scope)


@subtree_memo
def _grad_assigned(scope: cst.CSTNode) -> bool:
    finder = _GradAssignment()
    walk(scope, finder)
    return finder.found


@cst_visitor
class _GradAssignment:
    found = False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if type(node.target) is cst.Attribute and node.target.attr.value == "grad":
            self.found = True


def _loss_names(ctx: FileContext, iteration: Iteration, calls: list[cst.Call]) -> set[str]:
    names = set()
    for call in calls:
        if not ctx.index.is_inside(call, iteration.loop) or loss_call(ctx, call) is None:
            continue
        statement = ctx.index.statement_of(call)
        if type(statement) is cst.Assign:
            for target in statement.targets:
                if type(target.target) is cst.Name:
                    names.add(target.target.value)
    return names
