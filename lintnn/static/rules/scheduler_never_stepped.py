"""NN511: a learning-rate scheduler built next to a training loop and never stepped."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.loops import EventKind, classify_step
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import argument, dotted_name


class SchedulerNeverStepped(Rule):
    """A scheduler held in a local name that is never stepped and never handed on."""

    code = "NN511"
    name = "scheduler-never-stepped"
    severity = Severity.WARNING
    message = (
        "this learning-rate scheduler is never stepped (and never passed on): the "
        "optimizer trains at the initial learning rate for the whole run; call "
        "scheduler.step() after optimizer.step() (per batch or per epoch, as the schedule "
        "expects)"
    )
    frameworks = ("torch",)
    triggers = ("lr_scheduler", "_schedule")
    absent = ("step",)
    needs = (Needs(roles=(R.SCHEDULER,)), Needs(calls=("step",)))

    def check(self, ctx: FileContext) -> None:
        for assign in D.nodes_of(ctx, cst.Assign):
            name = _scheduler_name(ctx, assign)  # type: ignore[arg-type]
            if name is None:
                continue
            region = ctx.scope_of(assign)
            if _is_used(ctx, name, region):
                continue
            optimizer = argument(assign.value, 0, "optimizer")  # type: ignore[attr-defined]
            if _optimizer_stepped(ctx, region, dotted_name(optimizer) if optimizer else None):
                ctx.report(assign.value)  # type: ignore[attr-defined]


def _scheduler_name(ctx: FileContext, assign: cst.Assign) -> str | None:
    """``name = <scheduler>(...)`` with a plain name as the only target."""
    if len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name:
        return None
    if type(assign.value) is not cst.Call:
        return None
    value = ctx.value(assign.value)
    if value is None or value.kind not in (Kind.INSTANCE, Kind.RESULT):
        return None
    return assign.targets[0].target.value if value.has(R.SCHEDULER) else None


def _is_used(ctx: FileContext, name: str, region: cst.CSTNode) -> bool:
    """Stepped (``name.step...``), or escaping: returned, passed, stored, put in a
    container, captured in any other way. Reading other attributes is not a use."""
    for node in D.reads_of(ctx, name, region):
        parent = ctx.index.parent(node)
        if not (type(parent) is cst.Attribute and parent.value is node):
            return True
        if parent.attr.value.startswith("step"):
            return True
    return False


def _optimizer_stepped(ctx: FileContext, region: cst.CSTNode, optimizer: str | None) -> bool:
    """An optimizer step in the region: on the scheduler's optimizer when that is known."""
    for call in ctx.index.calls:
        if not (type(call.func) is cst.Attribute and call.func.attr.value == "step"):
            continue
        if not ctx.index.is_inside(call, region):
            continue
        step = classify_step(ctx, call)
        if step is not None and step[0] is EventKind.STEP and (
            optimizer is None or step[1] == optimizer
        ):
            return True
    return False
