"""Source positions of the few nodes that findings point at, without a whole-module pass.

libcst's PositionProvider regenerates the code of the whole module (about twice the cost
of the parse). Findings sit in a few top-level statements: each of those is regenerated
alone, and its line offset comes from ``ast`` (five times cheaper than libcst), whose
top-level statements map one to one onto libcst's. The regeneration of a statement stops
once every node asked for has its position (a finding in the first method of a
1,000-line class regenerates that method, not the class).
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

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
    tops: dict[int, cst.CSTNode] = {}
    inside: dict[int, list[cst.CSTNode]] = {}  # the nodes asked for, by top statement
    index_of = {id(stmt): i for i, stmt in enumerate(module.body)}
    for node in nodes:
        top = top_statement(node, parents, module)
        if top is None or id(top) not in index_of:
            return _whole_module(module)
        i = index_of[id(top)]
        tops[i] = top
        inside.setdefault(i, []).append(node)
    if lines is None:
        lines = _statement_lines(module, text)
    if lines is None:
        return _whole_module(module)
    from libcst.metadata import CodeRange  # libcst loads on first use (lintnn.static)

    found: dict[cst.CSTNode, CodeRange] = {}
    for i, stmt in tops.items():
        local, start_line = _positions_until(_alone(module, stmt), stmt, inside[i])
        shift = lines[i] - start_line
        for node in inside[i]:  # the spans of unfinished nodes around them are partial
            span = local.get(node)
            if span is None:
                continue
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


class _Done(Exception):
    """Every node asked for has its position: the rest of the code need not be made (the
    nodes around the last one are left unfinished, their spans not to be read)."""


@functools.cache
def _stopping_state() -> type:
    """libcst's position-recording code generator, made to note where one statement starts
    and to stop once the nodes asked for are all done (a class: libcst loads on first use)."""
    from libcst.metadata.position_provider import PositionProvidingCodegenState

    class StoppingState(PositionProvidingCodegenState):
        statement: cst.CSTNode
        start_line: int | None
        done: bool
        waiting: set[int]  # ids of the nodes asked for and not done yet

        def record_syntactic_position(self, node: cst.CSTNode, **hoisted: Any) -> Any:
            # A statement's syntactic start is where this is entered (none hoists its
            # start from a child: only ``IndentedBlock`` does, which is no statement).
            if node is self.statement:
                self.start_line = self.line
            return super().record_syntactic_position(node, **hoisted)

        def after_codegen(self, node: cst.CSTNode) -> None:
            super().after_codegen(node)  # the node's position is final from here on
            waiting = self.waiting
            if id(node) in waiting:
                waiting.discard(id(node))
                if not waiting and self.start_line is not None:
                    self.done = True
                    raise _Done

    return StoppingState


def _positions_until(module: cst.Module, statement: cst.CSTNode, wanted: Iterable[cst.CSTNode]
                     ) -> tuple[Mapping[cst.CSTNode, CodeRange], int]:
    """Positions in ``module`` (which holds ``statement`` alone) of at least the nodes of
    ``wanted`` in it, and the line where ``statement`` starts; the code after the last of
    those nodes is not made."""
    from libcst.metadata import PositionProvider

    provider = PositionProvider()
    try:
        state = _stopping_state()(default_indent=module.default_indent,
                                  default_newline=module.default_newline, provider=provider)
    except TypeError:  # pragma: no cover - a libcst whose state takes other fields
        local = _positions(module)
        return local, local[statement].start.line
    state.statement = statement
    state.start_line = None
    state.waiting = {id(node) for node in wanted}
    state.done = False
    try:
        module._codegen(state)  # libcst-internal, stable since 0.3
    except Exception:
        # Stopped: the nodes around the last one asked for, left unfinished, may fail to
        # close their spans on the way out (a ``KeyError`` for a child never reached).
        if not state.done:
            raise
    computed = provider._computed
    if state.start_line is None:  # a statement that records no syntactic position
        return computed, computed[statement].start.line
    return computed, state.start_line


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
