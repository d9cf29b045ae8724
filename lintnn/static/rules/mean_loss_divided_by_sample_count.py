"""NN513: a sum of per-batch mean losses divided by the number of samples."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.losses import LOSS_ROLES, loss_call, strip_to_number
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import dotted_name, keyword, positional
from lintnn.static.syntax.nodes import string_value as text

# What turns a loss tensor into a number without changing its value.
# ``sum``/``mean`` of a scalar (an averaged loss) keep it; of an unreduced one, the
# reduction check below refuses the loss first.
# ``total += loss.sum().item()`` still adds the batch loss (a scalar: the sum is itself).
_REDUCTIONS = frozenset({"sum", "mean"})


class MeanLossDividedBySampleCount(Rule):
    """``total += criterion(out, y).item()`` over a loader, then
    ``total /= len(loader.dataset)``: the mean of each batch is divided again by its size."""

    code = "NN513"
    name = "mean-loss-divided-by-sample-count"
    severity = Severity.WARNING
    message = (
        "the sum of per-batch mean losses is divided by the number of samples: the reported "
        "loss is about batch_size times too small (and changes with the batch size); divide "
        "by the number of batches, len(loader), or sum per-sample losses "
        "(loss.item() * x.size(0), or reduction='sum')"
    )
    frameworks = ("torch",)
    triggers = ("dataset",)
    needs = (Needs(names=("dataset",)), Needs(calls=("len",)), Needs(roles=tuple(LOSS_ROLES)))

    def check(self, ctx: FileContext) -> None:
        for node in D.nodes_of(ctx, cst.AugAssign):
            if isinstance(node.operator, cst.DivideAssign):  # type: ignore[attr-defined]
                self._check_division(ctx, node, node.target, node.value)  # type: ignore[attr-defined]
        for node in D.nodes_of(ctx, cst.BinaryOperation):
            if isinstance(node.operator, cst.Divide):  # type: ignore[attr-defined]
                self._check_division(ctx, node, node.left, node.right)  # type: ignore[attr-defined]

    def _check_division(self, ctx: FileContext, node: cst.CSTNode,
                        total: cst.BaseExpression, divisor: cst.BaseExpression) -> None:
        if isinstance(divisor, cst.Name):  # ``size = len(loader.dataset)`` earlier
            assigned = ctx.last_assignment(divisor.value, node)
            if assigned is None or len(assigned.targets) != 1:
                return
            divisor = assigned.value
        loader = _dataset_length_of(divisor)
        name = dotted_name(total)
        if loader is None or name is None:
            return
        scope = ctx.scope_of(node)
        loops = [loop for loop in ctx.index.within(ctx.index.loops, scope)
                 if isinstance(loop, cst.For) and loader in D.iterated_names(loop.iter)
                 and ctx.scope_of(loop) is scope and ctx.index.before(loop, node)
                 and loop not in ctx.index.enclosing_loops(node)]
        if not loops:
            return
        loop = loops[-1]
        added = _additions(ctx, scope, name)
        inside = [value for statement, value in added if loop in ctx.index.enclosing_loops(
            statement)]
        if inside and len(inside) == len(added) and all(
                _mean_loss(ctx, value, loop) for value in inside):
            ctx.report(node)


def _dataset_length_of(divisor: cst.BaseExpression) -> str | None:
    """``loader`` in ``len(loader.dataset)``."""
    if not (isinstance(divisor, cst.Call) and dotted_name(divisor.func) == "len"):
        return None
    args = positional(divisor)
    if len(args) != 1 or not isinstance(args[0], cst.Attribute) \
            or args[0].attr.value != "dataset":
        return None
    return dotted_name(args[0].value)



def _additions(ctx: FileContext, scope: cst.CSTNode,
               name: str) -> list[tuple[cst.CSTNode, cst.BaseExpression]]:
    """Every ``name += value`` and ``name = name + value`` in ``scope`` (not in nested
    functions), with the value added."""
    found: list[tuple[cst.CSTNode, cst.BaseExpression]] = []
    for node in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if dotted_name(node.target) == name \
                and isinstance(node.operator, cst.AddAssign):
            found.append((node, node.value))
    for node in D.nodes_in_scope(ctx, cst.Assign, scope):
        if len(node.targets) != 1 \
                or dotted_name(node.targets[0].target) != name:
            continue
        value = node.value
        if isinstance(value, cst.BinaryOperation) and isinstance(value.operator, cst.Add):
            if dotted_name(value.left) == name:
                found.append((node, value.right))
            elif dotted_name(value.right) == name:
                found.append((node, value.left))
    return found


def _mean_loss(ctx: FileContext, value: cst.BaseExpression, loop: cst.CSTNode) -> bool:
    """``criterion(out, y).item()``, or ``loss.item()`` with ``loss = criterion(out, y)``
    in the loop: one batch's loss averaged over the batch (the default reduction)."""
    value = strip_to_number(value, _REDUCTIONS)
    if isinstance(value, cst.Name):
        assigned = ctx.last_assignment(value.value, value)
        if assigned is None or loop not in ctx.index.enclosing_loops(assigned) \
                or len(assigned.targets) != 1:
            return False
        value = assigned.value
    if not isinstance(value, cst.Call):
        return False
    found = loss_call(ctx, value)
    if found is None:
        return False
    constructor = _constructor(ctx, value)
    return _averages(value) and (constructor is None or _averages(constructor))




def _constructor(ctx: FileContext, call: cst.Call) -> cst.Call | None:
    """The ``nn.CrossEntropyLoss(...)`` a criterion instance was built by, if known."""
    instance = ctx.value(call.func)
    if instance is None or instance.kind is not Kind.INSTANCE:
        return None
    return instance.node if isinstance(instance.node, cst.Call) else None


def _averages(call: cst.Call) -> bool:
    """No argument says otherwise than the default mean over the batch."""
    if keyword(call, "size_average") is not None or keyword(call, "reduce") is not None:
        return False
    reduction = keyword(call, "reduction")
    return reduction is None or text(reduction) == "mean"
