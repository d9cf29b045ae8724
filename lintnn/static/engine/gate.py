"""Which rules can fire on a file at all, decided on CPython's syntax tree.

Every rule may declare what a file must contain for it to fire (``Rule.needs``: names,
roles of the knowledge base, function names, framework imports). One walk over the tree
that CPython's parser already built (:func:`features`) collects the file's identifiers,
string literals, function names and imported packages; a rule whose needs they do not
meet is not run, and a file left with no rule is never parsed by libcst, which costs
about ten times as much as CPython's parse. The gate only drops rules that could not
report anything, so findings are the same with and without it
(``tests/test_gate_equivalence.py``).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lintnn.static import knowledge
from lintnn.static.rules.base import Needs, Rule, role_names


@dataclass(frozen=True)
class Features:
    """What one file contains, as far as rules' needs ask, and how deep its tree is."""

    words: frozenset[str]  # identifiers, and string literals that spell one
    calls: frozenset[str]  # the last name of every callee
    bare_calls: frozenset[str]  # ... of callees called with no argument
    imported_calls: frozenset[str]  # ... of callees reached through an imported name
    loop_calls: frozenset[str]  # ... of callees in a loop, or in a function a loop calls
    functions: tuple[str, ...]  # the names of its functions
    assigned: frozenset[str]  # the names in its assignments' targets
    roots: frozenset[str]  # the first part of every imported module or name
    relative: bool  # it has a relative import (``from . import x``)
    classes: frozenset[str]  # the names of its classes
    deepest: tuple[int, int]  # (depth, line) of its most deeply nested node
    # Running totals: dotted names added to in a loop (``total += x``, ``total = total +
    # x``) and divided (``total / n``, ``(total / n) / bs``, ``total /= n``).
    divided_totals: frozenset[str] = frozenset()
    # A call whose callee's last name the file binds (a parameter, a target in a store
    # context: ``Needs.called_bound``).
    called_bound: bool = False


class _Function:
    """A function met by the walk: its name, the function around it, the calls in it."""

    __slots__ = ("calls", "name", "outer")

    def __init__(self, name: str, outer: _Function | None) -> None:
        self.name = name
        self.outer = outer
        self.calls: set[str] = set()


# Per node type: the fields that hold children worth a visit, and whether it has a ``ctx``.
# The ``ctx`` child (Load, Store, Del) is always the last field, so the walk, which visits
# children last-first, would meet it right after its parent: the depth it adds is counted
# there. Operators (``op``, ``ops``) come before a sibling expression as deep as they are,
# so they never deepen the tree first. Both hold no names and are not visited.
_CHILD_FIELDS: dict[type, tuple[tuple[str, ...], bool]] = {}
_SKIPPED = frozenset({"ctx", "op", "ops"})


def _child_fields(kind: type) -> tuple[tuple[str, ...], bool]:
    fields = getattr(kind, "_fields", ())
    found = (tuple(f for f in fields if f not in _SKIPPED), "ctx" in fields)
    _CHILD_FIELDS[kind] = found
    return found


class Parts:
    """What a walk collected from one tree (a file, or one top-level statement of it),
    before the file's imports resolve its calls; :meth:`features` of several."""

    __slots__ = ("aliased", "assigned", "bare", "bound", "calls", "classes", "divided", "functions",
                 "heads", "imported", "in_loops", "relative", "roots", "summed", "words")

    def __init__(self) -> None:
        self.words: set[str] = set()
        self.calls: set[str] = set()
        self.bare: set[str] = set()
        self.heads: list[tuple[str, str]] = []  # (the name a callee's chain starts at, its last)
        self.aliased: list[tuple[str, bool, _Function | None]] = []  # f(...): f, in a loop, where
        self.in_loops: set[str] = set()
        self.functions: list[_Function] = []  # outer ones before the ones inside them
        self.classes: set[str] = set()
        self.assigned: set[str] = set()
        self.roots: set[str] = set()
        self.imported: dict[str, set[str]] = {}  # a name an import binds -> what it imports
        self.relative = False
        self.summed: set[str] = set()  # dotted names added to in a loop
        self.divided: set[str] = set()  # dotted names divided (the left end of a division)
        self.bound: set[str] = set()  # parameters, names and attributes stored to

    def walk(self, tree: ast.AST) -> tuple[int, int]:
        """Collect ``tree``; (depth, line) of its most deeply nested node."""
        words, bare, functions = self.words, self.bare, self.functions
        bind = self.bound.add
        imported, roots = self.imported, self.roots
        add = words.add
        best_depth, best_line = 0, 1
        # (node, depth, inside a loop, the innermost function around it)
        stack: list[tuple[ast.AST, int, bool, _Function | None]] = [(tree, 0, False, None)]
        pop, push = stack.pop, stack.append
        # The node classes as locals: each node meets up to twenty of these tests, and a
        # module attribute read per test made the walk 6% slower (lightning).
        Name, Attribute, Call, Constant = ast.Name, ast.Attribute, ast.Call, ast.Constant
        Keyword, Arg, FunctionDef, AsyncFunctionDef = ast.keyword, ast.arg, ast.FunctionDef, \
            ast.AsyncFunctionDef
        ClassDef, Assign, For, While, AsyncFor = ast.ClassDef, ast.Assign, ast.For, ast.While, \
            ast.AsyncFor
        Import, ImportFrom, Alias, Global, Nonlocal = ast.Import, ast.ImportFrom, ast.alias, \
            ast.Global, ast.Nonlocal
        ExceptHandler, MatchAs, MatchStar = ast.ExceptHandler, ast.MatchAs, ast.MatchStar
        MatchMapping, MatchClass, Node = ast.MatchMapping, ast.MatchClass, ast.AST
        BinOp, AugAssign, Div, Add = ast.BinOp, ast.AugAssign, ast.Div, ast.Add
        Store = ast.Store
        child_fields = _CHILD_FIELDS
        while stack:
            node, depth, in_loop, function = pop()
            if depth > best_depth:
                best_depth, best_line = depth, getattr(node, "lineno", best_line)
            kind = type(node)
            fields = child_fields.get(kind)
            if fields is None:
                fields = _child_fields(kind)
            if fields[1] and depth >= best_depth:  # its ``ctx`` (Load, Store), one deeper
                best_depth = depth + 1
            if kind is Name:
                add(node.id)  # type: ignore[attr-defined]
                if type(node.ctx) is Store:  # type: ignore[attr-defined]
                    bind(node.id)  # type: ignore[attr-defined]
            elif kind is Attribute:
                add(node.attr)  # type: ignore[attr-defined]
                if type(node.ctx) is Store:  # type: ignore[attr-defined]
                    bind(node.attr)  # type: ignore[attr-defined]
            elif kind is Call:
                func = node.func  # type: ignore[attr-defined]
                last = func.attr if type(func) is Attribute else (
                    func.id if type(func) is Name else None)
                if last is not None:
                    if not node.args and not node.keywords:  # type: ignore[attr-defined]
                        bare.add(last)
                    self._call(func, last, in_loop, function)
            elif kind is Constant:
                value = node.value  # type: ignore[attr-defined]
                if type(value) is bytes:
                    value = value.decode("latin-1")
                if type(value) is str and value.isidentifier():
                    add(value)
            elif kind is Keyword:
                if node.arg is not None:  # type: ignore[attr-defined]
                    add(node.arg)  # type: ignore[attr-defined]
            elif kind is Arg:
                add(node.arg)  # type: ignore[attr-defined]
                bind(node.arg)  # type: ignore[attr-defined]
            elif kind is FunctionDef or kind is AsyncFunctionDef:
                add(node.name)  # type: ignore[attr-defined]
                for decorator in node.decorator_list:  # type: ignore[attr-defined]
                    # ``@torch.no_grad`` is resolved like the call ``@torch.no_grad()``.
                    if type(decorator) is Attribute:
                        self._call(decorator, decorator.attr, in_loop, function)
                    elif type(decorator) is Name:
                        self._call(decorator, decorator.id, in_loop, function)
                function = _Function(node.name, function)  # type: ignore[attr-defined]
                functions.append(function)
            elif kind is ClassDef:
                add(node.name)  # type: ignore[attr-defined]
                self.classes.add(node.name)  # type: ignore[attr-defined]
            elif kind is Assign:
                for target in node.targets:  # type: ignore[attr-defined]
                    for part in ast.walk(target):
                        if type(part) is Name:
                            self.assigned.add(part.id)  # type: ignore[attr-defined]
                        elif type(part) is Attribute:
                            self.assigned.add(part.attr)  # type: ignore[attr-defined]
                if in_loop:
                    self._sum(node)  # type: ignore[arg-type]
            elif kind is BinOp:
                if type(node.op) is Div:  # type: ignore[attr-defined]
                    self._divide(node.left)  # type: ignore[attr-defined]
            elif kind is AugAssign:
                operator = type(node.op)  # type: ignore[attr-defined]
                if operator is Div:
                    self._divide(node.target)  # type: ignore[attr-defined]
                elif operator is Add and in_loop:
                    name = _dotted(node.target)  # type: ignore[attr-defined]
                    if name is not None:
                        self.summed.add(name)
            elif kind is For or kind is While or kind is AsyncFor:
                in_loop = True
            elif kind is Import:
                for alias in node.names:  # type: ignore[attr-defined]
                    first = alias.name.partition(".")[0]
                    roots.add(first)
                    bound = imported.setdefault(alias.asname or first, set())
                    bound.add(alias.name.rsplit(".", 1)[-1] if alias.asname else first)
            elif kind is ImportFrom:
                module = node.module  # type: ignore[attr-defined]
                if module:
                    words.update(module.split("."))
                    roots.add(module.partition(".")[0])
                for alias in node.names:  # type: ignore[attr-defined]
                    imported.setdefault(alias.asname or alias.name, set()).add(alias.name)
                if node.level:  # type: ignore[attr-defined]
                    self.relative = True
                    roots.update(a.name.partition(".")[0] for a in node.names)  # type: ignore[attr-defined]
            elif kind is Alias:
                words.update(node.name.split("."))  # type: ignore[attr-defined]
                if node.asname:  # type: ignore[attr-defined]
                    add(node.asname)  # type: ignore[attr-defined]
            elif kind is Global or kind is Nonlocal:
                words.update(node.names)  # type: ignore[attr-defined]
            elif kind is ExceptHandler or kind is MatchAs or kind is MatchStar:
                if node.name:  # type: ignore[attr-defined]
                    add(node.name)  # type: ignore[attr-defined]
                    bind(node.name)  # type: ignore[attr-defined]
            elif kind is MatchMapping:
                if node.rest:  # type: ignore[attr-defined]
                    add(node.rest)  # type: ignore[attr-defined]
                    bind(node.rest)  # type: ignore[attr-defined]
            elif kind is MatchClass:
                words.update(node.kwd_attrs)  # type: ignore[attr-defined]
            for name in fields[0]:
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, Node):
                            push((item, depth + 1, in_loop, function))
                elif isinstance(value, Node):
                    push((value, depth + 1, in_loop, function))
        return best_depth, best_line

    def _sum(self, node: ast.Assign) -> None:
        """``total = total + x`` (or ``x + total``): ``total`` is added to."""
        value = node.value
        if len(node.targets) != 1 or type(value) is not ast.BinOp or (
                type(value.op) is not ast.Add):
            return
        name = _dotted(node.targets[0])
        if name is not None and name in (_dotted(value.left), _dotted(value.right)):
            self.summed.add(name)

    def _divide(self, total: ast.expr) -> None:
        """``total`` is divided: the dotted name at the left end of its divisions."""
        while type(total) is ast.BinOp and type(total.op) is ast.Div:
            total = total.left
        name = _dotted(total)
        if name is not None:
            self.divided.add(name)

    def _call(self, func: ast.expr, last: str, in_loop: bool,
              function: _Function | None) -> None:
        self.calls.add(last)
        head = func
        while type(head) is ast.Attribute:
            head = head.value  # type: ignore[attr-defined]
        if type(head) is ast.Name:
            self.heads.append((head.id, last))  # type: ignore[attr-defined]
            if head is func:
                self.aliased.append((last, in_loop, function))
        if in_loop:
            self.in_loops.add(last)
        if function is not None:
            function.calls.add(last)


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names and attributes (``syntax.nodes.dotted_name``)."""
    parts: list[str] = []
    while type(node) is ast.Attribute:
        parts.append(node.attr)
        node = node.value
    if type(node) is not ast.Name:
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def features(tree: ast.AST) -> Features:
    """One walk over ``tree``: its :class:`Features`.

    The walk visits nodes in the order of :func:`~lintnn.static.engine.safe_parse.deepest`
    and measures depth the same way, so that the nesting check needs no walk of its own.
    """
    parts = Parts()
    deepest = parts.walk(tree)
    return combine([parts], deepest)


def combine(pieces: list[Parts], deepest: tuple[int, int]) -> Features:
    """The features of a file made of ``pieces`` (changes none of them)."""
    if len(pieces) == 1:
        whole = pieces[0]
    else:
        whole = Parts()
        for piece in pieces:
            for name in ("words", "calls", "bare", "in_loops", "classes", "assigned", "roots",
                         "summed", "divided", "bound"):
                getattr(whole, name).update(getattr(piece, name))
            whole.heads += piece.heads
            whole.aliased += piece.aliased
            whole.functions += piece.functions
            whole.relative = whole.relative or piece.relative
            for local, names in piece.imported.items():
                whole.imported.setdefault(local, set()).update(names)
    imported = whole.imported
    calls, bare, in_loops = set(whole.calls), set(whole.bare), set(whole.in_loops)
    function_calls = {id(f): set(f.calls) for f in whole.functions}
    # ``from torch.nn.utils import clip_grad_norm_ as clip``: ``clip(...)`` calls it.
    for local, in_loop, function in whole.aliased:
        originals = imported.get(local, ())
        calls.update(originals)
        if local in whole.bare:
            bare.update(originals)
        if in_loop:
            in_loops.update(originals)
        if function is not None:
            function_calls[id(function)].update(originals)
    resolved = {last for head, last in whole.heads if head in imported}
    resolved.update(name for local, _, _ in whole.aliased for name in imported.get(local, ()))
    return Features(
        frozenset(whole.words), frozenset(calls), frozenset(bare), frozenset(resolved),
        _reached(in_loops, whole.functions, function_calls),
        tuple(f.name for f in whole.functions), frozenset(whole.assigned),
        frozenset(whole.roots), whole.relative, frozenset(whole.classes), deepest,
        frozenset(whole.summed & whole.divided), not whole.calls.isdisjoint(whole.bound))


def _reached(calls: set[str], functions: list[_Function],
             function_calls: dict[int, set[str]]) -> frozenset[str]:
    """``calls`` and the calls of every function named like one of them, at any depth
    (a function's calls include those of the functions defined in it)."""
    for function in reversed(functions):  # inner functions come after their outer one
        if function.outer is not None:
            function_calls[id(function.outer)] |= function_calls[id(function)]
    by_name: dict[str, set[str]] = {}
    for function in functions:
        by_name.setdefault(function.name, set()).update(function_calls[id(function)])
    reached = set(calls)
    todo = list(calls)
    while todo:
        for name in by_name.pop(todo.pop(), ()):
            if name not in reached:
                reached.add(name)
                todo.append(name)
    return frozenset(reached)


@dataclass(frozen=True)
class _Condition:
    """One :class:`Needs`, compiled: sets to intersect with a file's features."""

    names: frozenset[str]
    calls: frozenset[str]
    bare_calls: frozenset[str]
    imported_calls: frozenset[str]
    loop_calls: frozenset[str]
    functions: Callable[[str], bool] | None
    assigned: Callable[[str], bool] | None
    words: Callable[[str], bool] | None
    roots: frozenset[str]  # the package roots of the frameworks asked for
    project_imports: bool = False
    called: Callable[[str], bool] | None = None
    divided_totals: bool = False
    called_bound: bool = False

    @classmethod
    def of(cls, needs: Needs) -> _Condition:
        roots = frozenset(root for root, framework in knowledge.FRAMEWORK_OF_ROOT.items()
                          if framework in needs.frameworks)
        wanted = set(needs.callee_roles)
        imported = {name.rsplit(".", 1)[-1] for name, entry in knowledge.ENTRIES.items()
                    if entry.roles & wanted}
        methods = {name for table in knowledge.METHODS.values()
                   for name, entry in table.items() if entry.roles & wanted}
        return cls(frozenset((*needs.names, *role_names(*needs.roles))),
                   frozenset((*needs.calls, *methods)), frozenset(needs.bare_calls),
                   frozenset(imported), frozenset(needs.loop_calls), _remembered(needs.functions),
                   _remembered(needs.assigned), _remembered(needs.words), roots,
                   needs.project_imports, _remembered(needs.called), needs.divided_totals,
                   needs.called_bound)

    def met(self, found: Features, package_root: Callable[[], str],
            near: Callable[[str], bool]) -> bool:
        if not (self.names.isdisjoint(found.words) and self.calls.isdisjoint(found.calls)
                and self.bare_calls.isdisjoint(found.bare_calls)
                and self.imported_calls.isdisjoint(found.imported_calls)
                and self.loop_calls.isdisjoint(found.loop_calls)):
            return True
        if self.functions is not None and any(map(self.functions, found.functions)):
            return True
        if self.assigned is not None and any(map(self.assigned, found.assigned)):
            return True
        if self.words is not None and any(map(self.words, found.words)):
            return True
        if self.called is not None and any(map(self.called, found.calls)):
            return True
        if self.divided_totals and found.divided_totals:
            return True
        if self.called_bound and found.called_bound:
            return True
        if self.project_imports and (found.relative or any(map(near, found.roots))):
            return True
        if self.roots:
            if not self.roots.isdisjoint(found.roots):
                return True
            if found.relative and package_root() in self.roots:
                return True
        return False


def _remembered(test: Callable[[str], bool] | None) -> Callable[[str], bool] | None:
    """``test`` answering each name once: the same identifiers recur in every file of a
    project and in every check of an edited buffer (a test is a pure function of a name)."""
    return None if test is None else functools.lru_cache(maxsize=1 << 16)(test)


@functools.cache
def _conditions(rule: type[Rule]) -> tuple[_Condition, ...] | None:
    needs = rule.needs
    return None if needs is None else tuple(_Condition.of(n) for n in needs)


def can_fire(rule: Rule, found: Features, package_root: Callable[[], str],
             near: Callable[[str], bool] = lambda root: False) -> bool:
    """Whether ``rule``'s needs are met by a file with these features (``near(root)``: the
    imported top-level module is one of the file's project, ``syntax.project_module``)."""
    conditions = _conditions(type(rule))
    return conditions is None or all(c.met(found, package_root, near) for c in conditions)


def gate(rules: Iterable[Rule], found: Features,
         package_root: Callable[[], str],
         near: Callable[[str], bool] = lambda root: False) -> list[Rule]:
    """The rules among ``rules`` that can fire on a file with these features.

    ``package_root``: the first part of the file's package (what a relative import
    starts with), asked for only when it decides.
    """
    root = functools.lru_cache(maxsize=1)(package_root)
    return [rule for rule in rules if can_fire(rule, found, root, near)]
