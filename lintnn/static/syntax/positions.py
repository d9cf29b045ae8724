"""Source positions of the few nodes that findings point at, without a whole-module pass.

libcst's PositionProvider regenerates the code of the whole module (about twice the cost
of the parse). Findings sit in a few top-level statements: each of those is regenerated
alone, and its line offset comes from ``ast`` (five times cheaper than libcst), whose
top-level statements map one to one onto libcst's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import libcst as cst

from lintnn.static.syntax.statements import Span, spans_of, top_statement

if TYPE_CHECKING:
    from libcst.metadata import CodeRange


def positions_for(
    module: cst.Module,
    text: str,
    nodes: Iterable[cst.CSTNode],
    parents: Mapping[cst.CSTNode, cst.CSTNode],
    lines: list[int] | None = None,
) -> Mapping[cst.CSTNode, CodeRange]:
    """A mapping that holds at least the positions of ``nodes``.

    ``lines``: :func:`statement_lines` of the module, when the caller has them.
    """
    wanted = list(nodes)
    tops: dict[int, cst.CSTNode] = {}
    index_of = {id(stmt): i for i, stmt in enumerate(module.body)}
    for node in wanted:
        top = top_statement(node, parents, module)
        if top is None or id(top) not in index_of:
            return _whole_module(module)
        tops[index_of[id(top)]] = top
    if lines is None:
        lines = _statement_lines(module, text)
    if lines is None:
        return _whole_module(module)
    from libcst.metadata import CodeRange  # libcst loads on first use (lintnn.static)

    found: dict[cst.CSTNode, CodeRange] = {}
    for i, stmt in tops.items():
        local = _positions(_alone(module, stmt))
        shift = lines[i] - local[stmt].start.line
        for node, span in local.items():
            found[node] = CodeRange(
                (span.start.line + shift, span.start.column),
                (span.end.line + shift, span.end.column),
            )
    return found


def _statement_lines(module: cst.Module, text: str) -> list[int] | None:
    """The first line of every top-level libcst statement, from ``ast``."""
    try:
        body = ast.parse(text).body
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return statement_lines(module, spans_of(body))


def statement_lines(module: cst.Module, body: list[Span]) -> list[int] | None:
    """The first line (``ast``'s ``lineno``) of every top-level libcst statement; None when
    the two trees' top-level statements do not line up."""
    lines: list[int] = []
    position = 0
    for stmt in module.body:
        if position >= len(body):
            return None
        lines.append(body[position].lineno)
        position += len(stmt.body) if type(stmt) is cst.SimpleStatementLine else 1
    return lines if position == len(body) else None


def _alone(module: cst.Module, stmt: cst.CSTNode) -> cst.Module:
    """``stmt`` as the only statement of a module that renders it exactly as ``module`` does:
    same indentation unit (an indented block whose own indent is None uses the module's),
    same line break."""
    return cst.Module(body=[stmt], default_indent=module.default_indent,
                      default_newline=module.default_newline)


def _whole_module(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    return _positions(module)


def _positions(module: cst.Module) -> Mapping[cst.CSTNode, CodeRange]:
    """PositionProvider's codegen pass alone: ``MetadataWrapper.resolve`` also visits the
    whole tree first, which costs as much again."""
    from libcst.metadata import MetadataWrapper, PositionProvider

    provider = PositionProvider()
    try:
        provider._gen_impl(module)  # libcst-internal, stable since 0.3
        return provider._computed
    except AttributeError:  # pragma: no cover - a libcst without these internals
        return MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
