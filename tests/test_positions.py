"""Positions computed per top-level statement equal libcst's whole-module positions."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest
from libcst.metadata import MetadataWrapper, PositionProvider

import lintnn
from lintnn.static.syntax.imports import ImportMap
from lintnn.static.syntax.index import NodeIndex
from lintnn.static.syntax.positions import positions_for

TRICKY = '''\
#!/usr/bin/env python
"""Doc."""
import torch  # comment

@decorator
@other(1,
       2)
class A:
    def f(self):
        return g(1); h(2)

a = f(x); b = g(
    y)
if a:
    pass
'''


def sources() -> list[str]:
    package = Path(lintnn.__file__).parent
    return [TRICKY, *(p.read_text() for p in sorted(package.rglob("*.py"))[:25])]


@pytest.mark.parametrize("text", sources())
def test_matches_whole_module_positions(text: str) -> None:
    module = cst.parse_module(text)
    index = NodeIndex.build(module, ImportMap())
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    nodes = index.calls[::3] + index.functions
    found = positions_for(module, text, nodes, index.parents)
    for node in nodes:
        assert found[node] == expected[node]


def test_index_parents_iterate_in_source_order() -> None:
    module = cst.parse_module("def f(a):\n    x = g(a)\n    for i in h(x):\n        k(i)\n")
    index = NodeIndex.build(module, ImportMap())
    names = [n.value for n in index.parents if isinstance(n, cst.Name)]
    assert names == ["f", "a", "x", "g", "a", "i", "h", "x", "k", "i"]


def test_a_check_reads_statement_lines_from_the_judge_s_tree(monkeypatch) -> None:
    """The judge's top-level statements give the first lines (no second ``ast`` parse of
    the file), and the findings land where a parse of their own would put them."""
    import textwrap

    from lintnn.static.engine.analyze import analyze_text
    from lintnn.static.rules import all_rules
    from lintnn.static.syntax import positions

    source = TRICKY + textwrap.dedent('''
        import torch.nn as nn
        import torch.nn.functional as F

        def step(logits, labels):
            loss = nn.CrossEntropyLoss()(F.softmax(logits, dim=1), labels)
            return loss
    ''')
    rules = [cls() for cls in all_rules().values()]
    expected = analyze_text(Path("train.py"), source, rules).diagnostics
    assert [(d.code, d.location.row) for d in expected] == [("NN101", 21)]

    def parse_again(module: cst.Module, text: str) -> list[int] | None:
        raise AssertionError("parsed the file again for the statement lines")

    monkeypatch.setattr(positions, "_statement_lines", parse_again)
    assert analyze_text(Path("train.py"), source, rules).diagnostics == expected
