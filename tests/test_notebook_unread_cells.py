"""Notebook cells IPython refuses (issue 13): one NN001 each, the rest analysed, and the
refused cells kept as unread code that rules reporting something missing respect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lintnn.cli import main
from lintnn.config import Settings
from lintnn.static.engine.ipython import CellError, read_cell
from lintnn.static.engine.run import Engine
from lintnn.static.rules import all_rules
from tests.test_rule_pages import blocks, sections

IMPORT = "import torch.nn.functional as F\n"
BUG = "loss = F.cross_entropy(F.softmax(z, dim=1), y)\n"


def _notebook(cells: list[str]) -> str:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                     "outputs": [], "source": c} for c in cells],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(nb, indent=1) + "\n"


def _where(cells: list[str], select: str = "NN001,NN101") -> list[tuple[str, int, int]]:
    settings = Settings(select=select.split(","), root=Path.cwd())
    engine = Engine(settings, use_cache=False, jobs=1)
    found = engine.check_source(Path("nb.ipynb"), _notebook(cells)).diagnostics
    return sorted((d.code, d.cell or 0, d.extra["cell_location"]["row"]) for d in found
                  if d.code in settings.select)


@pytest.mark.parametrize(("cell", "row"), [
    ("for i in range(3):\n    pass\nbreak\n", 3),  # 'break' outside loop
    ("x = f(a))\n", 1),  # unmatched ')'
    ("x = 1\ny =\u00a02\n", 2),  # a no-break space pasted from the web
    ("x = 1\n    y = 2\n", 2),  # indented, not the first line: every IPython refuses it
    ("import os\npip install flax\n", 2),  # no automagic in a cell of two lines
])
def test_a_refused_cell_is_nn001_and_the_other_cells_are_analysed(cell: str, row: int) -> None:
    assert _where([IMPORT, cell, BUG]) == [("NN001", 2, row), ("NN101", 3, 1)]


@pytest.mark.parametrize("cell", [
    " %%time\n" + BUG,  # IPython 7/8 strip the first line's indentation, then %%time
    "    x = 1\ny = 2\n",
    "  for e in range(2):\n    y = e\n",
    "pip install --upgrade flax\n",  # automagic, as IPython runs a one-line cell
])
def test_cells_ipython_ran_are_read(cell: str) -> None:
    found = _where([IMPORT, cell, BUG])
    assert ("NN001", 2, 1) not in found and ("NN101", 3, 1) in found


def test_first_line_dedent_keeps_rows_and_columns() -> None:
    python, _ = read_cell(" %%time\n\n" + BUG)
    assert python.lines[2] == BUG and len(python.lines) == 3
    python, _ = read_cell("    x = 1\ny = 2\n")
    assert python.lines == ("x = 1\n", "y = 2\n") and python.removed == (4, 0)


def test_ipython_9_dedent_is_tried_first() -> None:
    python, _ = read_cell("    if a:\n        b = 1\n")  # both rules agree
    assert python.lines == ("if a:\n", "    b = 1\n")
    with pytest.raises(CellError, match="unexpected indent"):
        read_cell("x = 1\n    y = 2\n")  # the first line has no indentation to remove


# Rules that report something missing: silent where a refused cell may hold it ----------

_ABSENT = {code: rule for code, rule in all_rules().items() if rule.absent is not None}
_REFUSED = "x = (1))\n"  # holds no word of any rule


def _example(code: str) -> str:
    from lintnn.catalog import page_text
    return blocks(sections(page_text(code) or "")["Example"])[0]


def test_the_absence_rules() -> None:
    assert set(_ABSENT) == {"NN201", "NN202", "NN205", "NN301", "NN404", "NN501", "NN503", "NN507",
                            "NN509", "NN510", "NN511", "NN518"}


@pytest.mark.parametrize("code", sorted(_ABSENT))
def test_an_absence_rule_is_silent_where_a_refused_cell_may_hold_what_is_missing(
        code: str) -> None:
    example = _example(code)
    assert _where([example], code), code  # the page's example fires as a notebook
    words = [w for w in _ABSENT[code].absent or () if w] or ["anything"]
    for word in words:
        refused = f"{_REFUSED}# {word}\n"
        assert _where([refused, example], code) == [], (code, word)
        assert _where([example, refused], code) == [], (code, word)


@pytest.mark.parametrize("code", sorted(c for c, r in _ABSENT.items() if "" not in r.absent))
def test_an_absence_rule_still_fires_where_the_refused_cell_cannot_hold_it(code: str) -> None:
    example = _example(code)
    alone = _where([example], code)
    assert [(c, cell + 1, row) for c, cell, row in alone] == _where([_REFUSED, example], code)


def test_a_rule_reporting_what_it_sees_ignores_refused_cells() -> None:
    assert _where([IMPORT, _REFUSED + "# eval train grad step\n", BUG], "NN101") == [
        ("NN101", 3, 1)]


def test_nn201_silent_when_the_refused_cell_held_model_eval() -> None:
    cells = [
        "import torch\nimport torch.nn as nn\n"
        "model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))\n",
        "model.eval()\nprint('done'))\n",  # refused: the eval() is lost with it
        "with torch.no_grad():\n    out = model(x)\n",
    ]
    assert _where(cells, "NN201") == []
    cells[1] = "print('done'))\n"
    assert _where(cells, "NN201") == [("NN201", 3, 1)]


# --fix and add-noqa never touch a refused cell ----------------------------------------

def test_fix_and_add_noqa_keep_a_refused_cell_byte_for_byte(tmp_path: Path) -> None:
    refused = "y = (1))  \t# keep\u00a0me\r\n  z=\n"
    original = _notebook([IMPORT, refused, BUG])
    path = tmp_path / "nb.ipynb"
    for mode, after in (("--fix", "softmax"), ("--add-noqa", "# noqa")):
        path.write_text(original, encoding="utf-8")
        main(["check", "--no-cache", "-j", "1", str(path), "--select", "NN101", mode])
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        assert cells[1]["source"] == refused, mode
        assert (after in cells[2]["source"]) == (mode == "--add-noqa"), mode
        assert cells[0]["source"] == IMPORT


def test_the_fix_loop_lints_a_notebook_with_a_refused_cell_but_not_a_broken_file() -> None:
    from lintnn.cli.fix import python_linter

    engine = Engine(Settings(select=["NN101"], root=Path.cwd()), use_cache=False, jobs=1)
    lint_notebook = python_linter(engine, Path("nb.ipynb"))
    found = lint_notebook(_notebook([IMPORT, _REFUSED, BUG]))
    assert found is not None and sorted(d.code for d in found) == ["NN001", "NN101"]
    assert lint_notebook("{not json") is None
    assert python_linter(engine, Path("a.py"))(_REFUSED) is None  # a script stays refused
