"""NN517: an evaluation loss reported from the last batch only."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.after_loop import binds, reads_after
from lintnn.static.analyses.loops import conditional_within
from lintnn.static.analyses.losses import LOSS_ROLES, loss_call, strip_to_number
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, keyword, target_names

# What turns a loss tensor into a number without changing its value.
# Words of a function that trains (``train_one_epoch(model)``, ``model.fit(...)``).
_TRAINING_WORDS = frozenset({"train", "training", "fit", "finetune"})


class MetricFromLastBatch(Rule):
    """``for x, y in val_loader: loss = criterion(model(x), y); correct += ...``, then
    ``loss.item()`` reported after the loop: the last batch's loss, not the set's."""

    code = "NN517"
    name = "metric-from-last-batch"
    severity = Severity.WARNING
    message = (
        "this loss is read after the evaluation loop that computes it per batch: it is "
        "the last batch's loss, not the loss over the whole set (the loop accumulates "
        "other totals, but not this one); sum it per batch (total += loss.item() * "
        "x.size(0)) and divide by the number of samples"
    )
    frameworks = ("torch", "jax")
    triggers = ("+=",)
    needs = (Needs(roles=tuple(LOSS_ROLES)),)

    def check(self, ctx: FileContext) -> None:
        for loop in D.nodes_of(ctx, cst.For):
            if D.is_training_loop(ctx, loop) or _over_epochs(
                    ctx, loop) or not _accumulates(ctx, loop):  # type: ignore[arg-type]
                continue
            if _one_batch(ctx, loop):  # type: ignore[arg-type]
                continue
            for assign in D.descendants(ctx, loop, cst.Assign):
                name = _per_batch_loss(ctx, assign, loop)
                if name is None:
                    continue
                reads = [r for r in reads_after(ctx, name, loop)
                         if not _into_checkpoint(ctx, r)]
                if reads:
                    ctx.report(reads[0])


def _over_epochs(ctx: FileContext, loop: cst.For) -> bool:
    """``for epoch in ...``, or a loop that calls a training function (``train(model)``):
    one pass per epoch, whose last validation loss is the one to report."""
    if any("epoch" in D.words(name) for name in target_names(loop.target)):
        return True
    return any(_TRAINING_WORDS & set(D.words((dotted_name(call.func) or "").rsplit(".", 1)[-1]))
               for call in D.calls_in(ctx, loop))


def _accumulates(ctx: FileContext, loop: cst.CSTNode) -> bool:
    """``correct += ...`` in the loop itself (not in a loop nested in it): the author
    totals something over the batches."""
    return any(type(aug.operator) is cst.AddAssign
               and ctx.index.innermost_loop(aug) is loop
               for aug in D.descendants(ctx, loop, cst.AugAssign))



def _per_batch_loss(ctx: FileContext, assign: cst.Assign, loop: cst.CSTNode) -> str | None:
    """``loss = criterion(out, y)`` (or its ``.item()``) bound on every pass of ``loop``
    and nowhere else in it: the name, else None."""
    if len(assign.targets) != 1 or type(assign.targets[0].target) is not cst.Name:
        return None
    if ctx.index.innermost_loop(assign) is not loop or conditional_within(ctx, assign, loop):
        return None
    value = strip_to_number(assign.value)
    if type(value) is not cst.Call or loss_call(ctx, value) is None:
        return None
    name = assign.targets[0].target.value
    if len(binds(ctx, name, loop)) != 1:
        return None  # also bound otherwise in the loop (``loss += ...``, a second pass)
    return name






# Calls that write what they are given to a file: a checkpoint.
_SAVING_CALLS = frozenset({"save", "save_checkpoint"})


def _into_checkpoint(ctx: FileContext, read: cst.BaseExpression) -> bool:
    """``torch.save({..., 'loss': loss}, path)`` (also ``loss.item()``, and through
    ``state = {...}; torch.save(state, path)``): an entry of a checkpoint saved for
    resuming, bookkeeping rather than a metric reported."""
    entry = next((a for a in ctx.index.ancestors(read)
                  if isinstance(a, (cst.DictElement, cst.BaseSmallStatement))), None)
    if type(entry) is not cst.DictElement or not ctx.index.is_inside(read, entry.value):
        return False
    mapping = ctx.index.parent(entry)
    user = ctx.index.parent(mapping)
    if type(user) is cst.Arg and user.value is mapping:
        return _saves(ctx.index.parent(user))
    if not (type(user) is cst.Assign and user.value is mapping and len(user.targets) == 1
            and type(user.targets[0].target) is cst.Name):
        return False
    name = user.targets[0].target.value
    return any(_saves(call) and any(type(a.value) is cst.Name and a.value.value == name
                                    for a in call.args)
               for call in D.nodes_in_scope(ctx, cst.Call, ctx.scope_of(user))
               if ctx.index.before(user, call))


def _saves(call: cst.CSTNode | None) -> bool:
    return type(call) is cst.Call and (
        dotted_name(call.func) or "").rsplit(".", 1)[-1] in _SAVING_CALLS


def _one_batch(ctx: FileContext, loop: cst.For) -> bool:
    """A loop over a loader built with ``batch_size=len(...)``: one batch, the whole set."""
    for name in D.iterated_names(loop.iter):
        assigned = ctx.last_assignment(name, loop)
        value = assigned.value if assigned is not None else None
        size = keyword(value, "batch_size") if type(value) is cst.Call else None
        if type(size) is cst.Call and dotted_name(size.func) == "len":
            return True
    return False
