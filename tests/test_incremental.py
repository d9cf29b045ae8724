"""The incremental parser rebuilds exactly the text, and lints exactly like a full parse."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

import lintnn
from lintnn.config import Settings
from lintnn.static.engine.incremental import IncrementalParser
from lintnn.static.engine.run import Engine
from lintnn.static.syntax.imports import ImportMap
from lintnn.static.syntax.index import IndexPieces, NodeIndex

EDGE_CASES = [
    "",
    "\n\n",
    "# only a comment\n",
    "x = 1",  # no trailing newline
    "a = 1; b = 2\nc = 3\n",
    "#!/usr/bin/env python\n# header\n\n\n@dec\n@dec2(1,\n  2)\nclass A:\n    pass\n# tail\n",
    "def f():\n    pass\n\n\ndef f():\n    pass\n",  # identical chunks
    "x = (1,\n     2)\nif x:\n    y = 1\nelse:\n    y = 2\n\n\n# trailing comment",
    "x = 1\r\ny = 2\r\n",
]


def sources() -> list[str]:
    package = Path(lintnn.__file__).parent
    return [*EDGE_CASES, *(p.read_text() for p in sorted(package.rglob("*.py")))]


INDENTS = [
    "import torch\n\n\ndef f(x):\n  return x\n",  # two spaces, after a chunk with none
    "def f(x):\n    return x\n\n\nif x:\n    y = 1\n",  # the first block's unit
    "import torch\n\n\ndef f(x):\n\treturn x\n",
    "x = 1\n\n\ny = 2\n",  # no block: libcst's fallback
]


@pytest.mark.parametrize("text", sources() + INDENTS)
def test_joined_module_reproduces_the_text(text: str) -> None:
    """The code, and the indentation unit that positions and fixes render with."""
    parser = IncrementalParser()
    module = parser.parse(text)
    assert module.code == text
    assert module.default_indent == cst.parse_module(text).default_indent
    edited = text.replace("=", "= ", 1)
    assert parser.parse(edited).code == edited


def test_only_changed_statements_are_reparsed() -> None:
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(50))
    parser = IncrementalParser()
    parser.parse(text)
    assert parser.parsed == 50
    parser.parse(text.replace("x + 7", "x * 7"))
    assert parser.parsed == 51 and parser.reused == 49


def test_identical_chunks_get_distinct_nodes() -> None:
    module = IncrementalParser().parse("def f():\n    pass\n\n\ndef f():\n    pass\n")
    assert module.body[0] is not module.body[1]


def test_syntax_error_falls_back_to_libcst_error() -> None:
    with pytest.raises(cst.ParserSyntaxError):
        IncrementalParser().parse("def f(:\n")


BUGGY = """\
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def forward(self, x):
        return F.softmax(x, dim=1)


def train(x, y):
    return nn.CrossEntropyLoss()(Net()(x), y)


head = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(8))
"""


def test_incremental_engine_finds_the_same() -> None:
    full = Engine(Settings(), use_cache=False, jobs=1)
    incremental = Engine(Settings(), use_cache=False, jobs=1, incremental=True)
    path = Path("buffer.py")
    for text in (BUGGY, BUGGY.replace("dim=1", "dim=-1"), BUGGY + "\nx = 1\n", BUGGY):
        assert incremental.check_source(path, text).diagnostics == (
            full.check_source(path, text).diagnostics
        )


def test_unchanged_statements_stay_the_same_objects() -> None:
    text = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(5))
    parser = IncrementalParser()
    before = parser.parse(text).body
    after = parser.parse(text.replace("x + 3", "x * 3")).body
    assert [a is b for a, b in zip(before, after, strict=True)] == [
        True, True, True, False, True]


def _index_facts(index: NodeIndex) -> tuple:
    return (list(index.parents.items()), index.calls, index.functions, index.classes,
            index.loops, index.withs, index.returns, index.assignments,
            index.assigned_names, index.depth, index.imports.aliases, index.imports.shadowed)


_EDITS = [
    ("import torch\nfrom torch import nn\n", "import torch\nimport numpy as nn\n"),
    ("def train(", "def train2("),
    ("    for", "    import os\n    for"),
    ("= 1", "= [[[[1]]]]"),
]


@pytest.mark.parametrize("text", sources()[:40])
def test_an_index_joined_from_kept_statement_walks_is_the_index_of_a_walk(text: str) -> None:
    """Each build reuses the walks of the statements an edit left alone; the index, its
    imports and its views equal those built by walking the whole module."""
    parser, pieces = IncrementalParser(), IndexPieces()
    texts = [text, *(text.replace(old, new, 1) for old, new in _EDITS), text]
    for version in texts:
        try:
            module = parser.parse(version)
        except cst.ParserSyntaxError:  # an edit that broke this text: not a case
            continue
        joined = NodeIndex.build(module, ImportMap("pkg.mod"), pieces)
        walked = NodeIndex.build(module, ImportMap("pkg.mod"))
        assert _index_facts(joined) == _index_facts(walked)
        for top in module.body[:5]:
            view, plain = joined.restricted_to([top]), walked.restricted_to([top])
            assert _index_facts(view) == _index_facts(plain)
    if len(cst.parse_module(text).body) > 2:
        assert pieces.reused > 0
