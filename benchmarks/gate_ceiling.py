"""How much libcst parsing the gate leaves, and how much a finer gate could ever remove.

    python benchmarks/gate_ceiling.py --package transformers
    python benchmarks/gate_ceiling.py PATH [--rate 40]

``lintnn check`` parses a file with libcst when the gate (``engine/gate.py``) keeps at
least one rule for it; the parse is the largest phase of a cold run (``profile_static.py``).
This script answers, for one tree, without running any rule:

* which rules keep which files (files and megabytes, and those no other rule keeps): what
  tightening one rule's needs could save;
* the greedy drop table: the rules whose needs would have to be met by no file at all, one
  after another, for the parsed megabytes to fall (files are kept by several rules each);
* ceilings of finer gates: the megabytes left if the gate decided per top-level statement
  or per function (each method alone) which rules can fire there, with the module-level
  statements (imports, constants) always parsed. "declared" keeps today's contract: only
  rules with ``scope = "statement"`` may be decided per statement, a module-scope rule
  keeps the whole file. "every rule" pretends all rules were local (an upper bound on the
  saving, not something the rules allow today);
* "function, what rules read": per function, each rule keeping around a function it can
  fire in what a survey of the checks found it reads (``_READS_*``: its own function, the
  reach of the dataflow, or the whole file): the ceiling of a per-function gate that the
  rules as written would allow;
* with ``--rate N``: libcst's parse cost per megabyte, measured on N of the kept files, to
  turn megabytes into CPU seconds.

The features of a unit are the gate's own (``gate.Parts``), of the unit and of the
module-level statements together; a unit is dropped when no active rule of the file can
fire on those features.
"""

from __future__ import annotations

import argparse
import ast
import functools
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from bench_static import package_tree, python_files  # noqa: E402

from lintnn.static.engine.analyze import _package_root, any_triggered  # noqa: E402
from lintnn.static.engine.gate import Parts, combine, gate  # noqa: E402
from lintnn.static.rules import all_rules  # noqa: E402
from lintnn.static.rules.base import Rule  # noqa: E402
from lintnn.static.syntax.project import project_module  # noqa: E402

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_DEFINITIONS = (*_FUNCTIONS, ast.ClassDef)
_NO_DEPTH = (0, 1)  # ``combine`` wants a depth; the gate does not read it

# What each module-scope rule reads beyond the function that holds its finding, from a
# reading of their checks (eleventh session; ``results-static.md``): nothing (or the
# class's bases), or the whole file by nature. The others read the reach of
# ``ctx.value``: the functions a function calls and those calling it (any depth), its
# class's methods and the module's statements. Statement-scope rules read their
# top-level statement. Keep in step with the rules: this only feeds an estimate.
_READS_OWN_FUNCTION = frozenset({"NN203", "NN304", "NN306", "NN512", "NN516", "NN518"})
_READS_WHOLE_FILE = frozenset({"NN201", "NN202", "NN205", "NN206", "NN301", "NN302",
                               "NN303", "NN305", "NN307", "NN308", "NN514"})


@dataclass
class Kept:
    """One file the gate keeps: its size, the rules kept, what finer gates would keep."""

    path: Path
    size: int
    rules: frozenset[str]
    # bytes kept by each finer gate (see :func:`finer`)
    finer: dict[str, int] = field(default_factory=dict)


def _start_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None)
    return decorators[0].lineno if decorators else node.lineno


def _size(node: ast.stmt, line_sizes: list[int]) -> int:
    return sum(line_sizes[_start_line(node) - 1:node.end_lineno])


def _parts(nodes: Iterable[ast.AST]) -> Parts:
    parts = Parts()
    for node in nodes:
        parts.walk(node)
    return parts


def finer(tree: ast.Module, text: str, active: list[Rule],
          firing: Callable[[list[Rule], Parts, list[Parts]], list[Rule]]) -> dict[str, int]:
    """Bytes a finer gate keeps, per kind of finer gate (see the module's docstring)."""
    line_sizes = [len(line) for line in text.splitlines(keepends=True)]
    module_level = [_parts([s]) for s in tree.body if not isinstance(s, _DEFINITIONS)]
    local = [r for r in active if r.scope == "statement"]
    whole_file = len(local) < len(active)  # a module-scope rule: the whole file, today
    dropped = {"statement, declared": 0, "statement, every rule": 0,
               "function, every rule": 0}
    kept_by_reach = _kept_by_reach(tree, active, firing, module_level)
    for stmt in tree.body:
        if not isinstance(stmt, _DEFINITIONS):
            continue
        own = _parts([stmt])
        if not whole_file and not firing(local, own, module_level):
            dropped["statement, declared"] += _size(stmt, line_sizes)
        if not firing(active, own, module_level):
            dropped["statement, every rule"] += _size(stmt, line_sizes)
        for unit in _members(stmt):
            if not firing(active, _parts([unit]), module_level):
                dropped["function, every rule"] += _size(unit, line_sizes)
    sizes = {kind: len(text) - saved for kind, saved in dropped.items()}
    sizes["function, what rules read"] = len(text) - (0 if kept_by_reach is None else sum(
        _size(unit, line_sizes) for unit in _units(tree) if id(unit) not in kept_by_reach))
    return sizes


def _members(stmt: ast.stmt) -> list[ast.stmt]:
    """The units of a top-level statement: a function itself, a class's methods."""
    if isinstance(stmt, _FUNCTIONS):
        return [stmt]
    if isinstance(stmt, ast.ClassDef):
        return [m for m in stmt.body if isinstance(m, _FUNCTIONS)]
    return []


def _units(tree: ast.Module) -> list[ast.stmt]:
    """Top-level functions and the methods of top-level classes."""
    return [unit for stmt in tree.body for unit in _members(stmt)]


def _called_names(node: ast.AST) -> set[str]:
    names = set()
    for call in ast.walk(node):
        if isinstance(call, ast.Call):
            func = call.func
            if isinstance(func, ast.Name):
                names.add(func.id)
            elif isinstance(func, ast.Attribute):
                names.add(func.attr)
    return names


def _kept_by_reach(tree: ast.Module, active: list[Rule],
                   firing: Callable[[list[Rule], Parts, list[Parts]], list[Rule]],
                   module_level: list[Parts]) -> set[int] | None:
    """The ids of the units a per-function gate keeps when each rule keeps, around a
    function it can fire in, what it reads (``_READS_*``); None: the whole file."""
    if any(rule.code in _READS_WHOLE_FILE for rule in active):
        return None
    owner = {id(unit): stmt for stmt in tree.body for unit in _members(stmt)}
    units = _units(tree)
    calls = {id(u): _called_names(u) for u in units}
    by_name: dict[str, list[ast.stmt]] = {}
    for unit in units:
        by_name.setdefault(unit.name, []).append(unit)  # type: ignore[attr-defined]
    kept: set[int] = set()
    reach: list[ast.stmt] = []  # units whose call-graph neighbourhood and class are kept
    for unit in units:
        here = firing(active, _parts([unit]), module_level)
        if not here:
            continue
        kept.add(id(unit))
        if any(r.scope == "statement" for r in here):
            kept.update(id(u) for u in units if owner[id(u)] is owner[id(unit)])
        if any(r.scope != "statement" and r.code not in _READS_OWN_FUNCTION for r in here):
            reach.append(unit)
    seen: set[int] = set()
    while reach:  # callers and callees by name, at any depth; the class's methods
        unit = reach.pop()
        if id(unit) in seen:
            continue
        seen.add(id(unit))
        kept.add(id(unit))
        name = unit.name  # type: ignore[attr-defined]
        neighbours = [u for called in calls[id(unit)] for u in by_name.get(called, ())]
        neighbours += [u for u in units if name in calls[id(u)]]
        neighbours += [u for u in units if owner[id(u)] is owner[id(unit)]]
        reach.extend(u for u in neighbours if id(u) not in seen)
    return kept


def survey(tree: Path, rules: list[Rule]) -> tuple[int, int, list[Kept]]:
    """(files, bytes, the files the gate keeps) of ``tree``."""
    files = python_files(tree)
    total = 0
    kept: list[Kept] = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        total += len(text)
        if not any_triggered(tuple(rules), text):
            continue
        try:
            module = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue
        root = functools.partial(_package_root, path, None)
        near = functools.partial(project_module, path)

        def firing(candidates: list[Rule], own: Parts, module_level: list[Parts],
                   root: Callable[[], str] = root,
                   near: Callable[[str], bool] = near) -> list[Rule]:
            """The rules among ``candidates`` whose needs a unit meets."""
            return gate(candidates, combine([*module_level, own], _NO_DEPTH), root, near)

        found = combine([_parts([module])], _NO_DEPTH)
        active = [r for r in gate(rules, found, root, near) if r.applies_to(text)]
        if not active:
            continue
        kept.append(Kept(path, len(text), frozenset(r.code for r in active),
                         finer(module, text, active, firing)))
    return len(files), total, kept


def drop_table(kept: list[Kept], steps: int) -> list[tuple[str, int]]:
    """Greedily, the rule whose removal saves the most bytes, given those removed before:
    (rule, bytes parsed once it and the earlier ones keep no file)."""
    removed: set[str] = set()
    table = []
    codes = sorted({code for k in kept for code in k.rules})
    for _ in range(min(steps, len(codes))):
        def left(code: str) -> int:
            gone = removed | {code}
            return sum(k.size for k in kept if not k.rules <= gone)
        best = min((c for c in codes if c not in removed), key=lambda c: (left(c), c))
        removed.add(best)
        table.append((best, left(best)))
    return table


def parse_rate(kept: list[Kept], count: int) -> float:
    """libcst's parse, CPU seconds per megabyte, on ``count`` kept files spread over the tree."""
    from lintnn.static.engine import fast_parse

    chosen = kept[:: max(1, len(kept) // count)][:count]
    texts = [k.path.read_text(encoding="utf-8", errors="replace") for k in chosen]
    fast_parse.parse_module(texts[0])  # the fast constructors are put in on first use
    start = time.process_time()
    for text in texts:
        fast_parse.parse_module(text)
    return (time.process_time() - start) / (sum(map(len, texts)) / 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tree", nargs="?", type=Path)
    parser.add_argument("--package", help="an installed package's sources, e.g. transformers")
    parser.add_argument("--drops", type=int, default=10, help="rows of the drop table")
    parser.add_argument("--rate", type=int, default=0, metavar="N",
                        help="measure libcst's parse rate on N kept files")
    args = parser.parse_args()
    if (args.tree is None) == (args.package is None):
        parser.error("give a tree or --package")
    tree = args.tree or package_tree(args.package)
    rules = [cls() for cls in all_rules().values()]
    files, total, kept = survey(tree, rules)
    parsed = sum(k.size for k in kept)
    mb = 1e6
    print(f"# gate ceiling: {tree.name}\n")
    print(f"{files} files, {total / mb:.1f} MB; the gate keeps {len(kept)} files, "
          f"{parsed / mb:.1f} MB ({parsed / max(total, 1):.0%})\n")
    print("| rule | files kept | MB | kept by it alone | MB alone |")
    print("|---|---:|---:|---:|---:|")
    codes = sorted({c for k in kept for c in k.rules},
                   key=lambda c: -sum(k.size for k in kept if c in k.rules))
    for code in codes:
        mine = [k for k in kept if code in k.rules]
        alone = [k for k in mine if k.rules == {code}]
        print(f"| {code} | {len(mine)} | {sum(k.size for k in mine) / mb:.1f} | "
              f"{len(alone)} | {sum(k.size for k in alone) / mb:.2f} |")
    print("\n| rules keeping no file (greedy, cumulative) | MB parsed |")
    print("|---|---:|")
    print(f"| (none: today) | {parsed / mb:.1f} |")
    names: list[str] = []
    for code, left in drop_table(kept, args.drops):
        names.append(code)
        print(f"| {', '.join(names)} | {left / mb:.1f} |")
    print("\n| gate decides per | MB parsed | share of today |")
    print("|---|---:|---:|")
    print(f"| file (today) | {parsed / mb:.1f} | 100% |")
    for kind in ("statement, declared", "statement, every rule", "function, every rule",
                 "function, what rules read"):
        size = sum(k.finer[kind] for k in kept)
        print(f"| {kind} | {size / mb:.1f} | {size / max(parsed, 1):.0%} |")
    if args.rate:
        rate = parse_rate(kept, args.rate)
        print(f"\nlibcst parse: {rate:.2f} CPU s per MB ({args.rate} kept files): "
              f"{rate * parsed / mb:.1f} CPU s for what the gate keeps today")


if __name__ == "__main__":
    main()
