"""The gate's features of an editor buffer, without walking all of it after each edit.

The language server's judge re-parses only the statements an edit touched, so it has no
tree of the whole text to walk. The features of a file are unions of what each top-level
statement holds, resolved against the file's imports at the end
(:func:`~lintnn.static.engine.gate.combine`), so each statement's part is kept under its
text and only the statements an edit changed are parsed and walked again.
"""

from __future__ import annotations

import ast
import warnings

from lintnn.static.engine.gate import Features, Parts, combine
from lintnn.static.syntax.statements import Span, line_starts

_UNMEASURED = (0, 1)  # the depth comes from the judge, which measures each statement


class BufferFeatures:
    """The parts of one buffer's top-level statements, by statement text."""

    def __init__(self) -> None:
        self._parts: dict[str, Parts] = {}

    def of(self, text: str, spans: list[Span] | None,
           tree: ast.Module | None = None) -> Features | None:
        """The features of ``text``, whose top-level statements sit at ``spans``
        (``tree``: its whole tree, when the judge parsed it all); None when unknown."""
        if spans is None:
            return None
        if tree is not None and len(tree.body) != len(spans):
            tree = None
        starts = line_starts(text)
        kept: dict[str, Parts] = {}
        pieces: list[Parts] = []
        parts, chunk, walked = Parts(), "", False
        for number, span in enumerate(spans):
            previous = chunk
            chunk = text[starts[span.first - 1]:starts[min(span.end, len(starts) - 1)]]
            if chunk == previous and number and spans[number - 1].first == span.first:
                if walked:  # ``a = 1; b = 2``: one chunk of text, several statements
                    parts.walk(tree.body[number])  # type: ignore[union-attr]
                continue
            found = kept.get(chunk) or self._parts.get(chunk)
            walked = found is None and tree is not None
            if found is None:
                found = Parts()
                if tree is not None:
                    found.walk(tree.body[number])
                elif not _walk_text(found, chunk):
                    return None
            parts = kept[chunk] = found
            pieces.append(parts)
        self._parts = kept
        return combine(pieces, _UNMEASURED)


def _walk_text(parts: Parts, chunk: str) -> bool:
    """Parse ``chunk`` alone and walk its statements; False when it does not parse."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = ast.parse(chunk)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for statement in parsed.body:
        parts.walk(statement)
    return True
