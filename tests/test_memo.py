"""subtree_memo answers again for the same node, and never keeps a whole module."""

from __future__ import annotations

import libcst as cst

from lintnn.static.memo import subtree_memo


def test_same_node_is_answered_from_memory_and_modules_are_not_kept() -> None:
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
