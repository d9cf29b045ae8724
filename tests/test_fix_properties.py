"""``--fix`` with the real fixable rules (NN101, NN105, NN203), on generated files.

Each generated file mixes fixable snippets, snippets that must stay as they are (``noqa``,
look-alikes in strings and comments, correct code), nesting, an encoding (UTF-8, UTF-8 with
a BOM, latin-1 declared by PEP 263), LF or CRLF, with or without a trailing newline. The
expected output is built beside the input, so every test compares whole files byte for
byte: the fix is applied, nothing outside it moves, and encoding, line endings and the
final newline are kept.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lintnn.cli import main
from tests.helpers import edit_during_write, fail_writes_halfway

HEADER = (
    "import torch\n"
    "import torch.nn as nn\n"
    "import torch.nn.functional as F\n"
    "\n"
    "criterion = nn.CrossEntropyLoss()\n"
)

# (code, before, after): one top-level block each; {i} makes names unique.
FIXABLE = [
    ("NN101",
     "def step_{i}(model, x, y):\n    loss = criterion(F.softmax(model(x), dim=1), y)\n"
     "    return loss\n",
     "def step_{i}(model, x, y):\n    loss = criterion(model(x), y)\n    return loss\n"),
    ("NN105",
     "def logp_{i}(z):\n    return torch.log(torch.softmax(z, dim=1))\n",
     "def logp_{i}(z):\n    return torch.log_softmax(z, dim=1)\n"),
    ("NN105",
     "def logq_{i}(z):\n    return torch.log(torch.sigmoid(z))\n",
     "def logq_{i}(z):\n    return F.logsigmoid(z)\n"),
    ("NN203",
     "class Net{i}(nn.Module):\n    def forward(self, x):\n        return F.dropout(x, 0.5)\n",
     "class Net{i}(nn.Module):\n    def forward(self, x):\n"
     "        return F.dropout(x, 0.5, training=self.training)\n"),
]

# Blocks that no fix may touch: suppressed findings, look-alikes, correct code.
UNTOUCHED = [
    "def kept_{i}(model, x, y):\n"
    "    return criterion(F.softmax(model(x), dim=1), y)  # noqa: NN101\n",
    "NOTE_{i} = 'criterion(F.softmax(x, dim=1), y) and torch.log(torch.softmax(z))'\n",
    "# torch.log(torch.softmax(z, dim=1)) is what not to write \u00e9\ncommented_{i} = True\n",
    "def good_{i}(z):\n    return torch.log_softmax(z, dim=1)\n",
    "class Ok{i}(nn.Module):\n    def forward(self, x):\n"
    "        return F.dropout(x, 0.5, training=self.training)\n",
    "values_{i} = [\n    1,\n    2,\n]\n",
]

ENCODINGS = {
    "utf-8": (b"", "utf-8", ""),
    "utf-8-sig": (b"\xef\xbb\xbf", "utf-8", ""),
    "latin-1": (b"", "latin-1", "# -*- coding: latin-1 -*-\n"),
}


# The indentation unit of a whole file; "mixed" gives each top-level block its own.
INDENTS = {"4 spaces": "    ", "2 spaces": "  ", "tab": "\t", "3 spaces": "   "}
MIXED_UNITS = ("  ", "\t", "    ", "   ")


def reindent(block: str, unit: str) -> str:
    """``block`` (written with 4-space levels) with each level indented by ``unit``."""
    lines = []
    for line in block.splitlines(keepends=True):
        stripped = line.lstrip(" ")
        lines.append(unit * ((len(line) - len(stripped)) // 4) + stripped)
    return "".join(lines)


def nest(block: str, depth: int, i: int, unit: str = "    ") -> str:
    """``block`` inside ``depth`` nested ``if`` statements, every level indented by ``unit``."""
    lines = reindent(block, unit).splitlines(keepends=True)
    for level in range(depth):
        lines = [f"if FLAG_{i}_{level}:\n", *(unit + line for line in lines)]
    return "".join(lines)


blocks = st.lists(
    st.tuples(st.booleans(), st.integers(0, 99), st.integers(0, 2)), min_size=1, max_size=8)


def build(choices: list[tuple[bool, int, int]], indent: str = "4 spaces",
          ) -> tuple[str, str, set[str]]:
    """The source, the source once fixed, and the codes that were fixed."""
    before, after, codes = [HEADER], [HEADER], set()
    for i, (fixable, pick, depth) in enumerate(choices):
        unit = MIXED_UNITS[(pick + i) % len(MIXED_UNITS)] if indent == "mixed" else INDENTS[indent]
        if fixable:
            code, old, new = FIXABLE[pick % len(FIXABLE)]
            codes.add(code)
        else:
            old = new = UNTOUCHED[pick % len(UNTOUCHED)]
        before.append("\n\n" + nest(old.format(i=i), depth, i, unit))
        after.append("\n\n" + nest(new.format(i=i), depth, i, unit))
    return "".join(before), "".join(after), codes


def encode(text: str, encoding: str, newline: str, trailing: bool) -> bytes:
    bom, codec, declaration = ENCODINGS[encoding]
    text = declaration + text
    if not trailing:
        text = text.rstrip("\n")
    return bom + text.replace("\n", newline).encode(codec)


def fix(path: Path, *flags: str) -> int:
    return main(["check", str(path), "--fix", "--no-cache", "-j", "1",
                 "--select", "NN101,NN105,NN203", *flags])


@given(
    choices=blocks,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    newline=st.sampled_from(["\n", "\r\n"]),
    trailing=st.booleans(),
    indent=st.sampled_from([*INDENTS, "mixed"]),
)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_fixed_file_is_exactly_the_expected_file(
    tmp_path_factory, choices, encoding: str, newline: str, trailing: bool, indent: str
) -> None:
    source, expected, codes = build(choices, indent)
    path = tmp_path_factory.mktemp("fix") / "train.py"
    path.write_bytes(encode(source, encoding, newline, trailing))
    status = fix(path)
    fixed = path.read_bytes()
    assert fixed == encode(expected, encoding, newline, trailing)
    ast.parse(fixed)
    assert status == 0  # every finding was fixed or suppressed
    assert bool(codes) == (fixed != encode(source, encoding, newline, trailing))


@pytest.mark.parametrize(("code", "old", "new"), FIXABLE, ids=[f[0] for f in FIXABLE])
def test_each_fix_is_atomic_when_the_write_fails(tmp_path: Path, monkeypatch, capsys,
                                                 code: str, old: str, new: str) -> None:
    path = tmp_path / "train.py"
    original = HEADER + "\n\n" + old.format(i=0) + "x = 1\n" * 200
    path.write_text(original)
    fail_writes_halfway(monkeypatch)
    assert fix(path) == 1
    assert path.read_text() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["train.py"]
    assert "No space left on device" in capsys.readouterr().err


@pytest.mark.parametrize(("code", "old", "new"), FIXABLE, ids=[f[0] for f in FIXABLE])
def test_each_fix_leaves_a_file_edited_meanwhile_alone(tmp_path: Path, monkeypatch, capsys,
                                                       code: str, old: str, new: str) -> None:
    path = tmp_path / "train.py"
    path.write_text(HEADER + "\n\n" + old.format(i=0))
    edited = HEADER + "\n\n" + old.format(i=0) + "edited = True\n"
    edit_during_write(monkeypatch, path, edited)
    fix(path)
    assert path.read_text() == edited
    assert "changed on disk" in capsys.readouterr().err


@pytest.mark.parametrize(("code", "old", "new"), FIXABLE, ids=[f[0] for f in FIXABLE])
def test_diff_shows_each_fix_and_writes_nothing(tmp_path: Path, capsys,
                                                code: str, old: str, new: str) -> None:
    path = tmp_path / "train.py"
    original = HEADER + "\n\n" + old.format(i=0)
    path.write_text(original)
    assert main(["check", str(path), "--diff", "--no-cache", "-j", "1", "--select", code]) == 1
    out = capsys.readouterr().out
    removed = [line[1:] for line in out.splitlines() if line.startswith("-") and
               not line.startswith("---")]
    added = [line[1:] for line in out.splitlines() if line.startswith("+") and
             not line.startswith("+++")]
    changed_old = [line for line in old.format(i=0).splitlines()
                   if line not in new.format(i=0).splitlines()]
    changed_new = [line for line in new.format(i=0).splitlines()
                   if line not in old.format(i=0).splitlines()]
    assert removed == changed_old and added == changed_new
    assert path.read_text() == original


@pytest.mark.parametrize("indent", [*INDENTS, "mixed"])
@pytest.mark.parametrize(("code", "old", "new"), FIXABLE, ids=[f[0] for f in FIXABLE])
def test_each_fix_under_every_indentation(tmp_path: Path, indent: str,
                                          code: str, old: str, new: str) -> None:
    """Regression: positions assumed 4-space indentation, so a fix in a 2-space or tab file
    cut the wrong characters (``F.cross_entropy(F.logitstarget)``)."""
    source, expected, _ = build([(True, FIXABLE.index((code, old, new)), 2)], indent)
    path = tmp_path / "train.py"
    path.write_text(source)
    assert fix(path) == 0
    assert path.read_text() == expected


@pytest.mark.parametrize("unit", ["  ", "\t", "   "])
def test_reported_column_follows_the_files_own_indentation(tmp_path: Path, capsys,
                                                           unit: str) -> None:
    path = tmp_path / "train.py"
    path.write_text("import torch.nn.functional as F\n\ndef f(logits, target):\n"
                    f"{unit}if True:\n{unit * 2}return F.cross_entropy(F.softmax(logits, 1), "
                    "target)\n")
    main(["check", str(path), "--no-cache", "-j", "1", "--select", "NN101"])
    column = len(unit * 2 + "return ") + 1  # the loss call
    assert f"train.py:5:{column}: NN101" in capsys.readouterr().out
