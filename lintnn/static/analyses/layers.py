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

from lintnn.static.analyses.shapes import reshaped_tensor
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import argument, dotted_name, has_star_args, positional

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
        if type(func) is cst.Attribute and func.attr.value in _GROW:
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
              if arg.star == "*" and type(arg.value) is cst.Call
              and type(arg.value.func) is cst.Name}
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
    if type(built) is cst.List:
        if any(type(el) is cst.StarredElement for el in built.elements):
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
        if (type(parent) is cst.Arg and parent.star == "*") or type(
                parent) is cst.Return or (type(parent) is cst.Call and parent.func is node):
            continue  # nn.Sequential(*layers), return layers, self.classifier(x)
        if type(parent) is cst.Attribute and parent.value is node and (
                parent.attr.value not in _MUTATING) and type(
                ctx.index.parent(parent)) is cst.Call:
            continue  # model.compile(...)
        if _reads_attribute(ctx, node, parent):
            continue  # print(model.metrics_names)
        if type(parent) is cst.Arg and _keras_sequential_argument(ctx, parent):
            continue  # keras.Sequential(layers)
        if _added_one_by_one(ctx, node) and _after_all(ctx, node, grows):
            continue  # for layer in layers: seq.add_module(name, layer)
        if _stored_after(ctx, scope, node, parent, grows):
            continue  # self.main = main, once it is grown
        if type(parent) is cst.Arg and not parent.star and _read_by_call(
                ctx, parent, grows, type(construction.value) is cst.List):
            continue  # plot_model(model), print(model), describe(model)
        return False
    return all(ctx.index.before(construction, call) for call in grows)


def _stored_after(ctx: FileContext, scope: cst.CSTNode, node: cst.CSTNode,
                  parent: cst.CSTNode | None, grows: list[cst.Call]) -> bool:
    """``self.main = main`` after every grow: the whole container is kept under another
    name that ``scope`` mentions nowhere else (so nothing grows it there meanwhile)."""
    if type(parent) is not cst.Assign or parent.value is not node \
            or len(parent.targets) != 1:
        return False
    alias = dotted_name(parent.targets[0].target)
    if alias is None or len(_mentions(scope, alias)) != 1:
        return False
    return all(ctx.index.before(call, parent) for call in grows)


def _read_by_call(ctx: FileContext, arg: cst.Arg, grows: list[cst.Call],
                  is_list: bool) -> bool:
    """``arg`` hands the container whole to a call that leaves the layers added around it
    as they are: a builtin that only reads it (``print(model)``), a function of this file
    that only reads its parameter, or, for a model (not a list, which a call may reorder)
    once every layer is added, any call (``plot_model(model)``: a later add may only
    append)."""
    call = ctx.index.parent(arg)
    if type(call) is not cst.Call or arg not in call.args:
        return False
    if _only_reads(ctx, call, arg, 0):
        return True
    return not is_list and _after_all(ctx, call, grows)


def _after_all(ctx: FileContext, node: cst.CSTNode, grows: list[cst.Call]) -> bool:
    """``node`` runs after every grow: below them all, in no loop that holds one."""
    if not all(ctx.index.before(grow, node) for grow in grows):
        return False
    return not any(ctx.index.is_inside(grow, loop) for loop in ctx.index.enclosing_loops(node)
                   for grow in grows)


def _reads_attribute(ctx: FileContext, node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    """``node.name`` read, or a method of it called, that leaves its layers alone (not
    ``node.layers.pop()``, ``node.layers[0] = ...``)."""
    return type(parent) is cst.Attribute and parent.value is node \
        and parent.attr.value not in _MUTATING and type(
            ctx.index.parent(parent)) not in (cst.Attribute, cst.Subscript, cst.AssignTarget,
                                              cst.Del, cst.AugAssign)


# Builtins that read their argument and keep no reference to it.
_READING_BUILTINS = frozenset({"print", "len", "str", "repr", "type", "id", "isinstance",
                               "format"})


def _only_reads(ctx: FileContext, call: cst.Call, arg: cst.Arg, depth: int) -> bool:
    """``call`` only reads what ``arg`` passes: a reading builtin, or a function of this
    file whose parameter it fills is only read (its attributes read or its non-mutating
    methods called, or handed to such a call in turn)."""
    func = call.func
    fn = ctx.call_graph.target(call)
    if fn is None:
        return type(func) is cst.Name and func.value in _READING_BUILTINS \
            and ctx.qualname(func) is None and arg.keyword is None
    if depth > 2:
        return False
    param = next((p for p in (*fn.params.posonly_params, *fn.params.params,
                              *fn.params.kwonly_params)
                  if ctx.call_graph.argument_for(fn, p, call) is arg.value), None)
    if param is None:
        return False
    ctx.depends_on(fn)
    for node in _mentions(fn.body, param.name.value):
        parent = ctx.index.parent(node)
        if _reads_attribute(ctx, node, parent):
            continue  # m.summary(), print(m.name)
        if type(parent) is cst.Arg and not parent.star and type(
                inner := ctx.index.parent(parent)) is cst.Call and _only_reads(
                ctx, inner, parent, depth + 1):
            continue
        return False
    return True


_MUTATING = frozenset({*_GROW, "insert", "extend", "pop", "remove", "clear", "reverse",
                       "sort", "register_module", "__setitem__", "__delitem__",
                       "__iadd__"})


def _keras_sequential_argument(ctx: FileContext, arg: cst.Arg) -> bool:
    call = ctx.index.parent(arg)
    if type(call) is not cst.Call or len(call.args) != 1:
        return False
    _, entry = ctx.callee(call)
    return entry is not None and R.SEQUENTIAL in entry.roles and entry.framework == "keras"


def _mentions(scope: cst.CSTNode, receiver: str) -> list[cst.CSTNode]:
    """The expressions in ``scope`` (nested functions included) spelling ``receiver``."""
    found: list[cst.CSTNode] = []
    stack: list[cst.CSTNode] = [scope]
    while stack:
        node = stack.pop()
        if type(node) in (cst.Name, cst.Attribute) and dotted_name(node) == receiver:
            found.append(node)
            continue
        if type(node) is cst.Attribute:
            stack.append(node.value)  # the ``main`` of ``self.main`` is no mention
            continue
        stack.extend(iter_children(node))
    return found


def _becomes_sequential(ctx: FileContext, scope: cst.CSTNode, receiver: str,
                        construction: cst.Assign) -> bool:
    """The list is spread into a Sequential here (or given to a keras one), or returned by
    a function whose result is spread into a Sequential where that function is visible."""
    for call in ctx.index.within(ctx.index.calls, scope):
        if _sequential_of(ctx, call, lambda expr: dotted_name(expr) == receiver):
            return True
    if any(_added_one_by_one(ctx, node) for node in _mentions(scope, receiver)):
        return True
    if type(scope) is not cst.FunctionDef or not any(
            type(r.value) is cst.Name and r.value.value == receiver
            for r in ctx.index.within(ctx.index.returns, scope)
            if ctx.index.enclosing_function(r) is scope):
        return False
    name = scope.name.value
    if sum(fn.name.value == name for fn in ctx.index.functions) != 1:
        return False
    around = ctx.scope_of(scope)
    return any(_sequential_of(ctx, call, lambda expr: _calls(expr, name))
               for call in ctx.index.within(ctx.index.calls, around))


def _added_one_by_one(ctx: FileContext, node: cst.CSTNode) -> bool:
    """``node`` (a list) is walked in order by a ``for`` loop that adds each element to a
    Sequential and nothing else: ``for i, layer in enumerate(layers): seq.add_module(
    f"l{i}", layer)``, the add on every turn (no ``if``, ``continue`` or ``break``)."""
    walked = _walked_by(ctx, node)
    if walked is None:
        return False
    loop, element = walked
    body = loop.body
    changes = [call for call in ctx.index.within(ctx.index.calls, body)
               if type(call.func) is cst.Attribute and call.func.attr.value in _MUTATING]
    if len(changes) != 1 or changes[0].func.attr.value not in _GROW:  # type: ignore[attr-defined]
        return False
    add = changes[0]
    layer = _layer_argument(add)
    if not (type(layer) is cst.Name and layer.value == element) \
            or _blocks(ctx, add)[-1:] != [body] or _leaves_turns(ctx, body, element):
        return False
    sequential = ctx.value(add.func.value)  # type: ignore[attr-defined]
    return sequential is not None and sequential.kind is Kind.INSTANCE \
        and R.SEQUENTIAL in sequential.roles


def _walked_by(ctx: FileContext, node: cst.CSTNode) -> tuple[cst.For, str] | None:
    """The loop ``for x in node`` / ``for i, x in enumerate(node)`` and its ``x``."""
    parent = ctx.index.parent(node)
    if type(parent) is cst.For and parent.iter is node and type(
            parent.target) is cst.Name:
        return parent, parent.target.value
    call = ctx.index.parent(parent) if type(parent) is cst.Arg else None
    if not (type(call) is cst.Call and type(call.func) is cst.Name
            and call.func.value == "enumerate" and ctx.qualname(call.func) is None
            and call.args[0] is parent and not parent.star and parent.keyword is None):
        return None
    loop = ctx.index.parent(call)
    if not (type(loop) is cst.For and loop.iter is call and type(
            loop.target) is cst.Tuple and len(loop.target.elements) == 2):
        return None
    element = loop.target.elements[1].value
    return (loop, element.value) if type(element) is cst.Name else None


def _leaves_turns(ctx: FileContext, body: cst.CSTNode, element: str) -> bool:
    """The loop body may skip an add (``continue``, ``break``, ``return``, ``raise``) or
    rebinds the element."""
    stack = [body]
    while stack:
        node = stack.pop()
        if type(node) in (cst.Continue, cst.Break, cst.Return, cst.Raise):
            return True
        if type(node) in (cst.AssignTarget, cst.AugAssign, cst.AnnAssign):
            target = node.target
            if any(type(n) is cst.Name and n.value == element for n in _names(target)):
                return True
        stack.extend(iter_children(node))
    return False


def _names(node: cst.CSTNode) -> list[cst.CSTNode]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(iter_children(current))
    return found


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
    return type(expr) is cst.Call and type(expr.func) is cst.Name \
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
    return not any(type(ctx.index.parent(block)) in (cst.For, cst.While)
                   for block in inner[len(outer):])


def _blocks(ctx: FileContext, node: cst.CSTNode) -> list[cst.CSTNode]:
    """The indented blocks around ``node`` up to its function, outermost first."""
    found = []
    suites = (cst.IndentedBlock, cst.SimpleStatementSuite)
    for ancestor in ctx.index.ancestors(node):
        if type(ancestor) in (cst.FunctionDef, cst.Module):
            break
        if isinstance(ancestor, suites):
            found.append(ancestor)
    return found[::-1]


def forwarded_keywords(ctx: FileContext, call: cst.Call) -> frozenset[str] | None:
    """The keywords the ``**kwargs`` of ``call`` may hold: ``kwargs`` is the ``**``
    parameter of the function around it, passed on untouched, and every use of that
    function (a class's ``__init__``: of the class) is a call in this file that passes no
    ``*`` / ``**`` itself; the function cannot be used elsewhere (a notebook's, a private
    or a nested one). None when unsure."""
    fn = _forwarding_function(ctx, call)
    if fn is None:
        return None
    name = fn.params.star_kwarg.name.value  # type: ignore[union-attr]
    if any(not _unpacked(ctx, node) for node in _mentions(fn.body, name)):
        return None
    uses = _uses(ctx, fn)
    if not uses or any(type(use) is not cst.Call or has_star_args(use) for use in uses):
        return None
    return frozenset(arg.keyword.value for use in uses  # type: ignore[union-attr]
                     for arg in use.args if arg.keyword is not None)  # type: ignore[union-attr]


def _forwarding_function(ctx: FileContext, call: cst.Call) -> cst.FunctionDef | None:
    """The function around ``call`` when ``call``'s one star argument is ``**kwargs``,
    that function's own ``**`` parameter; else None."""
    stars = [arg for arg in call.args if arg.star]
    if len(stars) != 1 or stars[0].star != "**" or type(stars[0].value) is not cst.Name:
        return None
    fn = ctx.index.enclosing_function(call)
    star = fn.params.star_kwarg if fn is not None else None
    if fn is None or type(star) is not cst.Param or star.name.value != stars[0].value.value:
        return None
    return fn


def _unpacked(ctx: FileContext, node: cst.CSTNode) -> bool:
    """``**kwargs`` handed on as it is (not changed, not read key by key)."""
    parent = ctx.index.parent(node)
    return type(parent) is cst.Arg and parent.star == "**"


def _uses(ctx: FileContext, fn: cst.FunctionDef) -> list[cst.CSTNode]:
    """Every mention of ``fn`` (a class's, for its ``__init__``) in the file, as the call
    when it is called; [] when it may be used from another file or is defined twice."""
    owner = ctx.index.enclosing_class(fn)
    defined: cst.FunctionDef | cst.ClassDef = owner if owner is not None else fn
    name = defined.name.value
    ctx.depends_on_mentions(name)  # its uses, and its namesakes, in any statement
    if owner is not None and (
            fn.name.value != "__init__" or ctx.local_classes.get(name) is not owner):
        return []
    private = ctx.path.suffix == ".ipynb" or name.startswith("_") or (
        ctx.index.parent(defined) is not ctx.module)
    whole = ctx.index.whole  # a statement's view holds only its own definitions
    if not private or sum(d.name.value == name for d in (
            *whole.functions, *whole.classes)) != 1:
        return []
    found: list[cst.CSTNode] = []
    for node in _mentions(ctx.module, name):
        parent = ctx.index.parent(node)
        if parent is defined:
            continue
        ctx.depends_on(node)
        found.append(parent if type(parent) is cst.Call and parent.func is node else node)
    return found


def forwards_keywords(ctx: FileContext) -> bool:
    """A call of the file hands on the ``**kwargs`` of the function around it: what it
    holds is read from the function's callers, in other top-level statements (see
    :func:`forwarded_keywords`, which reads nothing beyond the call's function for any
    other call)."""
    return any(_forwarding_function(ctx, call) is not None for call in ctx.index.calls)


# What feeds a layer call (``forward`` / ``__call__`` / the keras functional API) ---------

def applied_layer(ctx: FileContext, call: cst.Call) -> Value | None:
    """The layer instance ``call`` applies: ``self.fc(x)``, ``Dense(10)(x)``,
    ``self.fcs[i](x)``; None when it is no known instance."""
    if type(call.func) not in (cst.Name, cst.Attribute, cst.Call, cst.Subscript):
        return None
    layer = ctx.value(call.func)
    return layer if layer is not None and layer.kind is Kind.INSTANCE else None


def layer_input(call: cst.Call) -> cst.BaseExpression | None:
    """The one tensor a layer call reads: its only positional argument (keywords such as
    ``training=`` aside); None with ``*args`` / ``**kwargs`` or several tensors."""
    args = positional(call)
    if len(args) != 1 or has_star_args(call):
        return None
    return args[0]


def fed_value(ctx: FileContext, expr: cst.BaseExpression) -> Value | None:
    """What reaches a layer through ``expr``, seen through pure reshapes
    (``torch.flatten(x, 1)``, ``x.view(n, -1)``), inline or assigned in the same block:
    they change no value."""
    for _ in range(8):
        source = reshaped_tensor(ctx, expr) if type(expr) is cst.Call else None
        if source is None and type(expr) is cst.Name and ctx.value(expr) is None:
            assigned = _assigned_in_block(ctx, expr)
            if type(assigned) is cst.Call:
                source = reshaped_tensor(ctx, assigned)
        if source is None:
            return ctx.value(expr)
        expr = source
    return None


def _assigned_in_block(ctx: FileContext, name: cst.Name) -> cst.BaseExpression | None:
    """The value of the last ``name = ...`` before ``name``, when it sits in the same block
    (so no branch or loop can bring another value)."""
    statement = ctx.index.statement_of(name)
    assign = ctx.last_assignment(name.value, statement)
    if assign is None or len(assign.targets) != 1 or type(
            assign.targets[0].target) is not cst.Name:
        return None
    block = ctx.index.parent(ctx.index.parent(statement))
    if block is None or ctx.index.parent(ctx.index.parent(assign)) is not block:
        return None
    return assign.value


def producing_call(ctx: FileContext, expr: cst.BaseExpression,
                   passes: Callable[[cst.Call], cst.BaseExpression | None]) -> cst.Call | None:
    """The call whose output alone reaches ``expr``, seen through pure reshapes and the
    calls ``passes`` maps to the tensor they pass on (dropout, say): each step inline, or
    through a name whose value is read nowhere else (:func:`sole_read_value`)."""
    for _ in range(16):
        if type(expr) is cst.Name:
            source = sole_read_value(ctx, expr)
        elif type(expr) is cst.Call:
            source = reshaped_tensor(ctx, expr)
            if source is None:
                source = passes(expr)
                if source is None:
                    return expr
        else:
            return None
        if source is None:
            return None
        expr = source
    return None


def sole_read_value(ctx: FileContext, name: cst.Name) -> cst.BaseExpression | None:
    """The value ``name`` holds where it is read, when it is read nowhere else: bound by a
    plain ``name = value`` earlier in the same block, with nothing between that mentions
    ``name`` or may leave the block, ``name`` read once in its statement, and, unless that
    statement binds it again, mentioned nowhere later in its scope (nor around it in a
    loop). None when unsure."""
    use = ctx.index.statement_of(name)
    line = ctx.index.parent(use)
    if not isinstance(use, cst.BaseSmallStatement) or type(
            line) is not cst.SimpleStatementLine:
        return None
    block = ctx.index.parent(line)
    body = list(getattr(block, "body", ()))
    if line not in body or len(_mentions(use, name.value)) != 1 + _binds(use, name.value):
        return None
    earlier = [*(small for statement in body[:body.index(line)]
                 for small in _smalls(statement)),
               *line.body[:list(line.body).index(use)]]
    for statement in reversed(earlier):
        if _binds(statement, name.value):
            assign = statement
            break
        if _mentions(statement, name.value) or _may_leave(statement):
            return None
    else:
        return None
    if not _binds(use, name.value) and not _read_only_at(ctx, assign, name):
        return None
    return assign.value  # type: ignore[attr-defined]


def _smalls(statement: cst.CSTNode) -> list[cst.CSTNode]:
    """A block's statement as the statements that run in order: a line's small ones."""
    return list(statement.body) if type(statement) is cst.SimpleStatementLine \
        else [statement]


def _binds(statement: cst.CSTNode, name: str) -> bool:
    """``statement`` is ``name = value`` and nothing else (one target, a plain name)."""
    return type(statement) is cst.Assign and len(statement.targets) == 1 and type(
        statement.targets[0].target) is cst.Name and statement.targets[0].target.value == name


def _may_leave(statement: cst.CSTNode) -> bool:
    """``statement`` may end the block early (``return``, ``break``, ``raise``, ...)."""
    leaving = (cst.Return, cst.Break, cst.Continue, cst.Raise, cst.Yield, cst.Await)
    stack = [statement]
    while stack:
        node = stack.pop()
        if isinstance(node, leaving):
            return True
        if type(node) not in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            stack.extend(iter_children(node))
    return False


def _read_only_at(ctx: FileContext, assign: cst.CSTNode, name: cst.Name) -> bool:
    """After ``assign`` (outside any loop of its scope), the scope mentions its name only
    at ``name``."""
    scope = ctx.scope_of(assign)
    if ctx.index.enclosing_loops(assign):
        return False
    later = [node for node in _mentions(scope, name.value)
             if ctx.index.before(assign, node) and not ctx.index.is_inside(node, assign)]
    return later == [name]
