"""``gitlab``: a GitLab Code Quality report (a JSON list of issues).

Paths are relative to ``$CI_PROJECT_DIR`` when GitLab sets it, else to the project root;
a notebook finding is on the line of the ``.ipynb`` file that holds the code, as in SARIF.
Each fingerprint is unique in the report and stable across runs: it hashes the code, the
path, the message and the occurrence, not the line number.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.report.options import FormatOptions
from lintnn.report.text import display_path

SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    project = os.environ.get("CI_PROJECT_DIR")
    base = Path(project) if project else (options.root or options.cwd)
    seen: Counter[tuple[str, str, str]] = Counter()
    issues = [_issue(d, base, seen, options) for d in diagnostics if d.filename is not None]
    json.dump(issues, stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def _issue(diagnostic: Diagnostic, base: Path | None, seen: Counter,
           options: FormatOptions) -> dict[str, Any]:
    assert diagnostic.filename is not None
    path = display_path(diagnostic.filename, base)
    key = (diagnostic.code, path, diagnostic.message)
    seen[key] += 1
    fingerprint = hashlib.blake2b("\0".join((*key, str(seen[key]))).encode(),
                                  digest_size=8).hexdigest()
    start, end = options.sources.file_span(diagnostic)  # a notebook: its JSON line
    return {
        "check_name": diagnostic.code,
        "description": f"{diagnostic.code}: {diagnostic.message}",
        "severity": SEVERITY[diagnostic.severity],
        "fingerprint": fingerprint,
        "location": {"path": path, "positions": {
            "begin": {"line": start.row, "column": start.column},
            "end": {"line": end.row, "column": end.column},
        }},
    }
