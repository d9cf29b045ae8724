"""Layers that follow each other in a container the code grows step by step.

``seq.add_module(name, layer)`` / ``seq.append(layer)`` on a Sequential built in the same
function, keras ``model.add(layer)``, and a list grown with ``append`` that becomes a
Sequential (``nn.Sequential(*layers)``, ``keras.Sequential(layers)``, or returned by a
helper whose result is spread into one: ``nn.Sequential(*block(16, 32))``).

Two layers are *adjacent* when, whenever the second is added, the first was added just
before it: the second is added under every condition and inside every loop of the first
(``if batch_norm: seq.add_module("bn", ...)`` right after the Linear), and every add
between them sits in another arm of an ``if`` than the second; the name given to
``add_module`` plays no part. Once grown, the container may be kept whole under a name
the function mentions nowhere else (``self.main = main``). Where the code grows the
container in any other way (``insert``, ``+=``, indexing, passing it elsewhere), nothing
is said about it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import argument, dotted_name, positional

# How each growing method takes its layer: (position, keyword).
_GROW = {"add_module": (1, "module"), "append": (0, None), "add": (0, "layer")}


@dataclass(frozen=True)
class Placed:
    """One layer put into a container, and the node that put it there."""

    layer: Value | None
    at: cst.CSTNode  # the growing call, or the construction for its first layers


@dataclass(frozen=True)
class Adjacent:
    """``after`` is added to a container directly after ``before``."""

    before: Value
    after: Value


def adjacent_layers(ctx: FileContext) -> list[Adjacent]:
    """Every pair of known layers added one right after the other, file-wide."""
    groups: dict[tuple[cst.CSTNode, str], list[cst.Call]] = {}
    for call in ctx.index.calls:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value in _GROW:
            receiver = dotted_name(func.value)
            if receiver is not None:
                scope = ctx.scope_of(call)
                groups.setdefault((scope, receiver), []).append(call)
    found = []
    for (scope, receiver), grows in groups.items():
        placed = _placed(ctx, scope, receiver, grows)
        for first, second in _pairs(ctx, placed):
            if first.layer is not None and second.layer is not None:
                found.append(Adjacent(first.layer, second.layer))
    return found


def reads_only_its_statement(ctx: FileContext) -> bool:
    """False when a top-level function of the file is spread into a call (``nn.Sequential(
    *block(16, 32))``): what its list holds is then judged by another top-level statement,
    so findings cannot be cached per statement."""
    spread = {arg.value.func.value for call in ctx.index.calls for arg in call.args
              if arg.star == "*" and isinstance(arg.value, cst.Call)
              and isinstance(arg.value.func, cst.Name)}
    return not any(ctx.index.parent(fn) is ctx.module and fn.name.value in spread
                   for fn in ctx.index.functions)


def _placed(ctx: FileContext, scope: cst.CSTNode, receiver: str,
            grows: list[cst.Call]) -> list[Placed]:
    """The layers put into ``receiver`` in source order; [] when it is not a container
    this module can follow."""
    construction = _construction(ctx, scope, receiver)
    if construction is None:
        return []
    built = construction.value
    initial: list[Placed] = []
    if isinstance(built, cst.List):
        if any(isinstance(el, cst.StarredElement) for el in built.elements):
            return []
        initial = [Placed(ctx.value(el.value), built) for el in built.elements]
        if not _becomes_sequential(ctx, scope, receiver, construction):
            return []
    else:
        value = ctx.value(built)
        if value is None or value.kind is not Kind.INSTANCE or R.SEQUENTIAL not in value.roles:
            return []
        if any(item is None for item in value.items):
            return []  # nn.Sequential(*layers): its first layers are unknown
        initial = [Placed(item, built) for item in value.items]
    if not _only_grown(ctx, scope, receiver, construction, grows):
        return []
    added = [Placed(ctx.value(layer), call) for call in grows
             if (layer := _layer_argument(call)) is not None]
    if len(added) != len(grows):
        return []
    return initial + added


def _layer_argument(call: cst.Call) -> cst.BaseExpression | None:
    position, name = _GROW[call.func.attr.value]  # type: ignore[attr-defined]
    if any(arg.star for arg in call.args) or len(call.args) != position + 1:
        return None
    return argument(call, position, name)


def _construction(ctx: FileContext, scope: cst.CSTNode, receiver: str) -> cst.Assign | None:
    """The one assignment of ``receiver`` in ``scope`` (None if there are more, or none)."""
    found = [a for a in ctx.index.within(ctx.index.assignments, scope)
             if ctx.scope_of(a) is scope and any(dotted_name(t.target) == receiver
                                                  for t in a.targets)]
    if len(found) != 1 or len(found[0].targets) != 1:
        return None
    return found[0]


def _only_grown(ctx: FileContext, scope: cst.CSTNode, receiver: str,
                construction: cst.Assign, grows: list[cst.Call]) -> bool:
    """``receiver`` is grown by ``grows`` after its construction and otherwise only used
    whole: spread into a call, returned, called, or its non-mutating methods called
    (``model.compile``); no ``insert``, ``+=``, ``x[i] = ...``, no passing it elsewhere."""
    growing = {id(call.func.value) for call in grows}  # type: ignore[attr-defined]
    target = construction.targets[0].target
    for node in _mentions(scope, receiver):
        if node is target or id(node) in growing:
            continue
        parent = ctx.index.parent(node)
        if (isinstance(parent, cst.Arg) and parent.star == "*") or isinstance(
                parent, cst.Return) or (isinstance(parent, cst.Call) and parent.func is node):
            continue  # nn.Sequential(*layers), return layers, self.classifier(x)
        if isinstance(parent, cst.Attribute) and parent.value is node and (
                parent.attr.value not in _MUTATING) and isinstance(
                ctx.index.parent(parent), cst.Call):
            continue  # model.compile(...)
        if isinstance(parent, cst.Arg) and _keras_sequential_argument(ctx, parent):
            continue  # keras.Sequential(layers)
        if _stored_after(ctx, scope, node, parent, grows):
            continue  # self.main = main, once it is grown
        return False
    return all(ctx.index.before(construction, call) for call in grows)


def _stored_after(ctx: FileContext, scope: cst.CSTNode, node: cst.CSTNode,
                  parent: cst.CSTNode | None, grows: list[cst.Call]) -> bool:
    """``self.main = main`` after every grow: the whole container is kept under another
    name that ``scope`` mentions nowhere else (so nothing grows it there meanwhile)."""
    if not isinstance(parent, cst.Assign) or parent.value is not node \
            or len(parent.targets) != 1:
        return False
    alias = dotted_name(parent.targets[0].target)
    if alias is None or len(_mentions(scope, alias)) != 1:
        return False
    return all(ctx.index.before(call, parent) for call in grows)


_MUTATING = frozenset({*_GROW, "insert", "extend", "pop", "remove", "clear", "reverse",
                       "sort", "register_module", "__setitem__", "__delitem__",
                       "__iadd__"})


def _keras_sequential_argument(ctx: FileContext, arg: cst.Arg) -> bool:
    call = ctx.index.parent(arg)
    if not isinstance(call, cst.Call) or len(call.args) != 1:
        return False
    _, entry = ctx.callee(call)
    return entry is not None and R.SEQUENTIAL in entry.roles and entry.framework == "keras"


def _mentions(scope: cst.CSTNode, receiver: str) -> list[cst.CSTNode]:
    """The expressions in ``scope`` (nested functions included) spelling ``receiver``."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [scope]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) == receiver:
            found.append(node)
            continue
        if isinstance(node, cst.Attribute):
            stack.append(node.value)  # the ``main`` of ``self.main`` is no mention
            continue
        stack.extend(node.children)
    return found


def _becomes_sequential(ctx: FileContext, scope: cst.CSTNode, receiver: str,
                        construction: cst.Assign) -> bool:
    """The list is spread into a Sequential here (or given to a keras one), or returned by
    a function whose result is spread into a Sequential where that function is visible."""
    for call in ctx.index.within(ctx.index.calls, scope):
        if _sequential_of(ctx, call, lambda expr: dotted_name(expr) == receiver):
            return True
    if not isinstance(scope, cst.FunctionDef) or not any(
            isinstance(r.value, cst.Name) and r.value.value == receiver
            for r in ctx.index.within(ctx.index.returns, scope)
            if ctx.index.enclosing_function(r) is scope):
        return False
    name = scope.name.value
    if sum(fn.name.value == name for fn in ctx.index.functions) != 1:
        return False
    around = ctx.scope_of(scope)
    return any(_sequential_of(ctx, call, lambda expr: _calls(expr, name))
               for call in ctx.index.within(ctx.index.calls, around))


def _sequential_of(ctx: FileContext, call: cst.Call,
                   is_list: Callable[[cst.BaseExpression], bool]) -> bool:
    """``call`` builds a Sequential from a list ``is_list`` accepts: spread, or the only
    argument of a keras Sequential."""
    _, entry = ctx.callee(call)
    if entry is None or R.SEQUENTIAL not in entry.roles:
        return False
    if any(arg.star == "*" and is_list(arg.value) for arg in call.args):
        return True
    args = positional(call)
    return entry.framework == "keras" and len(call.args) == 1 and len(args) == 1 \
        and is_list(args[0])


def _calls(expr: cst.BaseExpression, name: str) -> bool:
    """``expr`` is a call of the function ``name``."""
    return isinstance(expr, cst.Call) and isinstance(expr.func, cst.Name) \
        and expr.func.value == name


def _pairs(ctx: FileContext, placed: list[Placed]) -> list[tuple[Placed, Placed]]:
    """Each layer and the one added directly before it on every path that adds it: the
    last add above it that may run with it, if that add surely ran."""
    pairs = []
    for i, second in enumerate(placed[1:], start=1):
        for candidate in reversed(placed[:i]):
            if candidate.at is second.at:  # two layers of one construction
                pairs.append((candidate, second))
                break
            if ctx.index.exclusive(candidate.at, second.at):
                continue  # the other arm of an if: not on the second's path
            if _always_before(ctx, candidate.at, second.at):
                pairs.append((candidate, second))
            break
    return pairs


def _always_before(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Whenever ``second`` runs, ``first`` ran in the same pass: every block around
    ``first`` (``if`` arm, loop body) holds ``second`` too, and no loop around ``second``
    leaves ``first`` out (its second turn would follow the first turn's layers)."""
    outer, inner = _blocks(ctx, first), _blocks(ctx, second)
    if inner[:len(outer)] != outer:
        return False
    return not any(isinstance(ctx.index.parent(block), (cst.For, cst.While))
                   for block in inner[len(outer):])


def _blocks(ctx: FileContext, node: cst.CSTNode) -> list[cst.CSTNode]:
    """The indented blocks around ``node`` up to its function, outermost first."""
    found = []
    suites = (cst.IndentedBlock, cst.SimpleStatementSuite)
    for ancestor in ctx.index.ancestors(node):
        if isinstance(ancestor, (cst.FunctionDef, cst.Module)):
            break
        if isinstance(ancestor, suites):
            found.append(ancestor)
    return found[::-1]
