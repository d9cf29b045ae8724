"""The gate on CPython's tree, and the rules' first pass on the tree built from it
(``engine/from_ast.py``), change no finding: the same diagnostics with and without them
(``Engine(gated=False)`` runs every rule on libcst's tree).

Compared on the test suite's corpus (every rule page's examples, ``examples/``, the code
snippets of the tests, and the test files themselves as a project, so that class
summaries left for later are asked for across files) and on a real package's sources
(transformers, slow).
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import textwrap
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.diagnostics import Diagnostic
from lintnn.static.engine.run import Engine

ROOT = Path(__file__).resolve().parent.parent
_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


def page_examples() -> list[str]:
    return [block for page in sorted((ROOT / "rules").glob("NN*.md"))
            for block in _BLOCK.findall(page.read_text(encoding="utf-8"))]


def snippets_of_tests() -> list[str]:
    """Every multi-line string of the tests that is Python code (the linted snippets)."""
    found = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and "\n" in node.value:
                code = textwrap.dedent(node.value)
                try:
                    ast.parse(code)
                except (SyntaxError, ValueError):
                    continue
                found.append(code)
    return found


def _engine(gated: bool, root: Path = ROOT, jobs: int = 1) -> Engine:
    settings = Settings(select=["NN"], root=root)
    return Engine(settings, use_cache=False, jobs=jobs, gated=gated)


def _both(check) -> tuple[list[Diagnostic], list[Diagnostic]]:
    return check(_engine(True)), check(_engine(False))


def test_the_snippets_corpus_is_large() -> None:
    assert len(page_examples()) >= 2 * 35
    assert len(snippets_of_tests()) > 300


@pytest.mark.parametrize("name,snippets", [("pages", page_examples()),
                                           ("tests", snippets_of_tests())])
def test_same_findings_on_snippets(name: str, snippets: list[str]) -> None:
    gated, plain = _engine(True), _engine(False)
    total = 0
    for number, code in enumerate(snippets):
        for filename in ("train.py", "test_model.py"):  # a test file turns some rules off
            path = Path(f"{name}_{number}_{filename}")
            with_gate = gated.check_source(path, code).diagnostics
            assert with_gate == plain.check_source(path, code).diagnostics, code
            total += len(with_gate)
    assert total > 0  # the corpus has findings to lose


@pytest.mark.parametrize("folder", ["examples", "tests"])
def test_same_findings_on_folders(folder: str) -> None:
    """Whole folders: class summaries left for later are asked for across files."""
    gated, plain = _both(lambda engine: engine.check_paths([ROOT / folder]).diagnostics)
    assert gated == plain
    if folder == "examples":
        assert gated


def _package_files(name: str) -> list[Path]:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.skip(f"{name} is not installed")
    tree = Path(spec.origin).parent
    return sorted(p for p in tree.rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.slow
def test_same_findings_on_transformers() -> None:
    files = _package_files("transformers")
    jobs = os.cpu_count() or 1
    root = files[0].parent
    gated = _engine(True, root, jobs).check_paths(files)
    plain = _engine(False, root, jobs).check_paths(files)
    assert gated.diagnostics == plain.diagnostics
    assert [(str(p), why) for p, why in gated.skipped] == \
        [(str(p), why) for p, why in plain.skipped]
    assert len(gated.diagnostics) > 10
