"""``rdjson``: reviewdog's Diagnostic Format (``reviewdog -f=rdjson``), so reviewdog can
comment on a pull request; fixes become its suggestions."""

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
        "diagnostics": [_diagnostic(d) for d in diagnostics if d.filename is not None],
    }
    json.dump(report, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _position(location: Location) -> dict[str, int]:
    return {"line": location.row, "column": location.column}


def _diagnostic(diagnostic: Diagnostic) -> dict[str, Any]:
    assert diagnostic.filename is not None
    end = max(diagnostic.end_location, diagnostic.location)
    code: dict[str, str] = {"value": diagnostic.code}
    if diagnostic.url:
        code["url"] = diagnostic.url
    data: dict[str, Any] = {
        "message": diagnostic.message,
        "location": {"path": str(Path(diagnostic.filename).absolute()), "range": {
            "start": _position(diagnostic.location), "end": _position(end)}},
        "severity": SEVERITY[diagnostic.severity],
        "code": code,
    }
    if diagnostic.fix is not None and diagnostic.cell is None:
        data["suggestions"] = [{"range": {"start": _position(e.start), "end": _position(e.end)},
                                "text": e.content} for e in diagnostic.fix.edits]
    return data
