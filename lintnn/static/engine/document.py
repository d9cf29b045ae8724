"""One editor buffer, checked again after every edit (the language server's engine).

CPython's parser judges the text, re-parsing only the statements an edit touched
(:class:`Reparser`); the spans of the top-level statements then cut the text for
:class:`IncrementalParser` (which re-parses only the changed ones with libcst) and place
them for :class:`StatementCache` (which re-runs statement-local rules only on them). The
result is the same as :func:`~lintnn.static.engine.analyze.analyze_text`'s.
"""

from __future__ import annotations

from pathlib import Path

import libcst as cst

from lintnn.config import DEFAULT_MAX_FILE_SIZE
from lintnn.static.engine.analyze import FileResult, analyze_text, run_all
from lintnn.static.engine.buffer_features import BufferFeatures
from lintnn.static.engine.incremental import IncrementalParser
from lintnn.static.engine.reparse import Reparser
from lintnn.static.engine.safe_parse import Verdict
from lintnn.static.engine.statement_cache import StatementCache
from lintnn.static.rules.base import Rule
from lintnn.static.syntax import memo
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import IndexPieces
from lintnn.static.syntax.statements import Span


class Document:
    """The parsed statements and cached findings of one buffer, between checks."""

    def __init__(self) -> None:
        memo.enable()
        self.parser = IncrementalParser()
        self.cache = StatementCache()
        self.reparser = Reparser()
        self.features = BufferFeatures()  # what the gate reads, kept per statement
        self.pieces = IndexPieces()  # the node index's walks, kept per statement
        self._spans: list[Span] | None = None

    def analyze(self, path: Path, text: str, rules: list[Rule],
                max_size: int = DEFAULT_MAX_FILE_SIZE) -> FileResult:
        self._spans = None
        return analyze_text(path, text, rules, parse=self._parse, syntax_check=self._judge,
                            run=self._run, max_size=max_size,
                            describe=lambda verdict: self.features.of(text, self._spans,
                                                                      verdict.tree),
                            pieces=self.pieces)

    def _judge(self, text: str) -> Verdict:
        self._spans, verdict = self.reparser.parse(text)
        return verdict

    def _parse(self, text: str) -> cst.Module:
        return self.parser.parse(text, self._spans)

    def _run(self, ctx: FileContext, active: list[Rule], result: FileResult,
             wants_summary: bool, wants_calls: tuple[bool, bool]) -> None:
        if self._spans is None:
            run_all(ctx, active, result, wants_summary, wants_calls)
        else:
            self.cache.run(ctx, active, result, wants_summary, self._spans, wants_calls)
