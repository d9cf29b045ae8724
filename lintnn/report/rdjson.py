"""``rdjson``: reviewdog's Diagnostic Format (``reviewdog -f=rdjson``), so reviewdog can
comment on a pull request; fixes become its suggestions.

reviewdog counts columns in UTF-8 bytes (its ``Position``: "byte count in UTF-8"), lintnn
in code points: each column is converted on its line. A notebook finding is placed in the
``.ipynb`` file's JSON text, where reviewdog sees the change, as in SARIF.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from lintnn.diagnostics import Diagnostic, Location, Severity
from lintnn.report.options import FormatOptions

SEVERITY = {Severity.ERROR: "ERROR", Severity.WARNING: "WARNING", Severity.INFO: "INFO"}


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    report = {
        "source": {"name": "lintnn"},
        "severity": "WARNING",
        "diagnostics": [_diagnostic(d, options) for d in diagnostics if d.filename is not None],
    }
    json.dump(report, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _diagnostic(diagnostic: Diagnostic, options: FormatOptions) -> dict[str, Any]:
    assert diagnostic.filename is not None
    name = diagnostic.filename
    lines = options.sources.lines(name)  # the file's own lines (a notebook's JSON lines)
    start, end = options.sources.file_span(diagnostic)
    code: dict[str, str] = {"value": diagnostic.code}
    if diagnostic.url:
        code["url"] = diagnostic.url
    data: dict[str, Any] = {
        "message": diagnostic.message,
        "location": {"path": str(Path(name).absolute()), "range": {
            "start": _position(start, lines), "end": _position(end, lines)}},
        "severity": SEVERITY[diagnostic.severity],
        "code": code,
    }
    if diagnostic.fix is not None and diagnostic.cell is None:
        data["suggestions"] = [{"range": {"start": _position(e.start, lines),
                                          "end": _position(e.end, lines)},
                                "text": e.content} for e in diagnostic.fix.edits]
    return data


def _position(location: Location, lines: list[str] | None) -> dict[str, int]:
    """reviewdog's position: the line, and the column as 1 + the UTF-8 bytes before it."""
    column = location.column
    if lines is not None and 0 < location.row <= len(lines):
        column = len(lines[location.row - 1][: column - 1].encode("utf-8")) + 1
    return {"line": location.row, "column": column}
