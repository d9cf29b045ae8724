"""Huge and hostile files: a clear finding or a clean result, never a crash."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine

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


def test_a_file_over_max_file_size_is_syntax_checked_only(tmp_path: Path) -> None:
    big = TRAINING + BUGGY + "x = 1\n" * 400
    (tmp_path / "big.py").write_text(big)
    (tmp_path / "broken.py").write_text(TRAINING + "def (:\n" + "x = 1\n" * 400)
    settings = Settings(root=tmp_path, max_file_size=2_000)
    result = Engine(settings, use_cache=False, jobs=1).check_paths(
        [tmp_path / "big.py", tmp_path / "broken.py"])
    assert [(d.filename.endswith("broken.py"), d.code) for d in result.diagnostics] == [
        (True, "NN001")]
    [(path, reason)] = result.skipped
    assert path.name == "big.py" and "max-file-size" in reason
    roomy = Engine(Settings(root=tmp_path), use_cache=False, jobs=1)
    assert [d.code for d in roomy.check_paths([tmp_path / "big.py"]).diagnostics] == ["NN101"]


@pytest.mark.parametrize(("value", "size"), [
    (4_000_000, 4_000_000), ("4MB", 4_000_000), ("500 KB", 500_000), ("1.5mb", 1_500_000)])
def test_max_file_size_setting(tmp_path: Path, value, size: int) -> None:
    from lintnn.config import settings_from_table

    assert settings_from_table({"max-file-size": value}, tmp_path / "p.toml").max_file_size == size


@pytest.mark.parametrize("value", ["big", 0, -5, "3TB", True])
def test_bad_max_file_size_is_a_config_error(tmp_path: Path, value) -> None:
    from lintnn.config import ConfigError, settings_from_table

    with pytest.raises(ConfigError, match="max-file-size"):
        settings_from_table({"max-file-size": value}, tmp_path / "p.toml")


@pytest.mark.slow
def test_a_5_mb_generated_file(tmp_path: Path) -> None:
    """Skipped with a message (over max-file-size), syntax still checked; the run goes on."""
    import subprocess
    import sys

    from tests.conftest import subprocess_env

    block = "def step_{i}(model, x, y):\n    return loss_fn(F.softmax(model(x), dim=1), y)\n\n\n"
    body = "".join(block.format(i=i) for i in range(65_000))
    text = TRAINING + "loss_fn = nn.CrossEntropyLoss()\n" + body
    assert len(text) > 5_000_000
    (tmp_path / "huge.py").write_text(text)
    (tmp_path / "huge_broken.py").write_text(text + "def (:\n")
    (tmp_path / "small.py").write_text(TRAINING + BUGGY)
    run = subprocess.run(
        [sys.executable, "-m", "lintnn", "check", str(tmp_path), "--no-cache",
         "--output-format", "json"],
        capture_output=True, text=True, env=subprocess_env(), timeout=300,
    )
    assert run.returncode == 1
    import json

    found = {(Path(d["filename"]).name, d["code"], d["location"]["row"])
             for d in json.loads(run.stdout)}
    broken_row = text.count("\n") + 1
    assert found == {("small.py", "NN101", 7), ("huge_broken.py", "NN001", broken_row)}
    assert "skipped" in run.stderr and "huge.py" in run.stderr and "max-file-size" in run.stderr


def test_the_language_server_keeps_the_depth_bound_across_partial_edits() -> None:
    """Edits re-judged from a region alone still know the depth of the other statements."""
    from lintnn.static.engine.document import Document

    deep = "table = 1" + " + 1" * 2000 + "\n"
    engine = Engine(Settings(root=Path.cwd()), use_cache=False, jobs=1, incremental=True)
    path = Path("buffer.py")

    def check_text(text: str):
        return engine.check_source(path, text)

    text = TRAINING + "\n\n" + deep + "\n\n" + BUGGY
    first = check_text(text)
    assert first.diagnostics == [] and "nested 2002 levels" in first.skipped[0][1]
    edited = text.replace("dim=1", "dim=-1")  # an edit far from the deep statement
    again = check_text(edited)
    document: Document = engine._documents[str(path)]  # type: ignore[index]
    assert document.reparser.partial >= 1  # judged from the edited region alone
    assert again.diagnostics == [] and again.skipped and "line 5 " in again.skipped[0][1]
    shallow = edited.replace(deep, "table = 1\n")  # the deep statement edited away
    cleared = check_text(shallow)
    assert cleared.skipped == [] and [d.code for d in cleared.diagnostics] == ["NN101"]
