"""Formatters: each is a small function over the list of diagnostics.

``FORMATTERS`` maps an ``--output-format`` name to ``(diagnostics, stream, options) -> None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report import full as full_format
from lintnn.report import github as github_format
from lintnn.report import gitlab as gitlab_format
from lintnn.report import grouped as grouped_format
from lintnn.report import json as json_format
from lintnn.report import junit as junit_format
from lintnn.report import pylint as pylint_format
from lintnn.report import rdjson as rdjson_format
from lintnn.report import sarif as sarif_format
from lintnn.report import text as text_format
from lintnn.report.options import FormatOptions
from lintnn.report.sources import Sources

__all__ = ["DEFAULT_FORMAT", "FORMATTERS", "HUMAN_FORMATS", "FormatOptions", "Formatter",
           "Sources", "write"]


Formatter = Callable[[list[Diagnostic], TextIO, FormatOptions], None]

# ruff's names and formats; ``text`` is kept as the older name of ``concise``.
FORMATTERS: dict[str, Formatter] = {
    "full": full_format.write,
    "concise": text_format.write,
    "text": text_format.write,
    "grouped": grouped_format.write,
    "json": json_format.write,
    "json-lines": json_format.write_lines,
    "junit": junit_format.write,
    "github": github_format.write,
    "gitlab": gitlab_format.write,
    "pylint": pylint_format.write,
    "rdjson": rdjson_format.write,
    "sarif": sarif_format.write,
}
DEFAULT_FORMAT = "full"
HUMAN_FORMATS = frozenset({"full", "concise", "text", "grouped"})  # colored on a terminal


def write(
    diagnostics: list[Diagnostic], fmt: str, stream: TextIO,
    options: FormatOptions | None = None,
) -> None:
    """Write diagnostics in one of the formats of :data:`FORMATTERS`."""
    try:
        formatter = FORMATTERS[fmt]
    except KeyError:
        raise ValueError(
            f"unknown output format {fmt!r}; choose from {', '.join(sorted(FORMATTERS))}"
        ) from None
    formatter(diagnostics, stream, options or FormatOptions())
