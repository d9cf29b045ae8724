"""The value of one expression of a function, from the bindings it reads only.

:class:`~lintnn.static.syntax.dataflow.Flow` walks a whole function: every statement,
every parameter (each resolved through the function's callers) and, in a method, the
class's ``self.x`` attributes (every method's flow). A parameter's value is asked at each
call site (``train(model, loader)`` in ``main``), so asking it that way reads the whole
calling function, its class, their callers in turn: the language server's cache then ties
the answer to all of them, and an edit anywhere there runs the rules again.

:func:`demand_value` gives the same answer from what the expression reads: a parameter
never rebound is its value on entry; a local bound once, by a plain ``name = value`` at the
function's top level before the expression's statement, is that value, computed the same
way. Anything else (a name bound twice, in a branch or a loop, by unpacking, ``for``,
``with``, an import, a ``self.x`` attribute...) raises :class:`NeedsFlow`, and the caller
walks the whole function as before. Where it answers, the whole flow would agree: no other
binding reaches the expression, and branches merge a binding that no path changes
unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import libcst as cst

from lintnn.static.syntax.dataflow import FileFacts, Flow, Value
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import target_names

_ABSENT: Value | None = None  # a name the function has not bound at that point


class NeedsFlow(Exception):
    """The expression reads a binding that only the whole flow can value."""


class Bindings:
    """Where one function's own statements bind each name."""

    __slots__ = ("local_names", "once", "params", "star_params", "top", "unsure")

    def __init__(self, fn: cst.FunctionDef) -> None:
        params = fn.params
        self.params: dict[str, cst.Param] = {
            p.name.value: p for p in (*params.posonly_params, *params.params,
                                      *params.kwonly_params)}
        self.star_params = {star.name.value for star in (params.star_arg, params.star_kwarg)
                            if type(star) is cst.Param}
        body = fn.body.body if type(fn.body) is cst.IndentedBlock else ()
        self.top: dict[int, int] = {id(stmt): i for i, stmt in enumerate(body)}
        counts: dict[str, int] = {}
        for name in _bound_names(fn.body):
            counts[name] = counts.get(name, 0) + 1
        # name -> (position of its one plain top-level ``name = value``, the value)
        self.once: dict[str, tuple[int, cst.BaseExpression]] = {}
        for position, stmt in enumerate(body):
            target = _plain_assignment(stmt)
            if target is not None and counts.get(target[0]) == 1:
                self.once[target[0]] = (position, target[1])
        self.unsure = {name for name in counts if name not in self.once} | (
            set(self.params) & set(counts)) | (self.star_params & set(counts))
        self.local_names = {*self.params, *self.star_params, *counts}


def demand_value(ctx: FileFacts, fn: cst.FunctionDef, expr: cst.BaseExpression,
                 bindings: Bindings) -> Value | None:
    """What ``expr``, inside ``fn``'s body, evaluates to (as ``ctx.flow(fn)`` would say);
    :class:`NeedsFlow` when that needs the whole flow."""
    position = _top_position(ctx, fn, expr, bindings)
    evaluator = _Evaluator(ctx, fn, bindings)
    return evaluator.eval(expr, _Environment(evaluator, position))


class _Unknowable(Mapping[str, Value]):
    """Class attributes: reading one needs every method's flow."""

    def __getitem__(self, key: str) -> Value:
        raise NeedsFlow(key)

    def get(self, key: str, default: object = None) -> Value | None:  # type: ignore[override]
        raise NeedsFlow(key)

    def __iter__(self) -> Iterator[str]:
        raise NeedsFlow("attributes")

    def __len__(self) -> int:
        raise NeedsFlow("attributes")


class _Evaluator(Flow):
    """A :class:`Flow` that evaluates expressions without walking its function."""

    def __init__(self, ctx: FileFacts, fn: cst.FunctionDef,
                 bindings: Bindings) -> None:  # no super().__init__: nothing is walked
        self.ctx = ctx
        self.scope = fn
        self.class_attrs = _Unknowable()
        self.before = {}
        self.local_names = bindings.local_names
        self.self_assignments = []
        self.bindings = bindings
        self._entry: dict[str, Value] = {}
        self._locals: dict[str, Value | None] = {}

    def entry_value(self, name: str) -> Value:
        """A parameter's value on entry, as the flow binds it."""
        value = self._entry.get(name)
        if value is None:
            value = self._entry[name] = self._parameter(
                self.scope, self.bindings.params[name])  # type: ignore[arg-type]
        return value

    def local_value(self, name: str) -> Value | None:
        """A local bound once, by its plain top-level assignment: the same value wherever
        it is read after it (valued once: ``name in env`` then ``env[name]`` asks twice,
        and each value may read the locals before it)."""
        if name not in self._locals:
            position, value = self.bindings.once[name]
            self._locals[name] = self.eval(value, _Environment(self, position))
        return self._locals[name]


class _Environment(Mapping[str, Value]):
    """The names bound before the top-level statement ``position`` of the function, each
    valued when asked."""

    def __init__(self, evaluator: _Evaluator, position: int) -> None:
        self.evaluator = evaluator
        self.position = position

    def _lookup(self, key: str) -> Value | None:
        bindings = self.evaluator.bindings
        if key in bindings.unsure or key.startswith("self."):
            raise NeedsFlow(key)
        if key in bindings.params:
            return self.evaluator.entry_value(key)
        once = bindings.once.get(key)
        if once is None or once[0] >= self.position:
            return _ABSENT  # never bound here (a star parameter is not in a flow's env)
        return self.evaluator.local_value(key)

    def __getitem__(self, key: str) -> Value:
        value = self._lookup(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._lookup(key) is not None

    def get(self, key: str, default: object = None) -> Value | None:  # type: ignore[override]
        value = self._lookup(key)
        return value if value is not None else default  # type: ignore[return-value]

    def __iter__(self) -> Iterator[str]:
        raise NeedsFlow("iteration")

    def __len__(self) -> int:
        raise NeedsFlow("iteration")


def _top_position(ctx: FileFacts, fn: cst.FunctionDef, node: cst.CSTNode,
                  bindings: Bindings) -> int:
    """The position in ``fn``'s body of the top-level statement that holds ``node``."""
    parent = ctx.index.parent
    current: cst.CSTNode | None = node
    while current is not None:
        position = bindings.top.get(id(current))
        if position is not None and parent(current) is fn.body:
            return position
        if current is fn:
            break
        current = parent(current)
    raise NeedsFlow("outside the body")  # a default or a decorator


def _plain_assignment(stmt: cst.CSTNode) -> tuple[str, cst.BaseExpression] | None:
    """``name = value`` alone on its line: the name and the value."""
    if type(stmt) is not cst.SimpleStatementLine or len(stmt.body) != 1:
        return None
    small = stmt.body[0]
    if type(small) is cst.Assign and len(small.targets) == 1 and type(
            small.targets[0].target) is cst.Name:
        return small.targets[0].target.value, small.value
    return None


def _bound_names(root: cst.CSTNode) -> Iterator[str]:
    """Every name a statement of ``root``'s scope binds, once per binding: assignments of
    all kinds, ``for``/``with``/``except`` targets, imports, ``global``/``nonlocal``/
    ``del``, nested definitions' names, ``match`` captures. Like the flow, it does not
    look into expressions (a comprehension's or a lambda's names are their own; a flow
    does not follow ``:=``) nor into nested definitions' bodies."""
    stack = [root]
    while stack:
        node = stack.pop()
        if type(node) in (cst.FunctionDef, cst.ClassDef):
            yield node.name.value
            continue
        if type(node) is cst.Assign:
            for target in node.targets:
                yield from _target_names(target.target)
            continue
        if type(node) in (cst.Import, cst.ImportFrom):
            if type(node.names) is not cst.ImportStar:
                for alias in node.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    while type(bound) is cst.Attribute:  # ``import a.b`` binds ``a``
                        bound = bound.value
                    if type(bound) is cst.Name:
                        yield bound.value
            continue
        if type(node) in (cst.Global, cst.Nonlocal):
            yield from (item.name.value for item in node.names)
            continue
        target = _binding_target(node)
        if target is not None:
            yield from _target_names(target)
        stack.extend(child for child in iter_children(node)
                     if not isinstance(child, cst.BaseExpression))


def _binding_target(node: cst.CSTNode) -> cst.CSTNode | None:
    """What the one-target binding construct ``node`` binds, if it is one."""
    if type(node) in (cst.AnnAssign, cst.AugAssign, cst.For, cst.Del):
        return node.target
    if type(node) is cst.WithItem and node.asname is not None:
        return node.asname.name
    if type(node) in (cst.ExceptHandler, cst.ExceptStarHandler) and node.name is not None:
        return node.name.name
    if type(node) in (cst.MatchAs, cst.MatchStar) and node.name is not None:
        return node.name
    if type(node) is cst.MatchMapping and node.rest is not None:
        return node.rest
    return None


def _target_names(target: cst.BaseExpression) -> Iterator[str]:
    """The plain names a target binds (``a``, ``a, (b, *c)``); an attribute or a subscript
    binds none."""
    return (name for name in target_names(target) if "." not in name)
