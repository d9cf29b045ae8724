"""The top-level statements of a parsed module: where each sits, and its text.

A statement's text (decorators to last line, whole lines) is its identity for caches: the
same text parses to the same tree, so what was found in it holds again, moved by the
difference of its first line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from dataclasses import dataclass

import libcst as cst

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks CPython's tokenizer counts


@dataclass(frozen=True)
class Span:
    """The lines of one ``ast`` top-level statement (1-based, inclusive)."""

    first: int  # its first line, decorators included
    lineno: int  # ``ast``'s lineno: the ``def``/``class`` line of a decorated one
    end: int

    @classmethod
    def of(cls, stmt: ast.stmt) -> Span:
        decorators = getattr(stmt, "decorator_list", ())
        end = stmt.end_lineno or stmt.lineno
        return cls(min([stmt.lineno, *(d.lineno for d in decorators)]), stmt.lineno, end)

    def moved(self, lines: int) -> Span:
        return Span(self.first + lines, self.lineno + lines, self.end + lines)


def spans_of(body: list[ast.stmt]) -> list[Span]:
    return [Span.of(stmt) for stmt in body]


def line_starts(text: str) -> list[int]:
    """The offset of every line's start, then ``len(text)``: line n is
    ``text[starts[n - 1]:starts[n]]`` (lines as CPython counts them, not ``splitlines``).
    The caller must not change the list: the last text's is shared (the language server's
    steps each ask it of the same buffer)."""
    global _LAST
    last = _LAST  # one read: another thread may replace it
    if last[0] is text:
        return last[1]
    starts = line_offsets(text)
    _LAST = (text, starts)
    return starts


def line_offsets(text: str) -> list[int]:
    """:func:`line_starts`, computed afresh (the last text's stays cached)."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text)), len(text)]


_LAST: tuple[str | None, list[int]] = (None, [])  # the last text asked, and its starts


def count_lines(text: str) -> int:
    """Line breaks in ``text``, as CPython counts them."""
    return len(_NEWLINE.findall(text))


@dataclass(frozen=True)
class Statement:
    """One top-level libcst statement."""

    node: cst.BaseStatement
    line: int  # ``ast``'s lineno of its first statement: where libcst places it
    text: str
    cacheable: bool  # a function or class: its body has its own scope


def statements(module: cst.Module, spans: list[Span], text: str) -> list[Statement] | None:
    """The module's top-level statements; None when ``spans`` (of ``ast.parse(text)``'s
    statements) do not line up with ``module.body``."""
    starts = line_starts(text)
    out: list[Statement] = []
    position = 0
    for node in module.body:
        count = len(node.body) if type(node) is cst.SimpleStatementLine else 1
        if position + count > len(spans):
            return None
        first, last = spans[position], spans[position + count - 1]
        position += count
        end = starts[min(last.end, len(starts) - 1)]
        out.append(Statement(node, first.lineno, text[starts[first.first - 1]:end],
                             type(node) in (cst.FunctionDef, cst.ClassDef)))
    return out if position == len(spans) else None


def top_statement(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode],
                  module: cst.Module) -> cst.CSTNode | None:
    """The top-level statement that holds ``node``; None for the module or a stray node."""
    found = top_path(node, parents, module)
    return found[0] if found is not None else None


def top_path(node: cst.CSTNode, parents: Mapping[cst.CSTNode, cst.CSTNode],
             module: cst.Module) -> tuple[cst.CSTNode, cst.CSTNode | None,
                                          cst.CSTNode | None] | None:
    """The top-level statement that holds ``node``, its child on the way down to ``node``
    and that child's child (None past ``node``); None for the module or a stray node."""
    current, below, under = node, None, None
    while True:
        parent = parents.get(current)
        if parent is None:
            return None
        if parent is module:
            return current, below, under
        current, below, under = parent, current, below
