"""subtree_memo answers again for the same node, and never keeps a whole module."""

from __future__ import annotations

import libcst as cst

from lintnn.static.syntax import memo
from lintnn.static.syntax.memo import subtree_memo


def test_same_node_is_answered_from_memory_and_modules_are_not_kept(monkeypatch) -> None:
    monkeypatch.setattr(memo, "_ENABLED", [True])
    calls: list[cst.CSTNode] = []

    @subtree_memo
    def count(node: cst.CSTNode, extra: str) -> int:
        calls.append(node)
        return len(extra)

    module = cst.parse_module("def f():\n    return 1\n")
    function = module.body[0]
    assert count(function, "ab") == count(function, "ab") == 2
    assert count(function, "abc") == 3
    assert calls == [function, function]
    count(module, "x")
    count(module, "x")
    assert calls[2:] == [module, module]
    assert all(key[0] is not module for key in count.cache)  # type: ignore[attr-defined]


def test_a_batch_run_keeps_nothing(monkeypatch) -> None:
    """Off until a language-server document turns it on: nothing is held in memory."""
    monkeypatch.setattr(memo, "_ENABLED", [False])

    @subtree_memo
    def size(node: cst.CSTNode) -> int:
        return len(node.children)

    function = cst.parse_module("def f():\n    return 1\n").body[0]
    assert size(function) == size(function) == len(function.children)
    assert len(size.cache) == 0  # type: ignore[attr-defined]
