"""Shared analysis for loss rules: which calls are losses, and what they are fed."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lintnn.static.context import FileContext
from lintnn.static.dataflow import Kind, Value
from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Entry
from lintnn.static.nodes import argument, bool_value, keyword

LOSS_ROLES = frozenset({
    R.LOSS_SOFTMAX_LOGITS, R.LOSS_SIGMOID_LOGITS, R.LOSS_PROBABILITIES,
    R.LOSS_LOG_PROBABILITIES, R.LOSS_KERAS_FROM_LOGITS,
})


@dataclass(frozen=True)
class LossCall:
    """A call that computes a loss, with what kind of prediction it expects."""

    call: cst.Call
    entry: Entry
    expects: str  # one of the loss.* roles; keras losses resolved by their from_logits
    prediction: cst.BaseExpression | None
    name: str  # the loss as the user would name it, for messages


def loss_calls(ctx: FileContext) -> list[LossCall]:
    """Every loss computation in the file: ``F.cross_entropy(p, y)``, ``criterion(p, y)``."""
    found = []
    for call in ctx.index.calls:
        loss = loss_call(ctx, call)
        if loss is not None:
            found.append(loss)
    return found


def loss_call(ctx: FileContext, call: cst.Call) -> LossCall | None:
    qualname, entry = ctx.callee(call)
    constructor: cst.Call | None = call
    if entry is not None and entry.kind == "function" and entry.roles & LOSS_ROLES:
        name = (qualname or "").rsplit(".", 1)[-1]
    else:
        if not _may_be_instance(call.func):
            return None
        value = ctx.value(call.func)
        if value is None or value.kind is not Kind.INSTANCE or value.entry is None:
            return None
        entry = value.entry
        if not entry.roles & LOSS_ROLES:
            return None
        name = (value.qualname or "").rsplit(".", 1)[-1]
        constructor = value.node if isinstance(value.node, cst.Call) else None
    expects = _expects(entry, constructor)
    if expects is None:
        return None
    prediction = argument(call, entry.prediction.position, entry.prediction.keyword) \
        if entry.prediction else None
    return LossCall(call, entry, expects, prediction, name)


def _may_be_instance(func: cst.BaseExpression) -> bool:
    return isinstance(func, (cst.Name, cst.Attribute, cst.Call))


def _expects(entry: Entry, constructor: cst.Call | None) -> str | None:
    if R.LOSS_KERAS_FROM_LOGITS not in entry.roles:
        return next(iter(entry.roles & LOSS_ROLES))
    if constructor is None:
        return None
    from_logits = bool_value(keyword(constructor, "from_logits"))
    if keyword(constructor, "from_logits") is not None and from_logits is None:
        return None  # from_logits=some_variable: unknown
    binary = "Binary" in (entry.options.get("name", "") or "") or "binary" in str(constructor.func)
    if from_logits:
        return R.LOSS_SIGMOID_LOGITS if binary else R.LOSS_SOFTMAX_LOGITS
    return R.LOSS_PROBABILITIES


def made_by(value: Value | None, roles: frozenset[str]) -> str | None:
    """The role among ``roles`` that produced ``value`` (``makes.softmax``...), if known."""
    if value is None or value.kind is not Kind.RESULT:
        return None
    hit = value.roles & roles
    return next(iter(sorted(hit))) if hit else None
