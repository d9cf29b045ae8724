"""NN306: one batch drawn before the training loop and reused on every step."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, positional, target_names


class SameBatchEveryStep(Rule):
    """``batch = next(iter(loader))`` outside the loop that trains on ``batch``."""

    code = "NN306"
    name = "same-batch-every-step"
    severity = Severity.WARNING
    message = (
        "the same batch is used on every training step: next(iter(loader)) is called once, "
        "outside the loop, and the loop never draws a new batch; iterate over the loader "
        "inside the loop (name the variable overfit_batch if this is deliberate)"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("next(",)
    needs = (Needs(calls=("next",)), Needs(calls=("iter",)),
             Needs(loop_calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS)))

    def check(self, ctx: FileContext) -> None:
        if D.is_test_module(ctx):
            return  # unit tests train on one fixed batch on purpose
        for call in ctx.index.calls:
            if not _is_next_of_iter(call) or ctx.index.enclosing_loops(call):
                continue
            statement = ctx.index.statement_of(call)
            if type(statement) is not cst.Assign or statement.value is not call:
                continue
            batch = {n for t in statement.targets for n in target_names(t.target)}
            loader = dotted_name(positional(positional(call)[0])[0])  # type: ignore[arg-type]
            names = [*batch, loader, D.function_name(ctx, call)]
            if not batch or any(D.is_debug_name(n) for n in names):
                continue
            if any(self._reuses(ctx, loop, batch) for loop in _later_loops(ctx, call)):
                ctx.report(call)

    @staticmethod
    def _reuses(ctx: FileContext, loop: cst.For | cst.While, batch: set[str]) -> bool:
        """A training loop that reads the batch and never draws or rebinds one."""
        if not D.is_training_loop(ctx, loop) or not D.mentions(loop.body, batch):
            return False
        if _rebinds(ctx, loop, batch):
            return False
        for call in D.calls_in(ctx, loop):
            name = dotted_name(call.func)
            if name in ("next", "iter") or (name or "").endswith(("next_batch", "get_batch")):
                return False
        # A loop over a loader or data draws its batches from there.
        return not (type(loop) is cst.For and not _is_counter(loop.iter))


def _is_next_of_iter(call: cst.Call) -> bool:
    if dotted_name(call.func) != "next" or len(call.args) != 1:
        return False
    inner = call.args[0].value
    return (type(inner) is cst.Call and dotted_name(inner.func) == "iter"
            and len(inner.args) == 1 and inner.args[0].keyword is None
            and dotted_name(inner.args[0].value) is not None)


def _later_loops(ctx: FileContext, call: cst.Call) -> list[cst.For | cst.While]:
    """Outermost loops of the same scope that come after ``call``."""
    scope = ctx.scope_of(call)
    at = D.order(ctx, call)
    return [loop for loop in ctx.index.loops
            if ctx.scope_of(loop) is scope and D.order(ctx, loop) > at
            and not ctx.index.enclosing_loops(loop)]


def _is_counter(expr: cst.BaseExpression) -> bool:
    """``range(n)``, ``trange(n)``, ``tqdm(range(n))``, ``itertools.count()``."""
    if type(expr) is not cst.Call:
        return False
    name = (dotted_name(expr.func) or "").rsplit(".", 1)[-1]
    if name in ("range", "trange", "count"):
        return True
    return name in ("tqdm", "enumerate") and any(
        _is_counter(arg.value) for arg in expr.args if arg.keyword is None
    )


def _rebinds(ctx: FileContext, loop: cst.For | cst.While, names: set[str]) -> bool:
    """The loop body binds a batch name anew, or loops over data itself."""
    for assign in D.descendants(ctx, loop.body, cst.Assign):
        bound = D.target_names(assign)
        if bound & names and not D.mentions(assign.value, names):
            return True  # ``x = x.to(device)`` keeps the batch; ``x = other`` does not
    for inner in D.descendants(ctx, loop.body, cst.For):
        if set(target_names(inner.target)) & names or not _is_counter(inner.iter):
            return True  # an inner loop over data draws batches
    return False
