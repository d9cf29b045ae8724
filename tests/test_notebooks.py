"""Jupyter notebooks: cells linted as one program, findings per cell, fixes per cell."""

from __future__ import annotations

import io
import json
import shutil
import sys
from pathlib import Path

import pytest

from lintnn.cli import main
from lintnn.static.engine.notebook import parse_notebook

DATA = Path(__file__).parent / "data"
NOTEBOOK = DATA / "training.ipynb"
SOFTMAX_LINE = "    loss = F.cross_entropy(F.softmax(model(x), dim=1), y)\n"
FIXED_LINE = "    loss = F.cross_entropy(model(x), y)\n"


def check(*args: str) -> int:
    return main(["check", "--no-cache", "-j", "1", *args])


def _notebook(cells: list[object], **dump: object) -> str:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                     "outputs": [], "source": c} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, **dump) + "\n"  # type: ignore[arg-type]


def test_code_cells_are_one_program_with_stable_rows() -> None:
    notebook = parse_notebook(NOTEBOOK.read_bytes())
    assert [s.cell for s in notebook.spans] == [1, 3, 4, 5]  # cell 2 is markdown
    lines = notebook.text.splitlines()
    assert lines[6] == SOFTMAX_LINE.rstrip("\n")  # row 7 = cell 3, line 2
    assert notebook.locate(7) == (notebook.spans[1], 2)
    assert len(lines) == 5 + 5 + 2 + 2


def test_text_output_names_cell_and_line(capsys) -> None:
    assert check(str(NOTEBOOK), "--select", "NN101,NN401") == 1
    out = capsys.readouterr().out
    assert "training.ipynb:cell 3:line 2:12: NN101 [*]" in out
    assert "training.ipynb:cell 5:line 2:55: NN401" in out


def test_json_keeps_the_concatenated_row_and_adds_the_cell(capsys) -> None:
    check(str(NOTEBOOK), "--select", "NN101", "--output-format", "json")
    [finding] = json.loads(capsys.readouterr().out)
    assert finding["location"] == {"row": 7, "column": 12}
    assert finding["cell"] == 3
    assert finding["cell_location"] == {"row": 2, "column": 12}


def test_notebooks_are_found_in_directories(tmp_path: Path, capsys) -> None:
    shutil.copy(NOTEBOOK, tmp_path / "nb.ipynb")
    check(str(tmp_path), "--select", "NN101")
    assert "nb.ipynb:cell 3:line 2:12: NN101" in capsys.readouterr().out


def test_fix_rewrites_only_the_fixed_cell_source(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nb.ipynb"
    shutil.copy(NOTEBOOK, path)
    original = NOTEBOOK.read_text(encoding="utf-8")
    assert check(str(path), "--select", "NN101", "--fix") == 0
    fixed = path.read_text(encoding="utf-8")
    assert fixed == original.replace(json.dumps(SOFTMAX_LINE), json.dumps(FIXED_LINE))
    assert fixed != original
    assert "Fixed 1 error." in capsys.readouterr().out


def test_fix_keeps_formatting_and_string_sources(tmp_path: Path) -> None:
    path = tmp_path / "nb.ipynb"
    source = "import torch\nimport torch.nn.functional as F\n%time f()\n" \
             "loss = F.cross_entropy(F.softmax(z, dim=1), y)  # é"
    path.write_text(_notebook([source], indent=2, ensure_ascii=False).rstrip("\n"))
    check(str(path), "--select", "NN101", "--fix")
    text = path.read_text(encoding="utf-8")
    assert not text.endswith("\n") and '\n  "cells": [' in text and "é" in text
    cell = json.loads(text)["cells"][0]
    assert cell["source"] == source.replace("F.softmax(z, dim=1)", "z")


def test_diff_shows_the_cell_change_and_writes_nothing(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nb.ipynb"
    shutil.copy(NOTEBOOK, path)
    assert check(str(path), "--select", "NN101", "--diff") == 1
    assert path.read_bytes() == NOTEBOOK.read_bytes()
    out = capsys.readouterr().out
    assert out.startswith(f"--- {path}:cell 3\n+++ {path}:cell 3\n@@ -1,5 +1,5 @@\n")
    assert f"-{SOFTMAX_LINE}+{FIXED_LINE}" in out


def test_noqa_in_a_cell(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(_notebook([
        "import torch.nn.functional as F\n",
        "loss = F.cross_entropy(F.softmax(z, dim=1), y)  # noqa: NN101\n",
        "loss = F.cross_entropy(F.softmax(z, dim=1), y)\n"]))
    check(str(path), "--select", "NN101")
    out = capsys.readouterr().out
    assert "cell 3:line 1:8: NN101" in out and "cell 2" not in out


@pytest.mark.parametrize(("content", "message"), [
    ('{"cells": [', "invalid notebook: not valid JSON"),
    ('{"nbformat": 3, "worksheets": []}', "invalid notebook: no list of cells"),
    ("[1, 2]", "invalid notebook: no list of cells"),
    ('{"cells": [{"cell_type": "code", "source": [1]}]}', "the source of cell 1 is not text"),
])
def test_invalid_notebook_is_nn001(tmp_path: Path, capsys, content: str, message: str) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_text(content)
    assert check(str(path)) == 1
    out = capsys.readouterr().out
    assert "bad.ipynb:1:" in out and "NN001" in out and message in out


def test_syntax_error_in_a_cell_points_at_the_cell(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nb.ipynb"
    path.write_text(_notebook(["x = 1\n", "softmax = = 2\nw = 1\n", "z = 2\n"]))
    assert check(str(path)) == 1
    out = capsys.readouterr().out
    assert "nb.ipynb:cell 2:line " in out and "NN001 SyntaxError" in out


def test_notebook_on_stdin(monkeypatch, capsys) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(NOTEBOOK.read_text(encoding="utf-8")))
    assert check("--select", "NN101", "--stdin-filename", "nb.ipynb", "-") == 1
    assert "nb.ipynb:cell 3:line 2:12: NN101" in capsys.readouterr().out


# IPython syntax (issue 18): cells read as IPython reads them, one NN001 per refused cell.

IMPORT = "import torch.nn.functional as F\n"
BUG = "loss = F.cross_entropy(F.softmax(z, dim=1), y)\n"


def _findings(tmp_path: Path, cells: list[object], capsys, *args: str) -> list[dict]:
    path = tmp_path / "nb.ipynb"
    path.write_text(_notebook(cells))
    check(str(path), "--select", "NN001,NN101", "--output-format", "json", *args)
    return json.loads(capsys.readouterr().out)


def _where(findings: list[dict]) -> list[tuple[str, int, int, int]]:
    return sorted((f["code"], f["cell"], f["cell_location"]["row"],
                   f["cell_location"]["column"]) for f in findings)


@pytest.mark.parametrize("cell", [
    "print('%d of %d'\n      %(a, b))\n",  # Python's % operator on a continuation line
    "pip install -U flax",  # automagic: a one-line cell
    "cd ..",
    "!pip install torch \\\n    torchvision\nfiles = !ls\nmodel?\n%time f()\n",
    "%%bash\necho $HOME\nls -la\n",
    "    x = 1\n    y = 2\n",  # IPython removes the cell's common indentation
    "await asyncio.sleep(0)\n",
    "x = 1\nfrom __future__ import annotations\n",
])
def test_cells_ipython_runs_are_not_nn001_and_hide_nothing(
        tmp_path: Path, capsys, cell: str) -> None:
    findings = _findings(tmp_path, [IMPORT, cell, BUG], capsys)
    assert _where(findings) == [("NN101", 3, 1, 8)]


def test_each_refused_cell_is_nn001_at_its_line_and_the_rest_is_linted(
        tmp_path: Path, capsys) -> None:
    findings = _findings(tmp_path, [
        IMPORT,
        "import os\npip install flax\n",  # two lines: IPython runs no automagic here
        BUG,
        "x = 1\ny = (2,\n",
        "    " + BUG,
    ], capsys)
    assert _where(findings) == [("NN001", 2, 2, 5), ("NN001", 4, 2, 5),
                                ("NN101", 3, 1, 8), ("NN101", 5, 1, 12)]
    messages = [f["message"] for f in findings if f["code"] == "NN001"]
    assert messages == ["SyntaxError: invalid syntax", "SyntaxError: '(' was never closed"]


def test_a_cell_magic_with_a_python_body_is_linted(tmp_path: Path, capsys) -> None:
    findings = _findings(tmp_path, [IMPORT, "%%time\nfor e in range(3):\n    " + BUG], capsys)
    assert _where(findings) == [("NN101", 2, 3, 12)]


def test_no_fix_in_a_cell_ipython_dedents(tmp_path: Path, capsys) -> None:
    path = tmp_path / "nb.ipynb"
    original = _notebook([IMPORT, "  " + BUG + "  x = 1\n"])
    path.write_text(original)
    check(str(path), "--select", "NN101", "--fix")
    assert path.read_text() == original
    assert "cell 2:line 1:10: NN101" in capsys.readouterr().out


# Hostile JSON (issue 18, 0c): NN001 for that file, and the run goes on.

@pytest.mark.parametrize(("content", "message"), [
    ('{"cells": [], "metadata": {"x": ' + "[" * 100_000 + "]" * 100_000 + "}}",
     "invalid notebook: its JSON is nested too deeply to read"),
    ('{"cells": [], "metadata": {"n": ' + "7" * 5_000 + "}}",
     "invalid notebook: cannot read its JSON: Exceeds the limit"),
])
def test_hostile_json_is_nn001_and_the_run_goes_on(
        tmp_path: Path, capsys, content: str, message: str) -> None:
    (tmp_path / "bad.ipynb").write_text(content)
    (tmp_path / "good.ipynb").write_text(_notebook([IMPORT, BUG]))
    assert check(str(tmp_path), "--select", "NN001,NN101") == 1
    out = capsys.readouterr().out
    assert f"bad.ipynb:1:1: NN001 {message}" in out
    assert "good.ipynb:cell 2:line 1:8: NN101" in out
