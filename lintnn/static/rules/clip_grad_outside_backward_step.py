"""NN505: gradient clipping where there are no fresh gradients to clip."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import Event, EventKind, compatible, iterations, runs_before
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext

_ORDERED = (EventKind.BACKWARD, EventKind.OPAQUE_BACKWARD, EventKind.STEP)


class ClipGradOutsideBackwardStep(Rule):
    """Clipping before ``backward()`` or after ``step()``: the update is not clipped."""

    code = "NN505"
    name = "clip-grad-outside-backward-step"
    severity = Severity.ERROR
    message = (
        "gradient clipping runs after optimizer.step() and before the next backward(): "
        "the update it was meant to bound has already been applied; clip between "
        "backward() and step()"
    )
    frameworks = ("torch",)
    triggers = ("clip_grad",)
    needs = (Needs(loop_calls=("clip_grad_norm_", "clip_grad_value_", "clip_grad_norm")),
             Needs(loop_calls=("step",)), Needs(loop_calls=("backward", "manual_backward")))

    def check(self, ctx: FileContext) -> None:
        for iteration in iterations(ctx):
            if iteration.uses_closure:
                continue
            events = [e for e in iteration.events if not e.nested
                      and e.kind in (*_ORDERED, EventKind.CLIP)]
            kinds = {e.kind for e in events}
            if EventKind.STEP not in kinds or not kinds & {_ORDERED[0], _ORDERED[1]}:
                continue
            for position, clip in enumerate(events):
                if clip.kind is EventKind.CLIP and _previous_is_step(events, position):
                    ctx.report(clip.anchor)


def _previous_is_step(events: list[Event], position: int) -> bool:
    """Going back from the clip (into the previous iteration), the last event is a step."""
    clip = events[position]
    for event in reversed(events[:position]):
        if event.kind not in _ORDERED or not compatible(event, clip):
            continue
        if not runs_before(event, clip):
            return False  # may or may not have run: unsure
        return event.kind is EventKind.STEP
    for event in reversed(events[position + 1:]):
        if event.kind not in _ORDERED or not compatible(event, clip):
            continue
        if event.guard:
            return False
        return event.kind is EventKind.STEP
    return False
