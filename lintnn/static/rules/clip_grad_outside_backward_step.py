"""NN505: gradient clipping where there are no fresh gradients to clip."""

from __future__ import annotations

import libcst as cst

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
        reported: set[cst.CSTNode] = set()
        for iteration in iterations(ctx):
            if iteration.uses_closure:
                continue
            events = [e for e in iteration.events if not e.nested
                      and e.kind in (*_ORDERED, EventKind.CLIP, EventKind.ZERO_GRAD)]
            kinds = {e.kind for e in events}
            if EventKind.STEP not in kinds or not kinds & {_ORDERED[0], _ORDERED[1]}:
                continue
            for position, clip in enumerate(events):
                if clip.kind is not EventKind.CLIP:
                    continue
                found = _previous_step(events, position)
                if found is None:
                    continue
                step, cleared = found
                # All in one call of a helper (``train(model, optim, x, t)``): the helper's
                # own order is wrong; report the clip there.
                where = clip.node if step.site is clip.site else clip.anchor
                if where not in reported:
                    reported.add(where)
                    ctx.report(where, _CLEARED if cleared else None)


_CLEARED = (
    "gradient clipping runs after zero_grad() and before backward(): it clips gradients "
    "that were just cleared, and the new gradients that optimizer.step() applies are never "
    "clipped; clip between backward() and step()"
)


def _previous_step(events: list[Event], position: int) -> tuple[Event, bool] | None:
    """Going back from the clip (into the previous iteration), the step that is the last
    training event, and whether gradients were cleared between it and the clip."""
    clip = events[position]
    cleared = False
    for event in reversed(events[:position]):
        if not compatible(event, clip):
            continue
        if not runs_before(event, clip):
            if event.kind in _ORDERED:
                return None  # may or may not have run: unsure
            continue
        if event.kind is EventKind.ZERO_GRAD:
            cleared = True
            continue
        return (event, cleared) if event.kind is EventKind.STEP else None
    for event in reversed(events[position + 1:]):
        if event.kind not in _ORDERED or not compatible(event, clip):
            continue
        if event.guard:
            return None
        return (event, cleared) if event.kind is EventKind.STEP else None
    return None
