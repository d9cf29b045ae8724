"""The top-level statements of a parsed module: where each sits, and its text.

A statement's text (decorators to last line, whole lines) is its identity for caches: the
same text parses to the same tree, so what was found in it holds again, moved by the
difference of its first line.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import libcst as cst

_NEWLINE = re.compile(r"\r\n|\r|\n")  # the line breaks CPython's tokenizer counts


@dataclass(frozen=True)
class Statement:
    """One top-level libcst statement."""

    node: cst.BaseStatement
    line: int  # ``ast``'s lineno of its first statement: where libcst places it
    text: str
    cacheable: bool  # a function or class: its body has its own scope


def statements(module: cst.Module, body: list[ast.stmt], text: str) -> list[Statement] | None:
    """The module's top-level statements; None when ``body`` (``ast.parse(text).body``)
    does not line up with ``module.body``."""
    starts = [0, *(m.end() for m in _NEWLINE.finditer(text)), len(text)]
    out: list[Statement] = []
    position = 0
    for node in module.body:
        count = len(node.body) if isinstance(node, cst.SimpleStatementLine) else 1
        if position + count > len(body):
            return None
        first, last = body[position], body[position + count - 1]
        position += count
        top = min([first.lineno, *(d.lineno for d in getattr(first, "decorator_list", ()))])
        end = last.end_lineno or last.lineno
        out.append(Statement(
            node, first.lineno, text[starts[top - 1]:starts[min(end, len(starts) - 1)]],
            isinstance(node, (cst.FunctionDef, cst.ClassDef)),
        ))
    return out if position == len(body) else None


def top_statement(node: cst.CSTNode, parents: dict[cst.CSTNode, cst.CSTNode],
                  module: cst.Module) -> cst.CSTNode | None:
    """The top-level statement that holds ``node``; None for the module or a stray node."""
    current = node
    while True:
        parent = parents.get(current)
        if parent is None:
            return None
        if parent is module:
            return current
        current = parent
