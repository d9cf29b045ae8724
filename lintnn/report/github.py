"""``github``: GitHub Actions workflow commands, shown as annotations on the pull request.

``::error title=lintnn (NN101),file=a.py,line=3,col=5,endLine=3,endColumn=9::message``.
Values are escaped as the workflow-commands runner expects: ``%``, CR and LF everywhere,
and ``:`` and ``,`` too inside properties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from lintnn.diagnostics import Diagnostic, Severity
from lintnn.report.text import display_path

if TYPE_CHECKING:
    from lintnn.report.options import FormatOptions

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diagnostic: Diagnostic, options: FormatOptions) -> str:
    properties = [("title", f"lintnn ({diagnostic.code})")]
    message = f"{diagnostic.code} {diagnostic.message}"
    if diagnostic.filename is not None:
        path = display_path(diagnostic.filename, options.cwd)
        properties.append(("file", path))
        cell_location = diagnostic.extra.get("cell_location")
        if diagnostic.cell is not None and cell_location:
            # Rows of a notebook's code are not rows of its JSON file: say where in words.
            message = (f"cell {diagnostic.cell}:line {cell_location['row']}:"
                       f"{cell_location['column']}: {message}")
        else:
            start, end = diagnostic.location, diagnostic.end_location
            properties += [("line", str(start.row)), ("col", str(start.column)),
                           ("endLine", str(max(end, start).row)),
                           ("endColumn", str(max(end, start).column))]
    elif diagnostic.module is not None:
        where = diagnostic.module or "<root>"
        message = f"{where}: {message}" + (f" ({diagnostic.source})" if diagnostic.source else "")
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    return f"::{_COMMAND[diagnostic.severity]} {rendered}::{escape_data(message)}"


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    for diagnostic in diagnostics:
        stream.write(annotation(diagnostic, options) + "\n")
