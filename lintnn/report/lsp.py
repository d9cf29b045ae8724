"""``Diagnostic`` -> LSP diagnostic: 1-based code-point spans to 0-based LSP positions.

lintnn counts columns in code points; LSP clients count in the negotiated position
encoding (UTF-16 code units unless the client asked for another), so a line with
non-ASCII text before the finding needs its prefix re-measured.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsprotocol import types

from lintnn.diagnostics import Diagnostic, Location, Severity

SOURCE = "lintnn"

SEVERITIES = {
    Severity.ERROR: types.DiagnosticSeverity.Error,
    Severity.WARNING: types.DiagnosticSeverity.Warning,
    Severity.INFO: types.DiagnosticSeverity.Information,
}

# LSP (and libcst) line breaks; str.splitlines would also split on \f, \v, \x1c, ...
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def split_lines(text: str) -> list[str]:
    """The document's lines as the client numbers them, without their line breaks."""
    return _LINE_BREAK.split(text)


def code_units(text: str, encoding: str = types.PositionEncodingKind.Utf16) -> int:
    """The length of ``text`` in the client's position encoding."""
    if encoding == types.PositionEncodingKind.Utf32 or text.isascii():
        return len(text)
    if encoding == types.PositionEncodingKind.Utf8:
        return len(text.encode("utf-8", "surrogatepass"))
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def position(
    lines: Sequence[str], location: Location, encoding: str = types.PositionEncodingKind.Utf16
) -> types.Position:
    """A 1-based (row, code-point column) location as a 0-based LSP position (clamped)."""
    if not lines:
        return types.Position(0, 0)
    line_index = min(max(location.row - 1, 0), len(lines) - 1)
    line = lines[line_index]
    column = min(max(location.column - 1, 0), len(line))
    return types.Position(line_index, code_units(line[:column], encoding))


def lsp_range(
    lines: Sequence[str], start: Location, end: Location,
    encoding: str = types.PositionEncodingKind.Utf16,
) -> types.Range:
    begin = position(lines, start, encoding)
    finish = position(lines, max(start, end), encoding)
    return types.Range(begin, finish)


def to_lsp(
    diagnostic: Diagnostic, lines: Sequence[str],
    encoding: str = types.PositionEncodingKind.Utf16,
) -> types.Diagnostic:
    """One lintnn finding as an LSP diagnostic (code, rule page link, severity, span)."""
    return types.Diagnostic(
        range=lsp_range(lines, diagnostic.location, diagnostic.end_location, encoding),
        message=diagnostic.message,
        severity=SEVERITIES[diagnostic.severity],
        code=diagnostic.code,
        code_description=types.CodeDescription(href=diagnostic.url) if diagnostic.url else None,
        source=SOURCE,
        data={"rule": diagnostic.rule, "fixable": diagnostic.fix is not None},
    )


def to_lsp_all(
    diagnostics: Sequence[Diagnostic], text: str,
    encoding: str = types.PositionEncodingKind.Utf16,
) -> list[types.Diagnostic]:
    lines = split_lines(text)
    return [to_lsp(diagnostic, lines, encoding) for diagnostic in diagnostics]
