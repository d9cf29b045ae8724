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
