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

from lintnn.static.engine.fast_parse import parse_module
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.statements import Span, line_starts, spans_of

_MAX_CHUNKS = 20_000
_FALLBACK_INDENT = "    "  # what libcst takes for a text without an indented block


class IncrementalParser:
    """``parse(text)`` equals ``cst.parse_module(text)`` in code, reusing unchanged chunks."""

    def __init__(self) -> None:
        self._chunks: OrderedDict[str, list[cst.Module]] = OrderedDict()
        # The first statement of each chunk after the first, with the chunk's header as its
        # leading lines, by id of the chunk: unchanged statements stay the same objects
        # from one parse to the next (caches keyed by node keep working).
        self._heads: dict[int, tuple[cst.Module, cst.BaseStatement]] = {}
        self.reused = 0
        self.parsed = 0

    def parse(self, text: str, spans: list[Span] | None = None) -> cst.Module:
        """``spans``: those of ``ast.parse(text).body`` when the caller has them."""
        pieces = _split(text, spans)
        if pieces is None:
            return cst.parse_module(text)  # a syntax error: let libcst report it
        modules = self._modules(pieces)
        module = self._join(modules)
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
            parsed = parse_module(piece)
            self.parsed += 1
            self._chunks.setdefault(piece, []).append(parsed)
            modules.append(parsed)
        while len(self._chunks) > _MAX_CHUNKS:
            self._chunks.popitem(last=False)
        return modules

    def _join(self, modules: list[cst.Module]) -> cst.Module | None:
        if not modules:
            return None
        first = modules[0]
        body: list[cst.BaseStatement] = list(first.body)
        heads: dict[int, tuple[cst.Module, cst.BaseStatement]] = {}
        for module in modules[1:]:
            if not module.body:
                return None
            known = self._heads.get(id(module))
            if known is not None and known[0] is module:
                head = known[1]
            else:
                head = module.body[0]
                head = head.with_changes(leading_lines=[*module.header, *head.leading_lines])
            heads[id(module)] = (module, head)
            body += [head, *module.body[1:]]
        self._heads = heads
        last = modules[-1]
        return first.with_changes(body=body, footer=last.footer,
                                  has_trailing_newline=last.has_trailing_newline,
                                  default_indent=_indent(modules))


def _indent(modules: list[cst.Module]) -> str:
    """The indentation unit libcst finds in the joined text: that of its first indented
    block (a chunk without one says ``_FALLBACK_INDENT``)."""
    for k, module in enumerate(modules):
        if module.default_indent != _FALLBACK_INDENT:
            earlier = any(_has_block(m) for m in modules[:k])
            return _FALLBACK_INDENT if earlier else module.default_indent
    return _FALLBACK_INDENT


def _has_block(module: cst.Module) -> bool:
    """Whether ``module`` holds an indented block."""
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.IndentedBlock):
            return True
        stack.extend(iter_children(node))
    return False


def _split(text: str, spans: list[Span] | None = None) -> list[str] | None:
    """The text cut before each top-level statement's leading comments; None if invalid."""
    if spans is None:
        try:
            spans = spans_of(ast.parse(text).body)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return None
    # Lines as CPython counts them: ``splitlines`` also breaks at form feeds and the like.
    starts = line_starts(text)
    cuts: list[int] = []  # 0-based line where each chunk starts
    previous_end = 0
    for span in spans:
        if span.first - 1 < previous_end:
            continue  # on the line of the previous statement (``a = 1; b = 2``)
        cuts.append(previous_end)
        previous_end = span.end
    if not cuts:
        return [text]
    cuts[0] = 0
    bounds = [*cuts, len(starts) - 1]
    return [text[starts[a]:starts[b]] for a, b in itertools.pairwise(bounds) if b > a]
