"""One editor buffer, checked again after every edit (the language server's engine).

CPython's parser judges the text once; its tree also cuts the text into top-level
statements for :class:`IncrementalParser` (which re-parses only the changed ones) and
places them for :class:`StatementCache` (which re-runs statement-local rules only on
them). The result is the same as :func:`~lintnn.static.analyze.analyze_text`'s.
"""

from __future__ import annotations

import ast
from pathlib import Path

import libcst as cst

from lintnn.static.analyze import FileResult, analyze_text, run_rules
from lintnn.static.context import FileContext
from lintnn.static.incremental import IncrementalParser
from lintnn.static.rule import Rule
from lintnn.static.safe_parse import python_ast
from lintnn.static.statement_cache import StatementCache


class Document:
    """The parsed statements and cached findings of one buffer, between checks."""

    def __init__(self) -> None:
        self.parser = IncrementalParser()
        self.cache = StatementCache()
        self._body: list[ast.stmt] | None = None

    def analyze(self, path: Path, text: str, rules: list[Rule]) -> FileResult:
        self._body = None
        return analyze_text(path, text, rules, parse=self._parse, syntax_check=self._judge,
                            run=self._run)

    def _judge(self, text: str) -> tuple[str, int, int] | None:
        tree, error = python_ast(text)
        self._body = tree.body if tree is not None else None
        return error

    def _parse(self, text: str) -> cst.Module:
        return self.parser.parse(text, self._body)

    def _run(self, ctx: FileContext, active: list[Rule], result: FileResult,
             wants_summary: bool) -> None:
        if self._body is None:
            run_rules(ctx, active, result, wants_summary)
        else:
            self.cache.run(ctx, active, result, wants_summary, self._body)
