"""Walks of the syntax tree in the static half read a node's children from its fields
(``iter_children``): libcst's ``node.children`` rebuilds every child it passes, and cost a
third of a re-lint of a large file when analyses walked with it."""

from __future__ import annotations

import re
from pathlib import Path

import libcst as cst

from lintnn.static.syntax.index import iter_children

STATIC = Path(__file__).resolve().parent.parent / "lintnn" / "static"
# Reads that need what iter_children leaves out (comments are whitespace, not children).
ALLOWED = {("rules/affine_layers_without_activation.py", "_comments")}


def _uses() -> set[tuple[str, str]]:
    found = set()
    for path in STATIC.rglob("*.py"):
        function = "<module>"
        for line in path.read_text(encoding="utf-8").splitlines():
            header = re.match(r"\s*def (\w+)", line)
            if header:
                function = header.group(1)
            if re.search(r"\.children\b(?!\()", line) and not line.lstrip().startswith(
                    ("#", "from ", "import ")):  # not the module ``syntax.children``
                found.add((path.relative_to(STATIC).as_posix(), function))
    return found


def test_no_analysis_walks_with_libcst_children() -> None:
    assert _uses() <= ALLOWED, sorted(_uses() - ALLOWED)


def test_no_analysis_runs_libcst_s_visit() -> None:
    """``node.visit(visitor)`` rebuilds the subtree (as costly as parsing it): visitors run
    through ``syntax.visitor.walk``, which falls back to libcst's visit by itself."""
    found = set()
    for path in STATIC.rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.visit\(", line) and not line.lstrip().startswith("#"):
                found.add((path.relative_to(STATIC).as_posix(), number))
    assert {where for where, _ in found} <= {"syntax/visitor.py"}, sorted(found)


def test_iter_children_sees_every_syntactic_child() -> None:
    """What the walks look for (names, calls, blocks, returns) is among the children
    ``iter_children`` yields, in a module that has every kind of statement."""
    module = cst.parse_module(
        "@deco(a)\nasync def f(x: int = y, *args, k=z, **kw) -> T:\n"
        "    with open(p) as (h, i):\n        return [g(v) for v in w if v]\n"
        "class C(B, metaclass=M):\n    x: int = 1\n    def m(self): yield self.x\n"
        "try:\n    s = t if u else v\nexcept E as e:\n    raise R from e\n"
        "finally:\n    del q[1:2, ::3]\n"
        "for a, *b in {c: d for c, d in e}:\n    while not f: lambda g=1: g\n"
        "match m:\n    case [1, *r] if r:\n        pass\n")
    walked, everything = [], []

    def walk(node: cst.CSTNode) -> None:
        walked.append(node)
        for child in iter_children(node):
            walk(child)

    def visit(node: cst.CSTNode) -> None:
        everything.append(node)
        for child in node.children:
            visit(child)

    walk(module)
    visit(module)
    kinds = (cst.Name, cst.Call, cst.Return, cst.IndentedBlock, cst.Lambda, cst.Yield,
             cst.Raise, cst.Del, cst.Subscript, cst.Param, cst.MatchCase)
    assert [n for n in everything if isinstance(n, kinds)] and all(
        any(n is w for w in walked) for n in everything if isinstance(n, kinds))


_ISINSTANCE = re.compile(  # isinstance(x, cst.A) and isinstance(f(x), (cst.A, cst.B))
    r"isinstance\((?:[^()]|\([^()]*\))+?, (cst\.\w+|\((?:cst\.\w+,\s*)+(?:cst\.\w+)?\))\)")


def _concrete(name: str) -> bool:
    kind = getattr(cst, name, None)
    return isinstance(kind, type) and issubclass(kind, cst.CSTNode) and not getattr(
        kind, "__abstractmethods__", None) and not name.startswith("Base")


def test_analyses_test_concrete_node_classes_exactly() -> None:
    """``type(node) is cst.Name``, not ``isinstance(node, cst.Name)``, for libcst's concrete
    node classes (none has subclasses): libcst's classes are ABCs, whose isinstance costs
    15x an exact test where it fails, which is most of the time; a million of them were a
    fifth of a re-lint of a dense file. Abstract bases (``cst.BaseExpression``) keep
    isinstance."""
    found = []
    for folder in ("syntax", "analyses", "rules"):
        for path in (STATIC / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                for match in _ISINSTANCE.finditer(line):
                    names = re.findall(r"cst\.(\w+)", match.group(1))
                    if all(_concrete(name) for name in names):
                        found.append(f"{folder}/{path.name}:{number}: {match.group(0)}")
    assert not found, found
