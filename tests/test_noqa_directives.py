"""Suppression as ruff does it: file-level ``# lintnn: noqa``, ``--ignore-noqa``, unused and
unknown codes reported (``NN010``, like RUF100) and fixed, and ``--add-noqa``."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from lintnn.cli import main
from lintnn.config import Settings
from lintnn.static.engine.noqa import parse_noqa
from lintnn.static.engine.run import Engine

NN401 = "import torch.nn as nn\n\nnet = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))\n"
NN101 = "import torch.nn.functional as F\nloss = F.cross_entropy(F.softmax(z, dim=1), y)\n"


def codes(source: str, **settings) -> list[str]:
    engine = Engine(Settings(**settings), use_cache=False, jobs=1)
    return [d.code for d in engine.check_source(Path("m.py"), source).diagnostics]


def check(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = main(["check", "--no-cache", "-j", "1", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# File-level directives ------------------------------------------------------------------

@pytest.mark.parametrize(("comment", "expected"), [
    ("# lintnn: noqa", []),
    ("#lintnn:noqa", []),
    ("# lintnn: noqa: NN401", ["NN101"]),
    ("# lintnn: noqa: NN4, NN1", []),
    ("# lintnn: noqa: NN5", ["NN101", "NN401"]),
    ("# ruff: noqa", ["NN101", "NN401"]),  # another tool's directive
    ("# flake8: noqa", ["NN101", "NN401"]),
])
def test_file_level_directive(comment: str, expected: list[str]) -> None:
    source = f"{comment}\n{NN101}{NN401}"
    assert sorted(codes(source)) == expected


def test_file_level_directive_is_not_a_line_directive() -> None:
    assert parse_noqa("# lintnn: noqa: NN4\nx = 1  # noqa: NN101\n") == {
        0: frozenset({"NN4"}), 2: frozenset({"NN101"})}


def test_ignore_noqa_reports_what_directives_hide(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("# lintnn: noqa\n" + NN401.replace("(4))", "(4))  # noqa"))
    assert check(monkeypatch, capsys, "a.py")[0] == 0
    code, out, _ = check(monkeypatch, capsys, "--ignore-noqa", "a.py")
    assert code == 1 and "a.py:4:38: NN401" in out and "NN010" not in out


# NN010: unused directives -----------------------------------------------------------------

def test_unused_unknown_and_non_enabled_codes_are_reported(tmp_path, monkeypatch,
                                                           capsys) -> None:
    monkeypatch.chdir(tmp_path)
    source = (NN401.replace("(4))", "(4))  # noqa: NN401, NN101, E501")
              + "x = 1  # noqa: NN999\ny = 2  # noqa: E501, F401\nz = 3  # noqa\n")
    (tmp_path / "a.py").write_text(source)
    code, out, _ = check(monkeypatch, capsys, "--output-format", "json", "a.py")
    found = json.loads(out)
    assert [(d["code"], d["location"]["row"]) for d in found] == [("NN010", 3), ("NN010", 4)]
    assert found[0]["message"] == "Unused `noqa` directive (unused: `NN101`)"
    assert found[0]["location"]["column"] == 58  # where the directive starts
    assert found[1]["message"] == "Unused `noqa` directive (unknown: `NN999`)"
    assert code == 0  # info: reported, not failing
    code, out, _ = check(monkeypatch, capsys, "--select", "NN1,NN010", "--output-format",
                         "json", "a.py")
    assert json.loads(out)[0]["message"] == (
        "Unused `noqa` directive (unused: `NN101`; non-enabled: `NN401`)")
    assert check(monkeypatch, capsys, "--ignore", "NN010", "a.py")[1].count("NN010") == 0


def test_unused_directive_fix_keeps_other_linters_codes(tmp_path, monkeypatch,
                                                        capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(
        "import os  # noqa: F401, NN101\nx = 1  # noqa: NN401\ny = 2  # noqa: NN3  # why\n"
        + NN401.replace("(4))", "(4))  # noqa: NN401,NN302"))
    code, out, _ = check(monkeypatch, capsys, "--fix", "a.py")
    assert code == 0 and "Fixed 4 errors." in out  # `NN3` is no code: unknown, as in ruff
    assert (tmp_path / "a.py").read_text() == (
        "import os  # noqa: F401\nx = 1\ny = 2  # why\n"
        + NN401.replace("(4))", "(4))  # noqa: NN401"))


def test_unused_directive_in_a_notebook_cell(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    cells = [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
              "source": ["import torch.nn as nn\n", "x = 1  # noqa: NN401\n"]}]
    (tmp_path / "nb.ipynb").write_text(json.dumps({"cells": cells, "metadata": {},
                                                   "nbformat": 4, "nbformat_minor": 5}))
    assert check(monkeypatch, capsys, "--fix", "nb.ipynb")[0] == 0
    fixed = json.loads((tmp_path / "nb.ipynb").read_text())
    assert fixed["cells"][0]["source"] == ["import torch.nn as nn\n", "x = 1\n"]


# --add-noqa ------------------------------------------------------------------------------

def test_add_noqa_silences_every_finding(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    source = (NN101 + "import torch.nn as nn\n"
              "net = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4))  # noqa: E501\n"
              "s = '''\n" "a'''\n")
    (tmp_path / "a.py").write_bytes(source.replace("\n", "\r\n").encode())
    code, _, err = check(monkeypatch, capsys, "--add-noqa", "a.py")
    assert code == 0 and "Added 2 noqa directives." in err
    text = (tmp_path / "a.py").read_bytes().decode()
    assert "loss = F.cross_entropy(F.softmax(z, dim=1), y)  # noqa: NN101\r\n" in text
    assert "nn.BatchNorm1d(4))  # noqa: E501, NN401\r\n" in text  # merged into the directive
    assert text.count("\r\n") == text.count("\n")  # line endings kept
    assert check(monkeypatch, capsys, "a.py")[0] == 0  # nothing left, nothing unused
    assert check(monkeypatch, capsys, "--add-noqa", "a.py")[2].startswith("Added 0 noqa")
    # An unused directive is NN010's business (--fix), not a line to silence.
    (tmp_path / "b.py").write_text("x = 1  # noqa: NN401\n")
    assert check(monkeypatch, capsys, "--add-noqa", "b.py")[2].startswith("Added 0 noqa")
    assert (tmp_path / "b.py").read_text() == "x = 1  # noqa: NN401\n"


def test_add_noqa_in_a_notebook_keeps_the_json(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# title"]},
             {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
              "source": NN101.splitlines(keepends=True)}]
    raw = json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
                     indent=1) + "\n"
    (tmp_path / "nb.ipynb").write_text(raw)
    assert check(monkeypatch, capsys, "--add-noqa", "nb.ipynb")[0] == 0
    after = (tmp_path / "nb.ipynb").read_text()
    assert json.loads(after)["cells"][1]["source"][1].endswith("y)  # noqa: NN101\n")
    changed = [a for a, b in zip(raw.splitlines(), after.splitlines(), strict=True) if a != b]
    assert len(changed) == 1
    assert check(monkeypatch, capsys, "nb.ipynb")[0] == 0


def test_add_noqa_refuses_fix(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text("x = 1\n")
    code, _, err = check(monkeypatch, capsys, "--add-noqa", "--fix", "a.py")
    assert code == 2 and "--add-noqa cannot be combined" in err
