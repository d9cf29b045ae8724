"""``concise``: ``path:line:col: CODE message``, one line per finding, colored on a terminal,
then a summary (``text`` is its older name). The helpers are shared by the human formats."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from lintnn.diagnostics import Applicability, Diagnostic, Severity

if TYPE_CHECKING:
    from lintnn.report.options import FormatOptions

_COLORS = {Severity.ERROR: "31", Severity.WARNING: "33", Severity.INFO: "36"}


def display_path(filename: str, cwd: Path | None = None) -> str:
    """Relative to the working directory when the file is below it, else as given."""
    path = Path(filename).absolute()
    base = (cwd or Path.cwd()).absolute()
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return filename


def paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def severity_color(diagnostic: Diagnostic) -> str:
    return _COLORS[diagnostic.severity]


def location(diagnostic: Diagnostic, options: FormatOptions) -> str:
    if diagnostic.filename is None:
        return diagnostic.module or "<runtime>"
    path = display_path(diagnostic.filename, options.cwd)
    row, column = diagnostic.location.row, diagnostic.location.column
    if diagnostic.cell is not None:
        # ``location`` is the row in the notebook's concatenated code; show the cell's own.
        within = diagnostic.extra.get("cell_location", {"row": row, "column": column})
        return f"{path}:cell {diagnostic.cell}:line {within['row']}:{within['column']}"
    return f"{path}:{row}:{column}"


def format_line(diagnostic: Diagnostic, options: FormatOptions) -> str:
    color = options.color
    where = paint(location(diagnostic, options), "1", color)
    code = paint(diagnostic.code, _COLORS[diagnostic.severity] + ";1", color)
    marker = " [*]" if applicable(diagnostic, options.unsafe_fixes) else ""
    line = f"{where}: {code}{marker} {diagnostic.message}"
    if diagnostic.filename is None and diagnostic.source:
        line += f" ({diagnostic.source})"
    return line


def applicable(diagnostic: Diagnostic, unsafe: bool) -> bool:
    fix = diagnostic.fix
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def summary(diagnostics: list[Diagnostic], unsafe: bool = False) -> str:
    if not diagnostics:
        return "All checks passed!"
    counts = Counter(d.severity for d in diagnostics)
    parts = [
        f"{counts[s]} {s.value}{'s' if counts[s] != 1 and s is not Severity.INFO else ''}"
        for s in (Severity.ERROR, Severity.WARNING, Severity.INFO) if counts[s]
    ]
    total = len(diagnostics)
    text = f"Found {total} problem{'s' if total != 1 else ''} ({', '.join(parts)})."
    fixable = sum(1 for d in diagnostics if applicable(d, unsafe))
    hidden = sum(1 for d in diagnostics if d.fix is not None) - fixable
    flag = "`--fix --unsafe-fixes`" if unsafe else "`--fix`"
    if fixable:
        text += f"\n[*] {fixable} fixable with the {flag} option."
    if hidden:
        text += (f"\n{hidden} hidden fix{'es' if hidden != 1 else ''} can be enabled with "
                 "the `--unsafe-fixes` option.")
    return text


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    for diagnostic in diagnostics:
        stream.write(format_line(diagnostic, options) + "\n")
        if options.show_fixes and diagnostic.fix is not None:
            stream.write(f"    fix: {diagnostic.fix.message}\n")
    if not options.quiet:
        stream.write(summary(diagnostics, options.unsafe_fixes) + "\n")
