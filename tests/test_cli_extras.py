"""The command line end to end: bad input never shows a traceback; odd files give results.

These run ``python -m lintnn`` in a subprocess, as a user (or CI) would.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from lintnn.cli import main

ROOT = Path(__file__).resolve().parent.parent
NN401 = "import torch.nn as nn\nnet = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))\n"
NN101 = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(z, dim=1), y)\n"


def lintnn(cwd: Path, *args: str, stdin: str | None = None,
           stderr: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "lintnn", *args], cwd=cwd, env=env,
                          input=stdin, stdout=subprocess.PIPE, stderr=stderr, text=True,
                          timeout=120)


def _assert_usage_error(done: subprocess.CompletedProcess[str], words: str) -> None:
    assert done.returncode == 2, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("lintnn: error: "), done.stderr
    assert words in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


# Each case: (setup: file name -> content, arguments, words of the one-line error).
USAGE_ERRORS = {
    "format": ({}, ["check", "--output-format", "xml", "a.py"], "unknown output format 'xml'"),
    "code": ({}, ["check", "--select", "NN999", "a.py"], "unknown rule selector 'NN999'"),
    "foreign code": ({}, ["check", "--ignore", "E501", "a.py"], "unknown rule selector 'E501'"),
    "toml": ({"broken.toml": "[tool.lintnn\nselect = ['NN1']\n"},
             ["check", "--config", "broken.toml", "a.py"], "is not valid TOML"),
    "no config": ({}, ["check", "--config", "absent.toml", "a.py"], "cannot read absent.toml"),
    "config type": ({"pyproject.toml": "[tool.lintnn]\nselect = 1\n"}, ["check", "a.py"],
                    "select must be a list of strings"),
    "config key": ({"pyproject.toml": "[tool.lintnn]\nselekt = ['NN1']\n"}, ["check", "a.py"],
                   "unknown option(s) in [tool.lintnn]: selekt"),
    "config code": ({"pyproject.toml": "[tool.lintnn]\nselect = ['ZZ9']\n"}, ["check", "a.py"],
                    "unknown rule selector 'ZZ9'"),
    "rule page": ({}, ["rule", "NN999"], "unknown rule 'NN999'"),
}


@pytest.fixture(scope="module")
def usage_runs(tmp_path_factory) -> dict[str, subprocess.CompletedProcess[str]]:
    """All the bad invocations, run concurrently (each is a fresh interpreter)."""

    def run(case: str) -> subprocess.CompletedProcess[str]:
        files, args, _ = USAGE_ERRORS[case]
        cwd = tmp_path_factory.mktemp("usage")
        (cwd / "a.py").write_text("x = 1\n")
        for name, content in files.items():
            (cwd / name).write_text(content)
        return lintnn(cwd, *args[:1], "--no-cache", *args[1:]) if args[0] == "check" \
            else lintnn(cwd, *args)

    with ThreadPoolExecutor(max_workers=len(USAGE_ERRORS)) as pool:
        return dict(zip(USAGE_ERRORS, pool.map(run, USAGE_ERRORS), strict=True))


@pytest.mark.parametrize("case", list(USAGE_ERRORS))
def test_usage_errors_are_one_line_and_exit_2(usage_runs, case: str) -> None:
    _assert_usage_error(usage_runs[case], USAGE_ERRORS[case][2])


def test_odd_files_give_proper_results(tmp_path: Path) -> None:
    (tmp_path / "binary.py").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin.py").write_bytes(b"import torch\ns = '\xe9t\xe9'\n")
    (tmp_path / "bom.py").write_bytes(b"\xef\xbb\xbf" + NN401.encode())
    (tmp_path / "crlf.py").write_bytes(NN401.replace("\n", "\r\n").encode())
    (tmp_path / "empty.py").write_bytes(b"")
    done = lintnn(tmp_path, "check", "--no-cache", "--select", "NN", ".")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    lines = sorted(done.stdout.splitlines()[:4])
    assert lines[0].startswith("binary.py:2:1: NN001 file is not valid utf-8")
    # The BOM is not a column: same position as without it.
    assert lines[1].startswith("bom.py:2:38: NN401 ")
    assert lines[2].startswith("crlf.py:2:38: NN401 ")
    assert lines[3].startswith("latin.py:") and " NN001 " in lines[3]
    assert "empty.py" not in done.stdout
    assert "Found 4 problems" in done.stdout


def _check(monkeypatch, capsys, *args: str, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(["check", "--no-cache", "-j", "1", *args])
    return code, capsys.readouterr().out


def test_stdin_with_a_filename(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    code, out = _check(monkeypatch, capsys, "--stdin-filename", "pkg/train.py", "-",
                       stdin=NN101)
    assert code == 1 and out.startswith("pkg/train.py:2:8: NN101 [*] ")
    assert _check(monkeypatch, capsys, "-", stdin="x = 1\n") == (0, "All checks passed!\n")


def test_statistics_quiet_and_show_fixes(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    extra = "loss2 = F.cross_entropy(F.softmax(w, dim=1), y)\n"
    (tmp_path / "a.py").write_text(NN101 + NN401 + extra)
    _, stats = _check(monkeypatch, capsys, "--statistics", "a.py")
    assert stats.splitlines() == [
        "    2\tNN101\t[*] probabilities-into-logits-loss",
        "    1\tNN401\t    batchnorm-after-dropout",
        "Checked 1 file.",
    ]
    _, quiet = _check(monkeypatch, capsys, "-q", "a.py")
    assert len(quiet.splitlines()) == 3 and "Found" not in quiet
    assert _check(monkeypatch, capsys, "-q", "-", stdin="x = 1\n") == (0, "")
    _, shown = _check(monkeypatch, capsys, "--show-fixes", "a.py")
    assert shown.count("    fix: pass the logits to the loss") == 2


def test_progress_only_on_a_terminal(tmp_path: Path) -> None:
    for number in range(60):
        (tmp_path / f"m{number}.py").write_text("x = 1\n")
    piped = lintnn(tmp_path, "check", "--no-cache", "-j", "1", ".")
    assert piped.returncode == 0 and piped.stderr == ""
    pty = pytest.importorskip("pty")
    leader, follower = pty.openpty()
    try:
        on_tty = lintnn(tmp_path, "check", "--no-cache", "-j", "1", ".", stderr=follower)
        os.close(follower)
        shown = os.read(leader, 4096).decode()
    finally:
        os.close(leader)
    assert on_tty.returncode == 0
    assert "lintnn: 60/60 files" in shown
    assert "files" not in on_tty.stdout
