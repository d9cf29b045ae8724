"""NN520: a per-batch total divided by the index of the last batch."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.losses import LOSS_ROLES, batch_loss
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, int_value, keyword, positional, target_names

# Calls that wrap ``enumerate(loader)`` for a progress bar and yield its items unchanged.
_PROGRESS = frozenset({"tqdm", "tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm"})


class TotalDividedByLastBatchIndex(Rule):
    """``for i, batch in enumerate(loader): total += loss.item()`` then ``total / i``:
    ``i`` ends at the number of batches minus one."""

    code = "NN520"
    name = "total-divided-by-last-batch-index"
    severity = Severity.WARNING
    message = (
        "`{total}` adds one loss per batch and is divided by `{index}`, the index of the "
        "last batch from enumerate (the number of batches minus one): the average is over "
        "one batch too few, and a single batch divides by zero; divide by `{index} + 1` "
        "or by the number of batches, len(loader)"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("enumerate",)
    needs = (Needs(calls=("enumerate",)),
             Needs(roles=(*LOSS_ROLES, R.LOSS_REGRESSION), calls=("backward",)))

    def check(self, ctx: FileContext) -> None:
        for node in D.nodes_of(ctx, cst.AugAssign):
            if type(node.operator) is cst.DivideAssign:  # type: ignore[attr-defined]
                self._check(ctx, node, node.target, node.value)  # type: ignore[attr-defined]
        for node in D.nodes_of(ctx, cst.BinaryOperation):
            if type(node.operator) is cst.Divide:  # type: ignore[attr-defined]
                self._check(ctx, node, node.left, node.right)  # type: ignore[attr-defined]

    def _check(self, ctx: FileContext, node: cst.CSTNode, total: cst.BaseExpression,
               divisor: cst.BaseExpression) -> None:
        name, index = dotted_name(total), divisor
        if name is None or type(index) is not cst.Name:
            return
        loop = _counting_loop(ctx, node, index.value)
        if loop is not None and _adds_one_loss_per_pass(ctx, loop, name, node):
            ctx.report(node, self.message.format(total=name, index=index.value))


def _counting_loop(ctx: FileContext, node: cst.CSTNode, index: str) -> cst.For | None:
    """The loop ``for index, ... in enumerate(items)`` (counting from 0) whose last value
    ``index`` holds at ``node``: the last binding of ``index`` before ``node`` in its scope,
    a loop that has ended there and that no ``break`` or ``continue`` cuts short."""
    scope = ctx.scope_of(node)
    bindings = [b for b in _bindings(ctx, scope, index) if ctx.index.before(b, node)]
    if not bindings:
        return None
    loop = max(bindings, key=lambda b: ctx.index.order.get(b, 0))
    if type(loop) is not cst.For or loop in ctx.index.enclosing_loops(node):
        return None
    if _counter(loop) != index or any(
            b is not loop and ctx.index.is_inside(b, loop) for b in _bindings(ctx, scope, index)):
        return None
    if _cut_short(ctx, loop):
        return None
    return loop


def _bindings(ctx: FileContext, scope: cst.CSTNode, name: str) -> list[cst.CSTNode]:
    """The statements of ``scope`` that bind ``name``: assignments and ``for`` targets."""
    found: list[cst.CSTNode] = [a for a in D.nodes_in_scope(ctx, cst.Assign, scope)
                                if name in D.target_names(a)]
    found += [a for a in D.nodes_in_scope(ctx, cst.AugAssign, scope)
              if dotted_name(a.target) == name]
    found += [loop for loop in ctx.index.within(ctx.index.loops, scope)
              if type(loop) is cst.For and ctx.scope_of(loop) is scope
              and name in target_names(loop.target)]
    return found


def _counter(loop: cst.For) -> str | None:
    """``i`` of ``for i, batch in enumerate(items)`` (also inside ``tqdm(...)``), when
    enumerate counts from 0."""
    target = loop.target
    if type(target) not in (cst.Tuple, cst.List) or len(target.elements) != 2:
        return None
    first = target.elements[0].value
    call = loop.iter
    if type(call) is cst.Call and dotted_name(call.func) in _PROGRESS and positional(call):
        call = positional(call)[0]
    if type(call) is not cst.Call or dotted_name(call.func) != "enumerate":
        return None
    args = positional(call)
    start = args[1] if len(args) > 1 else keyword(call, "start")
    if start is not None and int_value(start) != 0:
        return None
    return first.value if type(first) is cst.Name else None


def _cut_short(ctx: FileContext, loop: cst.For) -> bool:
    """A ``break`` or ``continue`` of this loop (not of a loop nested in it)."""
    for kind in (cst.Break, cst.Continue):
        for node in D.descendants(ctx, loop.body, kind):
            if ctx.index.innermost_loop(node) is loop:
                return True
    return False


def _adds_one_loss_per_pass(ctx: FileContext, loop: cst.For, name: str,
                            division: cst.CSTNode) -> bool:
    """Before ``division``, ``name`` starts before the loop and only the loop adds to it,
    one loss on every pass (an addition in the loop's body, not under a condition)."""
    scope = ctx.scope_of(loop)
    additions, starts = [], []
    for node in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if dotted_name(node.target) == name and ctx.index.before(node, division):
            if type(node.operator) is not cst.AddAssign:
                return False
            additions.append((node, node.value))
    for node in D.nodes_in_scope(ctx, cst.Assign, scope):
        if name not in D.target_names(node) or not ctx.index.before(node, division):
            continue
        added = _added_to(node, name)
        if added is None:
            starts.append(node)
        else:
            additions.append((node, added))
    if len(additions) != 1 or not starts or not all(ctx.index.before(s, loop) and not (
            ctx.index.is_inside(s, loop)) for s in starts):
        return False
    statement, value = additions[0]
    return _runs_every_pass(ctx, statement, loop) and batch_loss(ctx, value, loop)


def _added_to(assign: cst.Assign, name: str) -> cst.BaseExpression | None:
    """``value`` of ``name = name + value`` (or ``value + name``)."""
    value = assign.value
    if len(assign.targets) != 1 or type(value) is not cst.BinaryOperation or (
            type(value.operator) is not cst.Add):
        return None
    if dotted_name(value.left) == name:
        return value.right
    if dotted_name(value.right) == name:
        return value.left
    return None


def _runs_every_pass(ctx: FileContext, statement: cst.CSTNode, loop: cst.For) -> bool:
    """``statement`` sits in the loop's body, at most inside ``with`` blocks."""
    always_run = (cst.IndentedBlock, cst.SimpleStatementLine, cst.With)  # libcst, lazily
    for ancestor in ctx.index.ancestors(statement):
        if ancestor is loop:
            return True
        if not isinstance(ancestor, always_run):
            return False
    return False
