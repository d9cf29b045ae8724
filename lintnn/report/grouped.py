"""``grouped``: the findings under the name of their file, as ruff groups them::

    train.py:
      3:39 NN401 BatchNorm directly after Dropout: ...
      7:12 NN101 [*] softmax output is passed to CrossEntropyLoss ...
"""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report.options import FormatOptions
from lintnn.report.text import applicable, display_path, paint, severity_color, summary


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    color = options.color
    def by_file(d: Diagnostic) -> str:
        return d.filename or d.source or ""

    for filename, group in groupby(sorted(diagnostics, key=lambda d: (by_file(d), d.sort_key)),
                                   key=by_file):
        items = list(group)
        title = display_path(filename, options.cwd) if items[0].filename else (filename or
                                                                               "<runtime>")
        stream.write(paint(f"{title}:", "1", color) + "\n")
        places = [_place(d) for d in items]
        row_width = max(len(p[0]) for p in places)
        column_width = max(len(p[1]) for p in places)
        for diagnostic, (row, column) in zip(items, places, strict=True):
            code = paint(diagnostic.code, severity_color(diagnostic) + ";1", color)
            marker = " [*]" if applicable(diagnostic, options.unsafe_fixes) else ""
            where = f"{row:>{row_width}}:{column:<{column_width}}" if row else \
                (diagnostic.module or "<root>")
            stream.write(f"  {where} {code}{marker} {diagnostic.message}\n")
        stream.write("\n")
    if not options.quiet:
        stream.write(summary(diagnostics, options.unsafe_fixes) + "\n")


def _place(diagnostic: Diagnostic) -> tuple[str, str]:
    """Row and column as shown: a notebook's are ``cell 3:line 2`` and the cell's column."""
    if diagnostic.filename is None:
        return "", ""
    within = diagnostic.extra.get("cell_location")
    if diagnostic.cell is not None and within:
        return f"cell {diagnostic.cell}:line {within['row']}", str(within["column"])
    return str(diagnostic.location.row), str(diagnostic.location.column)
