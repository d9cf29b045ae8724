"""NN502: gradients cleared after backward() and before the optimizer step."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import Event, EventKind, iterations, runs_before
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext

_BACKWARDS = (EventKind.BACKWARD, EventKind.OPAQUE_BACKWARD)


class ZeroGradBetweenBackwardAndStep(Rule):
    """``loss.backward(); optimizer.zero_grad(); optimizer.step()``: the step sees zeros."""

    code = "NN502"
    name = "zero-grad-between-backward-and-step"
    severity = Severity.ERROR
    message = (
        "zero_grad() runs after backward() and before step(): the gradients just computed "
        "are erased and the optimizer steps with zero gradients; clear them before the "
        "forward pass or after step()"
    )
    frameworks = ("torch",)
    triggers = ("zero_grad",)
    needs = (Needs(names=("zero_grad", "grad")), Needs(loop_calls=("step",)),
             Needs(loop_calls=("backward", "manual_backward")))

    def check(self, ctx: FileContext) -> None:
        for iteration in iterations(ctx):
            if iteration.uses_closure:
                continue
            events = [e for e in iteration.events if not e.nested]
            steps = {e.receiver for e in events if e.kind is EventKind.STEP}
            for position, zero in enumerate(events):
                if zero.kind is not EventKind.ZERO_GRAD:
                    continue
                before, after = events[:position], events[position + 1:]
                if not any(e.kind in _BACKWARDS and runs_before(e, zero) for e in before):
                    continue
                step = _next_step(zero, after)
                if step is not None and _same_optimizer(zero, step, steps):
                    ctx.report(zero.anchor)


def _next_step(zero: Event, after: list[Event]) -> Event | None:
    """The step that follows ``zero`` with no backward in between, on every path."""
    for event in after:
        if event.kind in _BACKWARDS:
            return None
        if event.kind is EventKind.STEP and runs_before(zero, event):
            return event
    return None


def _same_optimizer(zero: Event, step: Event, steps: set[str | None]) -> bool:
    """The cleared parameters are the stepped ones (or a whole model, with one optimizer)."""
    from lintnn.static.analyses.loops import is_optimizer_name

    if zero.receiver is not None and zero.receiver == step.receiver:
        return True
    if zero.receiver is not None and is_optimizer_name(zero.receiver):
        return False
    return len(steps) == 1
