"""Re-parse only the top-level statements an edit touched (for the language server).

A 3,000-line file takes libcst longer to parse than an editor can wait between
keystrokes. The text is cut at top-level statement boundaries (found with ``ast``, five
times cheaper), each chunk is parsed alone and cached by its text, and the chunks'
statements are joined into one module whose code is exactly the text.
"""

from __future__ import annotations

import ast
import itertools
from collections import OrderedDict

import libcst as cst

_MAX_CHUNKS = 20_000


class IncrementalParser:
    """``parse(text)`` equals ``cst.parse_module(text)`` in code, reusing unchanged chunks."""

    def __init__(self) -> None:
        self._chunks: OrderedDict[str, list[cst.Module]] = OrderedDict()
        self.reused = 0
        self.parsed = 0

    def parse(self, text: str, body: list[ast.stmt] | None = None) -> cst.Module:
        """``body``: ``ast.parse(text).body`` when the caller has it (saves a parse)."""
        pieces = _split(text, body)
        if pieces is None:
            return cst.parse_module(text)  # a syntax error: let libcst report it
        modules = self._modules(pieces)
        module = _join(modules)
        # Joining is exact by construction (tests compare ``module.code`` with the text);
        # regenerating the code here would cost as much as the parse saved.
        return module if module is not None else cst.parse_module(text)

    def _modules(self, pieces: list[str]) -> list[cst.Module]:
        used: dict[str, int] = {}
        modules = []
        for piece in pieces:
            # The same text twice (two identical functions) needs two distinct trees:
            # a node must have one parent.
            occurrence = used.get(piece, 0)
            used[piece] = occurrence + 1
            cached = self._chunks.get(piece)
            if cached is not None and occurrence < len(cached):
                self._chunks.move_to_end(piece)
                modules.append(cached[occurrence])
                self.reused += 1
                continue
            parsed = cst.parse_module(piece)
            self.parsed += 1
            self._chunks.setdefault(piece, []).append(parsed)
            modules.append(parsed)
        while len(self._chunks) > _MAX_CHUNKS:
            self._chunks.popitem(last=False)
        return modules


def _split(text: str, body: list[ast.stmt] | None = None) -> list[str] | None:
    """The text cut before each top-level statement's leading comments; None if invalid."""
    if body is None:
        try:
            body = ast.parse(text).body
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    lines = text.splitlines(keepends=True)
    cuts: list[int] = []  # 0-based line where each chunk starts
    previous_end = 0
    for stmt in body:
        first = min([stmt.lineno, *(d.lineno for d in getattr(stmt, "decorator_list", ()))])
        if first - 1 < previous_end:
            continue  # on the line of the previous statement (``a = 1; b = 2``)
        cuts.append(previous_end)
        previous_end = stmt.end_lineno or stmt.lineno
    if not cuts:
        return [text]
    cuts[0] = 0
    bounds = [*cuts, len(lines)]
    return ["".join(lines[a:b]) for a, b in itertools.pairwise(bounds) if b > a]


def _join(modules: list[cst.Module]) -> cst.Module | None:
    if not modules:
        return None
    first = modules[0]
    body: list[cst.BaseStatement] = list(first.body)
    for module in modules[1:]:
        if not module.body:
            return None
        head, *rest = module.body
        leading = [*module.header, *head.leading_lines]
        body += [head.with_changes(leading_lines=leading), *rest]
    last = modules[-1]
    return first.with_changes(body=body, footer=last.footer,
                              has_trailing_newline=last.has_trailing_newline)
