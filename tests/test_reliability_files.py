"""Special files, missing paths and the syntax CPython accepts (issue 18 item 0c, issue 14
item 5): nothing hangs, nothing reads without bound, NN001 only where Python refuses."""

from __future__ import annotations

import itertools
import json
import os
import random
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from lintnn.config import Settings
from lintnn.static.engine.run import Engine
from tests.conftest import subprocess_env

PLAIN = """import torch.nn as nn
import torch.nn.functional as F

loss_fn = nn.CrossEntropyLoss()


def step(model, x, y):
    return loss_fn(F.softmax(model(x), dim=1), y)
"""


def _bounded_memory() -> None:
    """A runaway read fails in the child instead of filling the machine."""
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lintnn", "check", *args], cwd=cwd,
                          capture_output=True, text=True, env=subprocess_env(), timeout=60,
                          preexec_fn=_bounded_memory)


def findings(run: subprocess.CompletedProcess[str]) -> list[tuple[str, str, str]]:
    return sorted((Path(d["filename"]).name, d["code"], d["message"])
                  for d in json.loads(run.stdout))


@pytest.mark.parametrize("cache", [True, False], ids=["cache", "no-cache"])
def test_a_fifo_and_a_symlink_to_dev_zero_are_reported_not_read(tmp_path: Path,
                                                                 cache: bool) -> None:
    os.mkfifo(tmp_path / "pipe.py")
    (tmp_path / "zero.py").symlink_to("/dev/zero")
    (tmp_path / "plain.py").write_text(PLAIN)
    run = run_cli(tmp_path, ".", "--output-format", "json",
                  *([] if cache else ["--no-cache"]))  # within the timeout: nothing hangs
    assert run.returncode == 1, run.stderr
    assert findings(run) == [
        ("pipe.py", "NN003", "cannot read pipe.py: it is a FIFO (named pipe), not a regular file"),
        ("plain.py", "NN101", findings(run)[1][2]),
        ("zero.py", "NN003", "cannot read zero.py: it is a character device, not a regular file"),
    ]


def test_a_file_above_the_read_limit_is_skipped_unread(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.lintnn]\nmax-file-size = 1000\n')
    (tmp_path / "big.py").write_text("x = 1\n" * 2000)  # 12 KB, above 10 x 1,000 bytes
    (tmp_path / "small.py").write_text("x = 1\n")
    run = run_cli(tmp_path, ".", "--no-cache")
    assert run.returncode == 0, run.stdout
    assert "skipped big.py" in run.stderr.replace(str(tmp_path) + "/", "")
    assert "12,000 bytes, above the read limit (10,000 bytes" in run.stderr


def test_a_missing_path_is_a_finding_and_the_rest_is_checked(tmp_path: Path) -> None:
    (tmp_path / "plain.py").write_text(PLAIN)
    run = run_cli(tmp_path, "missing.py", "plain.py", "gone/", "--no-cache",
                  "--output-format", "json")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    found = findings(run)
    assert [(name, code) for name, code, _ in found] == [
        ("gone", "NN003"), ("missing.py", "NN003"), ("plain.py", "NN101")]
    assert found[1][2] == "cannot read missing.py: no such file or directory"


def test_a_missing_path_with_select_still_reported(tmp_path: Path) -> None:
    run = run_cli(tmp_path, "missing.py", "--no-cache", "--select", "NN101")
    assert run.returncode == 1
    assert "missing.py:1:1: NN003" in run.stdout


CRLF_CONTINUATION = PLAIN + "x = 1\\\r\n"


def test_a_file_ending_in_backslash_crlf_is_analysed_and_fixed(tmp_path: Path) -> None:
    """CPython accepts it (libcst's tokenizer does not): the last backslash is left out
    of the parse, and kept in the file."""
    compile(CRLF_CONTINUATION.encode(), "t.py", "exec")
    path = tmp_path / "t.py"
    path.write_bytes(CRLF_CONTINUATION.encode())
    run = run_cli(tmp_path, "t.py", "--no-cache", "--output-format", "json")
    assert [(code, row) for code, row in
            ((d["code"], d["location"]["row"]) for d in json.loads(run.stdout))] == [
        ("NN101", 8)]
    fixed = run_cli(tmp_path, "t.py", "--no-cache", "--fix")
    assert fixed.returncode == 0, fixed.stdout
    assert path.read_bytes() == CRLF_CONTINUATION.replace(
        "F.softmax(model(x), dim=1)", "model(x)").encode()


def test_valid_code_libcst_refuses_is_skipped_with_a_message() -> None:
    text = PLAIN + "if x:\r\n\t\\\r\n\tx = 1"
    compile(text.encode(), "t.py", "exec")
    engine = Engine(Settings(root=Path.cwd()), use_cache=False, jobs=1)
    result = engine.check_source(Path("t.py"), text)
    assert result.diagnostics == []
    [(_, reason)] = result.skipped
    assert "libcst cannot parse it" in reason and "although Python can" in reason


WHITESPACE = ["", " ", "    ", "\t", "    \t", " \t ", "\t    ", "\f", "        "]
LINES = ["z = 1", "# c", "", "if z:", "pass", "w = (1,", "2)", "\\"]
ENDS = ["\n", "\r\n", " \\\n", "\t\n", "\\\r\n"]


def test_nn001_exactly_where_python_refuses() -> None:
    """Random mixes of tabs, spaces, form feeds, continuations and line ends inside a
    function that a rule analyses: NN001 if and only if ``compile()`` refuses the bytes."""
    engine = Engine(Settings(root=Path.cwd()), use_cache=False, jobs=1)
    pick = random.Random(18)
    head = PLAIN + "    total = 0\n"
    checked = 0
    for _ in range(400):
        body = "".join(pick.choice(WHITESPACE) + pick.choice(LINES) + pick.choice(ENDS)
                       for _ in range(pick.randint(1, 4)))
        text = head + body + pick.choice(WHITESPACE) + pick.choice(["", "x = 1"]) + \
            pick.choice([*ENDS, ""])
        try:
            compile(text.encode(), "t.py", "exec")
            accepted = True
        except (SyntaxError, ValueError):
            accepted = False
        result = engine.check_source(Path("t.py"), text)
        refused = [d for d in result.diagnostics if d.code == "NN001"]
        assert bool(refused) != accepted, repr(text[len(head):])
        assert not [d for d in result.diagnostics if d.code == "NN002"]
        checked += accepted
    assert checked >= 25  # the others are refused: checked the other way


@pytest.mark.parametrize(("indent", "inner"), list(itertools.product(
    ["    ", "\t", "  "], ["    \t", "\t    ", " \t", "\t"])))
def test_tabs_after_spaces_that_python_accepts_are_analysed(indent: str, inner: str) -> None:
    text = PLAIN.replace("    return", f"{indent}if x:\n{indent}{inner}return")
    try:
        compile(text.encode(), "t.py", "exec")
    except SyntaxError:
        pytest.skip("Python refuses this mix too")
    engine = Engine(Settings(root=Path.cwd()), use_cache=False, jobs=1)
    assert [d.code for d in engine.check_source(Path("t.py"), text).diagnostics] == ["NN101"]
