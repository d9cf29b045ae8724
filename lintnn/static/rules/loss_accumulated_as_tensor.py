"""NN506: the backpropagated loss summed across iterations as a tensor."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import (
    EventKind,
    Iteration,
    bound_names,
    iterations,
    source_order,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext, returns_of
from lintnn.static.syntax.memo import subtree_memo
from lintnn.static.syntax.nodes import method_name, positional
from lintnn.static.syntax.visitor import cst_visitor, walk


class LossAccumulatedAsTensor(Rule):
    """``total += loss`` where ``loss`` is the tensor that was backpropagated."""

    code = "NN506"
    name = "loss-accumulated-as-tensor"
    severity = Severity.WARNING
    message = (
        "the training loss tensor is accumulated across iterations: every iteration's "
        "autograd graph stays referenced and memory grows with each step; accumulate "
        "loss.item() (or loss.detach())"
    )
    frameworks = ("torch",)
    triggers = ("backward",)
    needs = (Needs(loop_calls=("backward",)),)

    def check(self, ctx: FileContext) -> None:
        reported: set[cst.CSTNode] = set()
        order = source_order(ctx)
        for iteration in iterations(ctx):
            loop = iteration.loop
            backward = [e for e in iteration.of(EventKind.BACKWARD, nested=None)
                        if e.site is None and type(e.tensor) is cst.Name]
            if not iteration.of(EventKind.BACKWARD, nested=None):
                continue
            bindings = list(bound_names(loop.body))
            backpropagated = {e.tensor.value for e in iteration.of(  # type: ignore[union-attr]
                EventKind.BACKWARD, nested=None) if type(e.tensor) is cst.Name}
            found = [(statement, total, loss, event.node)
                     for event in backward
                     for loss in (event.tensor.value,)  # type: ignore[union-attr]
                     for statement, total in _accumulations(loop, loss)]
            found += _returned_losses(ctx, loop, iteration)
            for statement, total, loss, source in found:
                if statement in reported or total in backpropagated:
                    continue
                resets = [where for name, where in bindings
                          if name == total and where is not statement]
                if total.startswith("self."):
                    resets += [where for where in _attribute_resets(loop, total)
                               if where is not statement]
                if any(_resets_every_iteration(ctx, where, statement, loop)
                       for where in resets):
                    continue  # reset inside the loop: not across iterations
                first = min(order[statement], order[source])
                last = max(order[statement], order[source])
                if loss and any(name == loss and first < order[where] < last
                                for name, where in bindings):
                    continue  # ``loss`` rebound in between: maybe a float by then
                if _under_no_grad(ctx, statement):
                    continue
                reported.add(statement)
                ctx.report(statement)


def _returned_losses(ctx: FileContext, loop: cst.CSTNode,
                     iteration: Iteration) -> list[tuple[cst.CSTNode, str, str, cst.CSTNode]]:
    """``total += self.train_batch(x, y)`` (or ``loss = self.train_batch(x, y)`` then
    ``total += loss``) where the helper of the file calls ``backward()`` on a tensor and
    returns that tensor as it is: (statement, total, the name the loop gives it or "", the
    helper call)."""
    found: list[tuple[cst.CSTNode, str, str, cst.CSTNode]] = []
    for event in iteration.of(EventKind.BACKWARD, nested=None):
        site = event.site
        helper = ctx.index.enclosing_function(event.node)
        if type(site) is not cst.Call or type(event.tensor) is not cst.Name or (
                helper is None or _callee_name(site) != helper.name.value) or not (
                _returns_as_is(ctx, helper, event.tensor.value, event.node)):
            continue
        statement = ctx.index.statement_of(site)
        total = _accumulates(statement, site)
        if total is not None:
            found.append((statement, total, "", site))
        elif type(statement) is cst.Assign and statement.value is site and len(
                statement.targets) == 1 and type(statement.targets[0].target) is cst.Name:
            name = statement.targets[0].target.value
            found += [(s, t, name, site) for s, t in _accumulations(loop, name)
                      if ctx.index.before(site, s)]
    return found


def _callee_name(call: cst.Call) -> str | None:
    func = call.func
    if type(func) is cst.Name:
        return func.value
    return func.attr.value if type(func) is cst.Attribute else None


def _returns_as_is(ctx: FileContext, helper: cst.FunctionDef, name: str,
                   backward: cst.CSTNode) -> bool:
    """Every ``return`` of ``helper`` returns ``name``, not rebound after ``backward``."""
    order = source_order(ctx)
    returns = [r for r in returns_of(helper) if ctx.index.enclosing_function(r) is helper]
    if not returns or not all(type(r.value) is cst.Name and r.value.value == name
                              for r in returns):
        return False
    return not any(bound == name and order[where] > order[backward]
                   for bound, where in bound_names(helper.body))


def _accumulates(statement: cst.CSTNode, value: cst.CSTNode) -> str | None:
    """``total += value`` or ``total = total + value``: ``total``."""
    if type(statement) is cst.AugAssign and type(statement.operator) is cst.AddAssign \
            and statement.value is value:
        return _accumulator(statement.target)
    if type(statement) is cst.Assign and len(statement.targets) == 1 and type(
            statement.value) is cst.BinaryOperation and type(
            statement.value.operator) is cst.Add:
        total = _accumulator(statement.targets[0].target)
        operands = (statement.value.left, statement.value.right)
        if total is not None and value in operands and any(
                _accumulator(o) == total for o in operands):
            return total
    return None


@subtree_memo
def _accumulations(loop: cst.CSTNode, loss: str) -> tuple[tuple[cst.CSTNode, str], ...]:
    """``total += loss``, ``total = total + loss``, ``losses.append(loss)`` in ``loop``."""
    finder = _Accumulations(loss)
    walk(loop, finder)
    return tuple(finder.found)


@cst_visitor
class _Accumulations:
    def __init__(self, loss: str) -> None:
        self.loss = loss
        self.found: list[tuple[cst.CSTNode, str]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        total = _accumulator(node.target)
        if total is not None and type(node.operator) is cst.AddAssign \
                and _tensor_operand(node.value, self.loss):
            self.found.append((node, total))

    def visit_Assign(self, node: cst.Assign) -> None:
        if len(node.targets) != 1:
            return
        total = _accumulator(node.targets[0].target)
        value = node.value
        if total is not None and type(value) is cst.BinaryOperation \
                and type(value.operator) is cst.Add:
            operands = (value.left, value.right)
            if any(_accumulator(o) == total for o in operands) and any(
                _tensor_operand(o, self.loss) for o in operands
            ):
                self.found.append((node, total))

    def visit_Expr(self, node: cst.Expr) -> None:
        call = node.value
        if type(call) is cst.Call and method_name(call) == "append":
            total = _accumulator(call.func.value)  # type: ignore[attr-defined]
            args = positional(call)
            if total is not None and len(args) == 1 and _tensor_operand(args[0], self.loss):
                self.found.append((node, total))


def _accumulator(expr: cst.BaseExpression) -> str | None:
    """``total`` or ``self.total``: a name, or an attribute of the method's object."""
    if type(expr) is cst.Name:
        return expr.value
    if type(expr) is cst.Attribute and type(expr.value) is cst.Name \
            and expr.value.value == "self":
        return f"self.{expr.attr.value}"
    return None


def _attribute_resets(loop: cst.CSTNode, total: str) -> list[cst.CSTNode]:
    """``self.total = ...`` statements in ``loop``, outside nested definitions."""
    finder = _AttributeAssignments(total)
    walk(loop, finder)
    return finder.found


@cst_visitor
class _AttributeAssignments:
    def __init__(self, total: str) -> None:
        self.total = total
        self.found: list[cst.CSTNode] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_Assign(self, node: cst.Assign) -> None:
        if any(_accumulator(t.target) == self.total for t in node.targets):
            self.found.append(node)


def _resets_every_iteration(ctx: FileContext, reset: cst.CSTNode, statement: cst.CSTNode,
                            loop: cst.CSTNode) -> bool:
    """Whether ``reset`` runs in every iteration that runs ``statement``: each branch or
    inner loop around it (inside ``loop``) also holds ``statement``. A reset every
    ``log_interval`` batches still lets the sum hold the graphs of the batches between."""
    around_statement = set(_branches_between(ctx, statement, loop))
    return all(node in around_statement for node in _branches_between(ctx, reset, loop))


def _branches_between(ctx: FileContext, node: cst.CSTNode,
                      loop: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    current = ctx.index.parent(node)
    while current is not None and current is not loop:
        if type(current) in (cst.If, cst.Else, cst.For, cst.While, cst.ExceptHandler):
            found.append(current)
        current = ctx.index.parent(current)
    return found


def _tensor_operand(expr: cst.BaseExpression, loss: str) -> bool:
    """``loss`` itself, or arithmetic on it (``loss * x.size(0)``): still a graph node."""
    if type(expr) is cst.Name:
        return expr.value == loss
    if type(expr) is cst.BinaryOperation:
        return _tensor_operand(expr.left, loss) or _tensor_operand(expr.right, loss)
    return False


def _under_no_grad(ctx: FileContext, node: cst.CSTNode) -> bool:
    for ancestor in ctx.index.ancestors(node):
        if type(ancestor) is cst.With:
            for item in ancestor.items:
                value = ctx.value(item.item)
                if value is not None and R.NO_GRAD in value.roles:
                    return True
    return False

