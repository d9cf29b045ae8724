"""The children of a libcst node worth a walk: its fields that may hold code.

Reads the dataclass fields directly (libcst's own ``children`` and visitors rebuild every
node they pass), skipping whitespace, punctuation and formatting.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator

import libcst as cst

# Fields that hold only whitespace, punctuation or formatting: never worth a visit.
_SKIPPED_FIELDS = frozenset({
    "lpar", "rpar", "comma", "semicolon", "colon", "dot", "equal", "star", "operator",
    "leading_lines", "lines_after_decorators", "header", "footer", "newline", "indent",
    "trailing_whitespace", "empty_lines", "lbrace", "rbrace", "lbracket", "rbracket",
    "first_colon", "second_colon", "asynchronous", "default_indent", "default_newline",
    "encoding", "has_trailing_newline", "comment", "posonly_ind", "separator",
    "trailing_comma", "leading_whitespace", "whitespace",
})
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def child_fields(kind: type) -> tuple[str, ...]:
    fields = _CHILD_FIELDS.get(kind)
    if fields is None:
        fields = tuple(
            f.name for f in dataclasses.fields(kind)
            if f.name not in _SKIPPED_FIELDS and not f.name.startswith("whitespace")
        )
        _CHILD_FIELDS[kind] = fields
    return fields


def iter_children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The syntactic children of a node, skipping whitespace and punctuation.

    Reads the dataclass fields directly: libcst's own visitor rebuilds every node it
    passes, which costs about as much as the parse.
    """
    for name in child_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind is tuple or kind is list:
            for item in value:
                if is_node(type(item)):
                    yield item
        elif is_node(kind):
            yield value


def subtree_depth(root: cst.CSTNode) -> int:
    """Levels of the deepest node below ``root``; iterative, as the tree may be deep."""
    deepest, stack = 0, [(root, 0)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in iter_children(node))
    return deepest


_NODE_TYPES: dict[type, bool] = {}


def is_node(kind: type) -> bool:
    known = _NODE_TYPES.get(kind)
    if known is None:
        known = _NODE_TYPES[kind] = issubclass(kind, cst.CSTNode)
    return known


def node_classes(base: type) -> list[type]:
    """The classes of libcst's nodes: the subclasses of ``base`` that define their own
    ``__init__`` and are the class their module exports (libcst's ``add_slots`` rebuilds
    each class, and the one it replaced lingers among the subclasses)."""
    found: list[type] = []
    todo = [base]
    seen: set[type] = set()
    while todo:
        for kind in todo.pop().__subclasses__():
            if kind in seen:
                continue
            seen.add(kind)
            todo.append(kind)
            module = sys.modules.get(kind.__module__)
            if "__init__" in kind.__dict__ and getattr(module, kind.__name__, None) is kind:
                found.append(kind)
    return found
