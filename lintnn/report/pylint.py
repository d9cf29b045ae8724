"""``pylint``: ``path:line: [CODE] message``, the format pylint's parsers read."""

from __future__ import annotations

from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report.options import FormatOptions
from lintnn.report.text import display_path


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    for diagnostic in diagnostics:
        if diagnostic.filename is not None:
            row = options.sources.file_span(diagnostic)[0].row  # a notebook: its JSON line
            where = f"{display_path(diagnostic.filename, options.cwd)}:{row}"
        else:
            where = diagnostic.source or diagnostic.module or "<runtime>"
        stream.write(f"{where}: [{diagnostic.code}] {diagnostic.message}\n")
