"""A file's bytes to its findings, by kind: a notebook, or Python source."""

from __future__ import annotations

from pathlib import Path

from lintnn.config import DEFAULT_MAX_FILE_SIZE
from lintnn.static.engine.analyze import FileResult, analyze_text, error_diagnostic
from lintnn.static.engine.notebook import analyze_notebook
from lintnn.static.engine.source import SourceError, decode
from lintnn.static.rules.base import Rule


def analyze_bytes(path: Path, data: bytes, rules: list[Rule],
                  max_size: int = DEFAULT_MAX_FILE_SIZE, gated: bool = True,
                  defer_summary: bool = False) -> FileResult:
    """Decode, parse and check one file's bytes (``gated``, ``defer_summary``: as for
    :func:`~lintnn.static.engine.analyze.analyze_text`; not for notebooks)."""
    if path.suffix == ".ipynb":
        return analyze_notebook(path, data, rules, max_size)
    name = str(path)
    try:
        decoded = decode(data)
    except SourceError as error:
        return FileResult(name, [error_diagnostic(name, str(error), error.row, error.column)])
    return analyze_text(path, decoded.text, rules, encoding=decoded.encoding, max_size=max_size,
                        gated=gated, defer_summary=defer_summary)
