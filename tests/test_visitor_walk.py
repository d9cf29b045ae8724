"""``walk`` calls a visitor's methods as libcst's own visit does, in the same order, for
every visitor of the code's structure, and leaves any other visitor to libcst."""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from lintnn.static.analyses import loops
from lintnn.static.engine.fast_parse import parse_module
from lintnn.static.syntax.visitor import _entered_classes, _hooks, walk

ROOT = Path(__file__).resolve().parent.parent


def _trees() -> list[cst.Module]:
    paths = [*sorted((ROOT / "lintnn" / "static").rglob("*.py"))[:40],
             *sorted((ROOT / "examples").glob("*.py"))]
    return [parse_module(p.read_text(encoding="utf-8")) for p in paths]


def _recorder(skip: frozenset[str]) -> type[cst.CSTVisitor]:
    """A visitor of every class the walk enters, logging each call; it does not enter
    the classes in ``skip``."""
    members = {}
    for name in _entered_classes():
        def visit(self, node, name=name):
            self.log.append(("visit", name, id(node)))
            return False if name in skip else None

        def leave(self, node, name=name):
            self.log.append(("leave", name, id(node)))

        members[f"visit_{name}"] = visit
        members[f"leave_{name}"] = leave
    members["__init__"] = lambda self: setattr(self, "log", [])
    return type("Recorder", (cst.CSTVisitor,), members)


def test_the_same_calls_in_the_same_order_as_libcst_s_visit() -> None:
    checked = 0
    for skip in (frozenset(), frozenset({"FunctionDef", "Lambda", "IfExp", "Arg"})):
        recorder = _recorder(skip)
        assert _hooks(recorder) is not None
        for tree in _trees():
            for statement in tree.body:
                by_libcst, by_walk = recorder(), recorder()
                statement.visit(by_libcst)
                walk(statement, by_walk)
                assert by_walk.log == by_libcst.log
                checked += len(by_walk.log)
    assert checked > 100_000


def test_the_collectors_answer_as_with_libcst_s_visit() -> None:
    for tree in _trees()[:15]:
        for node in tree.body:
            collector = loops._CallCollector()
            node.visit(collector)
            assert loops._calls_in.__wrapped__(node) == tuple(collector.calls)
            binder = loops._BindingCollector(node)
            node.visit(binder)
            assert loops._bound_names.__wrapped__(node) == tuple(binder.bound)
            for name in ("self", "node", "x"):
                finder = loops._NameFinder(name)
                node.visit(finder)
                assert loops.mentions.__wrapped__(node, name) == finder.found


def test_a_visitor_of_whitespace_or_of_an_attribute_is_left_to_libcst() -> None:
    class Commas(cst.CSTVisitor):
        def __init__(self) -> None:
            self.count = 0

        def visit_Comma(self, node: cst.Comma) -> None:
            self.count += 1

    class Funcs(cst.CSTVisitor):
        def __init__(self) -> None:
            self.count = 0

        def visit_Call_func(self, node: cst.Call) -> None:
            self.count += 1

    assert _hooks(Commas) is None and _hooks(Funcs) is None
    tree = parse_module("f(a, b)\ng(c, d, e)\n")
    commas, funcs = Commas(), Funcs()
    walk(tree, commas)
    walk(tree, funcs)
    assert (commas.count, funcs.count) == (3, 2)


def test_without_libcst_s_sources_libcst_visits(monkeypatch) -> None:
    """The order of a node's children is read from libcst's source; an install without it
    falls back to libcst's own visit rather than guess an order."""
    from lintnn.static.syntax import visitor

    assert visitor._order_readable()
    visitor._order_readable.cache_clear()
    monkeypatch.setattr(visitor, "_visiting_order", lambda kind: [])
    calls: list[str] = []

    class Visits(cst.CSTVisitor):
        def visit_Name(self, node: cst.Name) -> None:
            calls.append(node.value)

    tree = parse_module("@d\ndef f(x):\n    return y\n")
    rebuilt = cst.Module.visit

    def spy(self, visitor):  # libcst's visit of the module, recorded
        calls.append("<libcst>")
        return rebuilt(self, visitor)

    monkeypatch.setattr(cst.Module, "visit", spy)
    try:
        walk(tree, Visits())
    finally:
        visitor._order_readable.cache_clear()
    assert calls == ["<libcst>", "d", "f", "x", "y"]
