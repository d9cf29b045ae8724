"""The nesting bounds hold for every recursive walk: a deep expression never crashes a
run, never recurses in the error handler, never gives NN002, and no file aborts the run.

Issue 18, item 0b: ``F.cross_entropy(F.softmax(x + x + ... 490 terms, dim=1), y)`` made
the whole run exit 2 with a RecursionError; inside a training loop the error handler
itself recursed (``str`` of a KeyError holding a libcst node is the node's whole
``repr``); at 350 terms four rules gave NN002.
"""

from __future__ import annotations

import ast
import contextlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import libcst as cst
import pytest

from lintnn.config import Settings
from lintnn.static.engine import safe_parse
from lintnn.static.engine.analyze import analyze_text
from lintnn.static.engine.run import Engine, enabled_rules
from lintnn.static.engine.safe_parse import (
    FRAMES_PER_LEVEL,
    MAX_NESTING,
    MAX_TREE_DEPTH,
    STACK_BASE,
    deepest,
)
from lintnn.static.rules.base import Rule
from tests.conftest import subprocess_env

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from crash_scan import DEEP_SHAPES, LOOP, deep_variants, rule_examples, tree_depth

RULES = enabled_rules(Settings())
IN_A_FUNCTION = """import torch.nn.functional as F


def f(x, y):
    return F.cross_entropy(F.softmax({deep}, dim=1), y)
"""
IN_A_TRAINING_LOOP = LOOP  # the scan's training-loop frame
PLAIN = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
"""


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lintnn", "check", "--no-cache", *args],
                          capture_output=True, text=True, env=subprocess_env(), timeout=300)


@pytest.mark.parametrize("terms", [350, 490])
@pytest.mark.parametrize("template", [IN_A_FUNCTION, IN_A_TRAINING_LOOP],
                         ids=["function", "training-loop"])
def test_a_long_operand_chain_is_analysed(tmp_path: Path, template: str, terms: int) -> None:
    (tmp_path / "deep.py").write_text(template.format(deep=" + ".join(["x"] * terms)))
    (tmp_path / "plain.py").write_text(PLAIN)
    run = run_cli(str(tmp_path), "--output-format", "json")
    assert "Traceback" not in run.stderr and "RecursionError" not in run.stderr
    assert run.returncode == 1
    found = sorted((Path(d["filename"]).name, d["code"]) for d in json.loads(run.stdout))
    expected = [("deep.py", "NN101"), ("plain.py", "NN101")]
    if template is IN_A_TRAINING_LOOP:
        expected.insert(1, ("deep.py", "NN506"))  # total += loss
    assert found == expected


@contextlib.contextmanager
def recursion_limit(limit: int, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The deep threads get exactly ``limit`` frames (the caller's thread too, meanwhile)."""
    monkeypatch.setattr(safe_parse, "recursion_limit", lambda: limit)
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


# Deep enough that a walk spending one frame more per level than FRAMES_PER_LEVEL runs
# out; bracketed shapes are fewer (libcst's parse time grows with the square of their
# depth), but each of their levels is two or three libcst levels.
LEVELS = {"add": 100, "attribute": 100, "if-else": 100, "lambda-default": 100,
          "passthrough": 60, "call": 40, "subscript": 40, "list": 40, "generator": 40}


@pytest.mark.parametrize("shape", sorted(LEVELS))
def test_every_walk_fits_in_frames_per_level(shape: str, monkeypatch) -> None:
    """Every rule page example, a name on its flagged lines nested deep in ``shape``:
    every rule and every analysis runs in STACK_BASE + FRAMES_PER_LEVEL frames per level
    of the tree, which is what RECURSION_LIMIT grants at MAX_TREE_DEPTH. (The benchmark
    ``crash_scan.py --depths`` tries every name of those lines, and the shapes these
    repeat: `not`, `and`, keyword arguments, dicts...)"""
    levels = LEVELS[shape]
    checked = 0
    for code, example in rule_examples():
        for name, text in list(deep_variants(example, shape, levels))[:1]:
            limit = STACK_BASE + FRAMES_PER_LEVEL * tree_depth(text)
            with recursion_limit(limit, monkeypatch):
                result = analyze_text(Path("example.py"), text, RULES)
            bad = [d.message for d in result.diagnostics if d.code in ("NN001", "NN002")]
            assert not bad, f"{code}, `{name}` made {levels} levels deep ({shape}): {bad}"
            assert result.skipped is None
            checked += 1
    assert checked >= len(RULES)


def within_the_bounds(text: str) -> bool:
    try:
        tree = ast.parse(text)
        return deepest(tree)[0] <= MAX_NESTING and tree_depth(text) <= MAX_TREE_DEPTH
    except cst.ParserSyntaxError:  # libcst's own limit on adjacent strings
        return False


# The most terms each shape can have in IN_A_TRAINING_LOOP within both bounds.
AT_THE_BOUND = {"add": 994, "attribute": 993, "lambda-default": 496, "and": 2990,
                "strings": 2989}


@pytest.mark.skipif(MAX_TREE_DEPTH != 3 * MAX_NESTING, reason="Python 3.12's lower bound")
@pytest.mark.parametrize("shape", sorted(AT_THE_BOUND))
def test_the_deepest_file_within_the_bounds_is_analysed(shape: str) -> None:
    def text(terms: int) -> str:
        return IN_A_TRAINING_LOOP.format(deep=DEEP_SHAPES[shape]("x", terms))

    terms = AT_THE_BOUND[shape]
    assert within_the_bounds(text(terms)) and not within_the_bounds(text(terms + 10))
    result = analyze_text(Path("deep.py"), text(terms), RULES)
    assert result.skipped is None
    assert sorted(d.code for d in result.diagnostics) == ["NN101", "NN506"]


def test_a_tree_beyond_the_bound_is_skipped_and_the_run_goes_on(tmp_path: Path) -> None:
    """`and` chains and adjacent strings are flat for CPython, one level per term for
    libcst: the tree's own depth decides."""
    deep = IN_A_TRAINING_LOOP.format(deep=" and ".join(["x"] * (MAX_TREE_DEPTH + 50)))
    assert deepest(ast.parse(deep))[0] < 20
    (tmp_path / "deep.py").write_text(deep)
    (tmp_path / "plain.py").write_text(PLAIN)
    result = Engine(Settings(root=tmp_path), use_cache=False, jobs=1).check_paths([tmp_path])
    assert [(Path(d.filename).name, d.code) for d in result.diagnostics] == [
        ("plain.py", "NN101")]
    [(path, reason)] = result.skipped
    assert path.name == "deep.py" and f"up to {MAX_TREE_DEPTH} levels" in reason


def test_what_libcst_refuses_but_python_accepts_is_skipped_not_nn001(tmp_path: Path) -> None:
    text = IN_A_TRAINING_LOOP.format(deep=" ".join(['"a"'] * 5000) + " + x")
    with pytest.raises(cst.ParserSyntaxError):
        safe_parse.on_deep_stack(cst.parse_module, text)
    result = analyze_text(Path("strings.py"), text, RULES)
    assert result.diagnostics == []
    assert result.skipped is not None and "libcst cannot parse it" in result.skipped


class _Explodes(Rule):
    name = "explodes"
    message = "never reported"

    def check(self, ctx) -> None:
        raise KeyError(ctx.module)  # ``str`` of this error is the module's whole repr


_Explodes.code = "NN999"  # set after the class statement: kept out of the registry


def test_the_error_handler_never_renders_a_tree() -> None:
    terms = min(900, MAX_TREE_DEPTH - 50)  # deep, and within the bound
    text = IN_A_TRAINING_LOOP.format(deep=" + ".join(["x"] * terms))
    result = analyze_text(Path("deep.py"), text, [_Explodes()])
    [diagnostic] = result.diagnostics
    assert diagnostic.code == "NN002"
    assert "NN999" in diagnostic.message and "KeyError: <Module>" in diagnostic.message
    assert len(diagnostic.message) < 300


def test_a_failure_outside_the_rules_is_a_finding_on_that_file_only(
        tmp_path: Path, monkeypatch) -> None:
    from lintnn.static.engine import files

    real = files.analyze_bytes

    def broken(path: Path, *args):
        if path.name == "bad.py":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, *args)

    monkeypatch.setattr(files, "analyze_bytes", broken)
    (tmp_path / "bad.py").write_text(PLAIN)
    (tmp_path / "plain.py").write_text(PLAIN)
    result = Engine(Settings(root=tmp_path), use_cache=False, jobs=1).check_paths([tmp_path])
    found = [(Path(d.filename).name, d.code) for d in result.diagnostics]
    assert found == [("bad.py", "NN002"), ("plain.py", "NN101")]
    assert "RecursionError" in result.diagnostics[0].message
