"""Formatters: each is a small function over the list of diagnostics.

``FORMATTERS`` maps an ``--output-format`` name to ``(diagnostics, stream, options) -> None``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report import github as github_format
from lintnn.report import json as json_format
from lintnn.report import sarif as sarif_format
from lintnn.report import text as text_format
from lintnn.report.options import FormatOptions

__all__ = ["FORMATTERS", "FormatOptions", "Formatter", "write"]


Formatter = Callable[[list[Diagnostic], TextIO, FormatOptions], None]

FORMATTERS: dict[str, Formatter] = {
    "text": text_format.write,
    "json": json_format.write,
    "json-lines": json_format.write_lines,
    "github": github_format.write,
    "sarif": sarif_format.write,
}


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
