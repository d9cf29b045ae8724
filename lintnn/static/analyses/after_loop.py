"""What a loop leaves behind: the reads, after a loop, of a name its body bound.

Two rules ask it: NN516 (a "best" model kept by reference, read once training is over)
and NN517 (a loss bound per batch, reported once the loop is over: the last batch's).
"""

from __future__ import annotations

import libcst as cst

from lintnn.static.analyses import datasets as D
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, target_names

# What rebinds a name besides ``=``: a ``for`` target, ``with ... as``, ``+=``.


def binds(ctx: FileContext, name: str, region: cst.CSTNode) -> list[cst.CSTNode]:
    """The statements in ``region`` (its scope, not nested functions) that bind the plain
    or dotted ``name``: assignments, loop targets, ``with ... as``, augmented assignments."""
    scope = region if isinstance(region, cst.FunctionDef | cst.Module) else ctx.scope_of(region)
    found: list[cst.CSTNode] = [
        a for a in D.assignments_in(ctx, scope) if ctx.index.is_inside(a, region)
        and any(name in target_names(t.target) for t in a.targets)]
    for kind in (cst.For, cst.WithItem, cst.AugAssign, cst.AnnAssign):
        for node in D.nodes_in_scope(ctx, kind, scope):
            if ctx.index.is_inside(node, region) and name in _bound_by(node):
                found.append(node)
    return sorted(found, key=lambda n: D.order(ctx, n))


def _bound_by(node: cst.CSTNode) -> set[str]:
    if type(node) is cst.For:
        return set(target_names(node.target))
    if type(node) is cst.WithItem:
        return set(target_names(node.asname.name)) if node.asname is not None else set()
    if type(node) in (cst.AugAssign, cst.AnnAssign):
        name = dotted_name(node.target)
        return {name} if name else set()
    return set()


def reads_after(ctx: FileContext, name: str, loop: cst.CSTNode) -> list[cst.BaseExpression]:
    """The reads of the plain or dotted ``name`` in ``loop``'s scope that come after the
    loop (in source order, outside it), up to the first statement after the loop that
    binds it again. Targets of assignments are not reads; ``del name`` is not either."""
    scope = ctx.scope_of(loop)
    _, end = ctx.index.span(loop)
    rebound = [ctx.index.order.get(n, 0) for n in binds(ctx, name, scope)]
    stop = min((at for at in rebound if at > end), default=None)  # the first, in source order
    reads: list[cst.BaseExpression] = []
    kinds = (cst.Attribute,) if "." in name else (cst.Name,)
    for kind in kinds:
        for node in D.nodes_in_scope(ctx, kind, scope):
            at = ctx.index.order.get(node, 0)
            if at <= end or (stop is not None and at >= stop):
                continue
            if dotted_name(node) != name or _not_a_read(ctx, node):
                continue
            reads.append(node)
    return sorted(reads, key=lambda n: D.order(ctx, n))


def _not_a_read(ctx: FileContext, node: cst.CSTNode) -> bool:
    """An assignment target, a ``del``, or the attribute part of a longer dotted name."""
    child, parent = node, ctx.index.parent(node)
    if type(parent) is cst.Attribute and parent.attr is child:
        return True
    while type(parent) in (cst.Element, cst.Tuple, cst.List, cst.StarredElement):
        child, parent = parent, ctx.index.parent(parent)
    if type(parent) is cst.AssignTarget and parent.target is child:
        return True
    return type(parent) is cst.Del
