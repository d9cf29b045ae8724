"""Huge and hostile files: a clear finding or a clean result, never a crash."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine import Engine

TRAINING = "import torch.nn as nn\nimport torch.nn.functional as F\n"


def check(tmp_path: Path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return Engine(Settings(root=tmp_path), use_cache=False, jobs=1).check_paths([path])


def python_accepts(text: str) -> bool:
    try:
        ast.parse(text)
    except (SyntaxError, RecursionError, MemoryError):
        return False
    return True


@pytest.mark.parametrize(
    "body",
    [
        "x = " + "(" * 150 + "1" + ")" * 150,
        "x = " + "[" * 3000 + "]" * 3000,
        "x = 1" + " + 1" * 20000,
    ],
    ids=["parens", "brackets", "long-chain"],
)
def test_deep_nesting(tmp_path: Path, body: str) -> None:
    text = TRAINING + "loss = nn.CrossEntropyLoss()\n" + body + "\n"
    result = check(tmp_path, "deep.py", text)
    codes = {d.code for d in result.diagnostics}
    assert "NN002" not in codes
    if not python_accepts(text):
        assert codes == {"NN001"}


BUGGY = (
    "loss_fn = nn.CrossEntropyLoss()\n\n\n"
    "def step(model, x, y):\n"
    "    return loss_fn(F.softmax(model(x), dim=1), y)\n"
)


def chain(terms: int) -> str:
    return "table = 1" + " + 1" * terms + "\n"


def test_nesting_within_the_bound_is_analysed(tmp_path: Path) -> None:
    result = check(tmp_path, "deep.py", TRAINING + chain(950) + BUGGY)
    assert [d.code for d in result.diagnostics] == ["NN101"]
    assert result.skipped == []


def test_nesting_beyond_the_bound_is_skipped_with_a_message(tmp_path: Path) -> None:
    """Valid for Python, but libcst would take seconds per such expression."""
    text = TRAINING + "\n" + chain(2000) + BUGGY
    assert python_accepts(text)
    result = check(tmp_path, "deep.py", text)
    assert result.diagnostics == []
    [(path, reason)] = result.skipped
    assert path.name == "deep.py"
    assert "line 4 is nested 200" in reason and "1000 levels" in reason


def test_a_skipped_file_keeps_the_exit_code_and_says_why(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    (tmp_path / "deep.py").write_text(TRAINING + chain(2000) + BUGGY)
    (tmp_path / "bad.py").write_text(TRAINING + BUGGY)
    run = subprocess.run(
        [sys.executable, "-m", "lintnn", "check", str(tmp_path), "--no-cache"],
        capture_output=True, text=True, env=subprocess_env(), timeout=120,
    )
    assert run.returncode == 1  # bad.py's finding; the skip itself is not a finding
    assert "bad.py:7" in run.stdout and "deep.py" not in run.stdout
    assert "lintnn: warning: skipped" in run.stderr and "deep.py" in run.stderr
    assert "Traceback" not in run.stderr
