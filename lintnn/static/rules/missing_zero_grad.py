"""NN501: a training loop that never clears the gradients."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import EventKind, Iteration, iterations
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, method_name


class MissingZeroGrad(Rule):
    """``backward()`` and ``step()`` in a loop, and no ``zero_grad()`` in the iteration."""

    code = "NN501"
    name = "missing-zero-grad"
    severity = Severity.ERROR
    message = (
        "this training loop calls backward() and step() but never zero_grad(): gradients "
        "add up across iterations, so every step uses the sum of all past gradients; call "
        "optimizer.zero_grad() once per step"
    )
    frameworks = ("torch",)
    triggers = ("backward",)
    absent = ("grad",)
    needs = (Needs(loop_calls=("step",)), Needs(loop_calls=("backward",)))

    def check(self, ctx: FileContext) -> None:
        for iteration in iterations(ctx):
            steps = iteration.of(EventKind.STEP)
            if not steps or not iteration.of(EventKind.BACKWARD, nested=None):
                continue
            if iteration.uses_closure or iteration.of(
                EventKind.ZERO_GRAD, EventKind.OPAQUE_BACKWARD, nested=None
            ):
                continue
            names = {s.receiver for s in steps}
            if _optimizer_escapes(ctx, iteration, names) or _built_each_iteration(
                ctx, iteration, names
            ):
                continue
            ctx.report(steps[0].anchor)


def _built_each_iteration(ctx: FileContext, iteration: Iteration, names: set[str | None]) -> bool:
    """A fresh optimizer per iteration steps once: a check, not a training loop."""
    for call in ctx.index.calls:
        if not ctx.index.is_inside(call, iteration.loop):
            continue
        _, entry = ctx.callee(call)
        if entry is None or R.OPTIMIZER not in entry.roles:
            continue
        statement = ctx.index.statement_of(call)
        if type(statement) is cst.Assign and statement.value is call and any(
            dotted_name(t.target) in names for t in statement.targets
        ):
            return True
    return False


def _optimizer_escapes(ctx: FileContext, iteration: Iteration, names: set[str | None]) -> bool:
    """The optimizer is handed to code we cannot see, which may clear its gradients."""
    if None in names:
        return True
    known = {e.node for e in iteration.events} | {e.site for e in iteration.events}
    for call in ctx.index.calls:
        if call in known or not ctx.index.is_inside(call, iteration.loop):
            continue
        if method_name(call) == "step":
            continue
        for arg in call.args:
            if type(arg.value) in (cst.Name, cst.Attribute) and dotted_name(arg.value) in names:
                return True
    return False
