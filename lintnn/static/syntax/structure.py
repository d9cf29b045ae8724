"""What the rules can read of a libcst subtree: its structure, without trivia.

Two subtrees with the same structure are the same code but for its layout (whitespace,
comments, brackets, commas): an analysis that asks whether two expressions are the same
compares their structures, which also holds on the tree :mod:`~lintnn.static.engine.
from_ast` builds from CPython's (where rendered code has made-up spacing).
"""

from __future__ import annotations

import libcst as cst

# What :func:`structure` leaves out: the trivia nodes (whitespace, comments, brackets and
# separators) and the text fields of the layout.
_TRIVIA_NODES = frozenset({
    "SimpleWhitespace", "ParenthesizedWhitespace", "EmptyLine", "TrailingWhitespace",
    "Newline", "Comment", "Comma", "Semicolon", "Colon", "AssignEqual", "LeftParen",
    "RightParen", "LeftSquareBracket", "RightSquareBracket", "LeftCurlyBrace",
    "RightCurlyBrace",
})
_LAYOUT_FIELDS = frozenset({"indent", "default_indent", "default_newline", "encoding"})
Structure = tuple[str, tuple[str, ...], tuple["Structure", ...]]


def structure(node: cst.CSTNode) -> Structure:
    """What the rules can read of ``node``: its class, its text fields (a name, a number
    as written...) and the structure of its children, the trivia left out. The tree of
    :func:`~lintnn.static.engine.from_ast.module_from_ast` has the structure of libcst's own
    parse of the same text."""
    texts: list[str] = []
    children: list[Structure] = []
    for name in node.__dataclass_fields__:  # type: ignore[attr-defined]
        value = getattr(node, name)
        if type(value) is str:
            if name not in _LAYOUT_FIELDS and not name.startswith("whitespace"):
                texts.append(f"{name}={value}")
            continue
        items = value if type(value) in (list, tuple) else (value,)
        for item in items:  # a node (a dataclass: not None, a sentinel or a string)
            kind = type(item)
            if hasattr(kind, "__dataclass_fields__") and kind.__name__ not in _TRIVIA_NODES:
                children.append(structure(item))
    return type(node).__name__, tuple(texts), tuple(children)


def first_difference(light: Structure, real: Structure, path: str = "") -> str | None:
    """Where two structures first differ (a path of classes and child indexes), or None."""
    stack = [(light, real, path)]
    while stack:
        a, b, where = stack.pop()
        if a[0] != b[0] or a[1] != b[1] or len(a[2]) != len(b[2]):
            return (f"{where}: {a[0]}{list(a[1])} {[c[0] for c in a[2]]} | "
                    f"{b[0]}{list(b[1])} {[c[0] for c in b[2]]}")
        stack.extend((x, y, f"{where}/{a[0]}[{i}]")
                     for i, (x, y) in reversed(list(enumerate(zip(a[2], b[2], strict=True)))))
    return None
