"""``--statistics``: how many findings of each code, as text or (with
``--output-format json``) as ruff's JSON list."""

from __future__ import annotations

import json
from collections import Counter
from typing import TextIO

from lintnn.diagnostics import Diagnostic


def rows(diagnostics: list[Diagnostic]) -> list[dict[str, object]]:
    counts = Counter((d.code, d.rule) for d in diagnostics)
    fixable = Counter(d.code for d in diagnostics if d.fix is not None)
    return [{"code": code, "name": rule, "count": count, "fixable": fixable[code] > 0,
             "fixable_count": fixable[code]}
            for (code, rule), count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def write_json(diagnostics: list[Diagnostic], stream: TextIO) -> None:
    json.dump(rows(diagnostics), stream, indent=2)
    stream.write("\n")
