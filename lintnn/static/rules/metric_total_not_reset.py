"""NN518: a per-epoch metric computed from a total that is never reset between epochs."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.after_loop import binds
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import (
    dotted_name,
    method_name,
    names_in,
    positional,
    target_names,
)

# Calls that take a list's mean over all its items (``np.mean(accs)``).
_MEANS = frozenset({"mean", "average", "nanmean", "fmean", "median"})
# Wrappers that turn a list into an array without changing what is averaged.
_ARRAYS = frozenset({"array", "asarray", "tensor", "as_tensor", "stack", "cat", "Tensor"})
# Conversions that keep a number's value (``float(total)``, ``correct.item()``).
_SAME_NUMBER = frozenset({"float", "int", "item", "cpu", "numpy", "double", "detach", "tolist"})
# Methods that empty a list in place: a reset.
_EMPTIES = frozenset({"clear"})


class MetricTotalNotReset(Rule):
    """``correct = 0`` before ``for epoch in ...``, ``correct += ...`` per batch, and
    ``correct / len(loader.dataset)`` printed every epoch: the count is never reset, so
    each epoch's figure adds up all the epochs before it."""

    code = "NN518"
    name = "metric-total-not-reset"
    severity = Severity.WARNING
    message = (
        "this per-epoch figure is computed from `{name}`, which is totalled over the batches "
        "but set only once, before the epoch loop: it is never reset, so every epoch adds to "
        "the previous epochs' total and the figure reported for an epoch mixes all of them; "
        "set it to zero (or an empty list) at the start of each epoch"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("+=", "append(")
    absent = ("",)
    needs = (Needs(words=lambda word: "epoch" in word.lower()),
             Needs(loop_calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS)))

    def check(self, ctx: FileContext) -> None:
        for epoch_loop in ctx.index.loops:
            batch_loops = _passes_inside(ctx, epoch_loop)
            if not batch_loops or not _over_epochs(ctx, epoch_loop, batch_loops):
                continue
            totals = _running_totals(ctx, epoch_loop, batch_loops)
            for name, is_list in totals.items():
                read = _per_epoch_read(ctx, name, is_list, epoch_loop, batch_loops, totals)
                if read is not None:
                    ctx.report(read, self.message.format(name=name))


def _passes_inside(ctx: FileContext, loop: cst.CSTNode) -> list[cst.For]:
    """The ``for`` loops directly inside ``loop`` (no loop between): its passes over data."""
    return [inner for inner in D.descendants(ctx, loop, cst.For)
            if inner is not loop and ctx.index.innermost_loop(inner) is loop]



def _over_epochs(ctx: FileContext, loop: cst.CSTNode, passes: list[cst.For]) -> bool:
    """A loop whose target says epoch (``for epoch in range(n)``), or that holds a pass
    taking optimizer steps itself (not in a loop of its own: a loop over folds holds
    whole trainings): each of its turns is one more epoch."""
    if type(loop) is cst.For and any(
            "epoch" in name.lower() for name in target_names(loop.target)):
        return True
    return any(D.is_training_loop(ctx, inner) and not any(
        D.is_training_loop(ctx, nested) for nested in D.descendants(ctx, inner, cst.For)
        if nested is not inner) for inner in passes)


def _running_totals(ctx: FileContext, epoch_loop: cst.CSTNode,
                    passes: list[cst.For]) -> dict[str, bool]:
    """Plain names added to inside a pass (``n += ...``, ``accs.append(...)``), bound before
    the epoch loop and never bound or emptied inside it: (name, is it a list)."""
    found: dict[str, bool] = {}
    for inner in passes:
        for aug in D.descendants(ctx, inner, cst.AugAssign):
            if type(aug.operator) is cst.AddAssign and type(aug.target) is cst.Name:
                found.setdefault(aug.target.value, False)
        for call in D.calls_in(ctx, inner):
            if method_name(call) == "append" and type(call.func) is cst.Attribute and \
                    type(call.func.value) is cst.Name:
                found.setdefault(call.func.value.value, True)
    return {name: is_list for name, is_list in found.items()
            if _set_once_before(ctx, name, epoch_loop)
            and not _emptied_inside(ctx, name, epoch_loop)}


def _set_once_before(ctx: FileContext, name: str, epoch_loop: cst.CSTNode) -> bool:
    """``name`` is bound (``=``) before the epoch loop in its scope and nowhere in it but
    by ``+=``: one start value for all the epochs."""
    scope = ctx.scope_of(epoch_loop)
    inside = [n for n in binds(ctx, name, epoch_loop) if type(n) is not cst.AugAssign]
    if inside:
        return False
    start = D.order(ctx, epoch_loop)
    before = [a for a in D.assignments_in(ctx, scope)
              if name in D.target_names(a) and D.order(ctx, a) < start]
    return bool(before) and _starts_empty(_value_bound(before[-1], name))


def _value_bound(assign: cst.Assign, name: str) -> cst.BaseExpression | None:
    """What ``assign`` binds to ``name``: its value, or its part of a tuple unpacking."""
    for target in assign.targets:
        if type(target.target) is cst.Name and target.target.value == name:
            return assign.value
        if type(target.target) in (cst.Tuple, cst.List) and type(
                assign.value) in (cst.Tuple, cst.List):
            names = [dotted_name(e.value) for e in target.target.elements]
            values = assign.value.elements
            if name in names and len(names) == len(values):
                return values[names.index(name)].value
    return None


def _starts_empty(value: cst.BaseExpression | None) -> bool:
    """``0``, ``0.0``, ``[]`` or ``list()``: a total that starts from nothing (a bounded
    ``deque(maxlen=k)`` or a value carried in is not one)."""
    if type(value) in (cst.Integer, cst.Float):
        return float(value.evaluated_value) == 0
    if type(value) is cst.List:
        return not value.elements
    return type(value) is cst.Call and dotted_name(value.func) == "list" and not value.args


def _emptied_inside(ctx: FileContext, name: str, epoch_loop: cst.CSTNode) -> bool:
    """``name.clear()``, ``del name[:]`` or ``name[:] = []`` in the epoch loop."""
    for call in D.calls_in(ctx, epoch_loop):
        if method_name(call) in _EMPTIES and type(call.func) is cst.Attribute and \
                dotted_name(call.func.value) == name:
            return True
    for node in D.descendants(ctx, epoch_loop, cst.Subscript):
        if dotted_name(node.value) == name and isinstance(ctx.index.parent(node),
                                                            cst.AssignTarget):
            return True
    return any(D.mentions(node, {name}) for node in D.descendants(ctx, epoch_loop, cst.Del))


def _per_epoch_read(ctx: FileContext, name: str, is_list: bool, epoch_loop: cst.CSTNode,
                    passes: list[cst.For], totals: dict[str, bool]) -> cst.CSTNode | None:
    """The first per-epoch figure made of the total, in the epoch loop after a pass that
    adds to it: a division by or of the number, or the mean of the whole list."""
    last_pass_end = max(ctx.index.span(inner)[1] for inner in passes
                        if _adds_to(ctx, name, inner))
    for node in D.descendants(ctx, epoch_loop, cst.Name):
        if node.value != name or ctx.index.order.get(node, 0) <= last_pass_end:
            continue
        if any(ctx.index.is_inside(node, inner) for inner in passes):
            continue
        figure = _mean_of_list(ctx, node) if is_list else _division_of(ctx, node, totals)
        if figure is not None:
            return figure
    return None


def _adds_to(ctx: FileContext, name: str, inner: cst.For) -> bool:
    if any(type(a.target) is cst.Name and a.target.value == name
           for a in D.descendants(ctx, inner, cst.AugAssign)):
        return True
    return any(method_name(c) == "append" and type(c.func) is cst.Attribute
               and dotted_name(c.func.value) == name for c in D.calls_in(ctx, inner))


def _through_conversions(ctx: FileContext, node: cst.CSTNode) -> cst.CSTNode:
    """``node`` widened over value-keeping conversions: ``float(n)``, ``n.item()``,
    ``n.cpu().numpy()``."""
    current = node
    while True:
        parent = ctx.index.parent(current)
        if type(parent) is cst.Attribute and parent.value is current and \
                parent.attr.value in _SAME_NUMBER:
            call = ctx.index.parent(parent)
            if type(call) is cst.Call and call.func is parent and not call.args:
                current = call
                continue
        if type(parent) is cst.Arg:
            call = ctx.index.parent(parent)
            if type(call) is cst.Call and len(call.args) == 1 and \
                    dotted_name(call.func) in _SAME_NUMBER:
                current = call
                continue
        return current


def _division_of(ctx: FileContext, node: cst.Name,
                 totals: dict[str, bool]) -> cst.CSTNode | None:
    """``total / n`` or ``k / total``, where the other side restarts every epoch (it is
    not itself one of the running ``totals``): the division, else None."""
    operand = _through_conversions(ctx, node)
    parent = ctx.index.parent(operand)
    if type(parent) is not cst.BinaryOperation or type(
            parent.operator) not in (cst.Divide, cst.FloorDivide):
        return None
    other = parent.right if parent.left is operand else parent.left
    if {n.value for n in names_in(other)} & totals.keys():
        return None  # running total over running total: a mean over all epochs, meant
    return parent


def _mean_of_list(ctx: FileContext, node: cst.Name) -> cst.CSTNode | None:
    """``np.mean(accs)``, ``torch.tensor(accs).mean()``, ``sum(accs) / len(accs)``: a
    figure over every item of the list, else None (a slice ``accs[-k:]`` is not one)."""
    current: cst.CSTNode = node
    parent = ctx.index.parent(current)
    # Through one array wrapper: np.array(accs), torch.tensor(accs), torch.stack(accs).
    if type(parent) is cst.Arg:
        call = ctx.index.parent(parent)
        if type(call) is cst.Call and positional(call)[:1] == [node] and (
                (dotted_name(call.func) or "").rsplit(".", 1)[-1] in _ARRAYS):
            current = call
            parent = ctx.index.parent(current)
    if type(parent) is cst.Attribute and parent.value is current and \
            parent.attr.value in _MEANS:
        call = ctx.index.parent(parent)
        if type(call) is cst.Call and call.func is parent:
            return call
    if type(parent) is cst.Arg:
        call = ctx.index.parent(parent)
        if type(call) is cst.Call and positional(call)[:1] == [current]:
            callee = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
            if callee in _MEANS:
                return call
            if callee == "sum" and current is node:
                division = ctx.index.parent(call)
                if type(division) is cst.BinaryOperation and division.left is call and \
                        type(division.operator) is cst.Divide:
                    return division
    return None
