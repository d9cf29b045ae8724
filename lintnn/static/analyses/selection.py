"""What a branch that selects a model looks like: it ranks a score against another
(``if acc > best_acc:``) and keeps the weights or stops training in a branch. NN308 reads
it in its own file; :mod:`~lintnn.static.analyses.functions` summarises it for a function
whose callers are in another file (``save_best_model(model, acc, best)``)."""

from __future__ import annotations

import libcst as cst

from lintnn.static.analyses import datasets as D
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import dotted_name, method_name

# What a branch does when it selects: keep the weights, or stop training.
SAVING_CALLS = frozenset({"save", "save_weights", "save_model", "save_checkpoint",
                          "state_dict", "deepcopy", "save_pretrained", "checkpoint"})
MAX_DEPTH = 4  # assignments followed back from a compared value


def comparisons(test: cst.BaseExpression) -> list[cst.Comparison]:
    """The comparisons a condition is made of (``epoch > warm and best < acc``)."""
    if type(test) is cst.BooleanOperation:
        return [*comparisons(test.left), *comparisons(test.right)]
    return [test] if type(test) is cst.Comparison else []


def orders(test: cst.Comparison) -> bool:
    """``a < b``, ``a >= b``: a comparison that ranks (not ``is None``, ``==``)."""
    return any(type(c.operator) in (cst.LessThan, cst.GreaterThan, cst.LessThanEqual,
                                    cst.GreaterThanEqual) for c in test.comparisons)


def names_read(ctx: FileContext, expr: cst.CSTNode, at: cst.CSTNode, depth: int) -> set[str]:
    """The plain names a value is computed from, through the local assignments before it."""
    names: set[str] = set()
    for name in {n.value for n in plain_names(expr)}:
        assigned = ctx.last_assignment(name, at) if depth < MAX_DEPTH else None
        if assigned is None:
            names.add(name)
        else:
            names |= names_read(ctx, assigned.value, assigned, depth + 1)
    return names


def plain_names(expr: cst.CSTNode) -> list[cst.Name]:
    """Names read as values (not attribute names, not the called function)."""
    found: list[cst.Name] = []
    todo: list[cst.CSTNode] = [expr]
    while todo:
        node = todo.pop()
        if type(node) is cst.Name:
            found.append(node)
        elif type(node) is cst.Attribute:
            todo.append(node.value)
        elif type(node) is cst.Call:
            todo.extend(arg.value for arg in node.args)
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            todo.extend(iter_children(node))
    return found


def keeps_or_stops(ctx: FileContext, body: cst.CSTNode) -> bool:
    """The branch saves or copies the weights, records them as the best, or stops."""
    if D.descendants(ctx, body, cst.Break):
        return True
    if any(saves(call) for call in D.calls_in(ctx, body)):
        return True
    for assign in D.descendants(ctx, body, cst.Assign):
        if any("best" in n and ("model" in n or "weight" in n or "state" in n or
                                "param" in n) for n in D.target_names(assign)):
            return True
    return False


def saves(call: cst.Call) -> bool:
    name = method_name(call) or (dotted_name(call.func) or "").rsplit(".", 1)[-1]
    return name in SAVING_CALLS
