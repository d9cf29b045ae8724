"""NN504: the learning-rate scheduler steps before the optimizer in an iteration."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import Event, EventKind, iterations, runs_before_on_condition
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import argument, dotted_name


class SchedulerStepBeforeOptimizerStep(Rule):
    """``scheduler.step()`` before ``optimizer.step()`` in the same iteration."""

    code = "NN504"
    name = "scheduler-step-before-optimizer-step"
    severity = Severity.WARNING
    message = (
        "scheduler.step() runs before optimizer.step() in this iteration: the first "
        "learning rate of the schedule is skipped and the schedule runs one step ahead; "
        "call scheduler.step() after optimizer.step()"
    )
    frameworks = ("torch",)
    triggers = ("step(",)
    needs = (Needs(loop_calls=("step",)),)

    def check(self, ctx: FileContext) -> None:
        for iteration in iterations(ctx, outer=True):
            # The optimizer steps of an inner loop count (an epoch loop that steps the
            # scheduler before its batch loop); an inner loop's scheduler steps belong to
            # that loop's own iterations.
            events = [e for e in iteration.events
                      if (e.kind is EventKind.STEP)
                      or (e.kind is EventKind.SCHEDULER_STEP and not e.nested)]
            for position, event in enumerate(events):
                if event.kind is not EventKind.SCHEDULER_STEP or event.has_arguments:
                    continue
                if any(e.kind is EventKind.STEP for e in events[:position]):
                    continue
                target = _scheduled_optimizer(ctx, event)
                for later in events[position + 1:]:
                    if later.kind is EventKind.STEP and runs_before_on_condition(
                            ctx, iteration.loop, event, later) and (
                        target is None or later.receiver in (None, target)
                    ):
                        ctx.report(event.anchor)
                        break


def _scheduled_optimizer(ctx: FileContext, event: Event) -> str | None:
    """The optimizer a scheduler was built on, when its constructor is visible."""
    node = event.node
    if type(node) is not cst.Call or type(node.func) is not cst.Attribute:
        return None
    value = ctx.value(node.func.value)
    built = value.node if value is not None else None
    if type(built) is not cst.Call:
        return None
    optimizer = argument(built, 0, "optimizer")
    if optimizer is None or type(optimizer) is cst.SimpleString:
        optimizer = argument(built, None, "optimizer")
    return dotted_name(optimizer) if optimizer is not None else None
