"""``full`` (the default): each finding with its source lines and a caret under the span,
drawn as ruff draws it::

    NN401 BatchNorm directly after Dropout: ...
     --> train.py:3:39
      |
    1 | import torch.nn as nn
    2 |
    3 | head = nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(8))
      |                                       ^^^^^^^^^^^^^^^^^
      |
    help: <the fix, when there is one>

Up to two lines of context on each side (blank ones trimmed); a span over several lines
is drawn with a bracket in the margin. Columns are display cells: a tab is four, a wide
(CJK) character two. Without the source (a file gone since), the header alone is printed.
"""

from __future__ import annotations

import unicodedata
from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report.options import FormatOptions
from lintnn.report.text import applicable, location, paint, severity_color, summary

CONTEXT = 2
TAB = "    "


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    for diagnostic in diagnostics:
        stream.write(render(diagnostic, options) + "\n")
    if not options.quiet:
        stream.write(summary(diagnostics, options.unsafe_fixes) + "\n")


def render(diagnostic: Diagnostic, options: FormatOptions) -> str:
    color = options.color
    code = paint(diagnostic.code, severity_color(diagnostic) + ";1", color)
    marker = " [*]" if applicable(diagnostic, options.unsafe_fixes) else ""
    out = [f"{code}{marker} {paint(diagnostic.message, '1', color)}"]
    frame = _frame(diagnostic, options)
    width = len(str(frame[-1][0])) if frame else 0
    if diagnostic.filename is not None:
        out.append(f"{' ' * width}--> {location(diagnostic, options)}")
    elif diagnostic.module is not None or diagnostic.source:
        where = diagnostic.module or "<root>"
        out.append(f"{' ' * width}--> {where}" + (f" ({diagnostic.source})"
                                                   if diagnostic.source else ""))
    if frame:
        out += _draw(frame, diagnostic, width, color)
    if diagnostic.fix is not None:
        out.append(f"{paint('help', '1;36', color)}: {diagnostic.fix.message}")
    return "\n".join(out) + "\n"


def _frame(diagnostic: Diagnostic, options: FormatOptions) -> list[tuple[int, str]]:
    """The (row, text) lines to show: the span and its context, in the file's rows (for a
    notebook, the cell's rows)."""
    if diagnostic.filename is None:
        return []
    start, end = diagnostic.location, max(diagnostic.end_location, diagnostic.location)
    row, last = start.row, end.row
    cell_location = diagnostic.extra.get("cell_location")
    if diagnostic.cell is not None and cell_location:
        last = cell_location["row"] + last - row
        row = cell_location["row"]
    lines = options.sources.lines(diagnostic.filename, diagnostic.cell)
    if lines is None or not 0 < row <= len(lines):
        return []
    last = min(last, len(lines))
    if end.column == 1 and last > row:  # a span ending at the start of a line ends before it
        last -= 1
    first_shown = max(1, row - CONTEXT)
    last_shown = min(len(lines), last + CONTEXT)
    while first_shown < row and not lines[first_shown - 1].strip():
        first_shown += 1
    while last_shown > last and not lines[last_shown - 1].strip():
        last_shown -= 1
    return [(number, lines[number - 1]) for number in range(first_shown, last_shown + 1)]


def _draw(frame: list[tuple[int, str]], diagnostic: Diagnostic, width: int,
          color: bool) -> list[str]:
    start, end = diagnostic.location, max(diagnostic.end_location, diagnostic.location)
    cell_location = diagnostic.extra.get("cell_location")
    first = cell_location["row"] if diagnostic.cell is not None and cell_location else start.row
    last = first + end.row - start.row
    end_column = end.column
    if end.column == 1 and last > first:
        last -= 1
        end_column = len(dict(frame).get(last, "")) + 2  # through the end of the line before
    start_column = cell_location["column"] if first != start.row and cell_location \
        else start.column
    gutter = " " * width + " |"
    tint = severity_color(diagnostic)
    out = [gutter]
    multiline = last > first
    for number, text in frame:
        shown = _expand(text)
        if not multiline:
            out.append(f"{number:>{width}} | {shown}".rstrip())
            if number == first:
                left = _cells(text[: start_column - 1])
                span = max(1, _cells(text[start_column - 1: end_column - 1]))
                out.append(f"{gutter} {' ' * left}{paint('^' * span, tint + ';1', color)}")
            continue
        inside = first < number <= last
        out.append(f"{number:>{width}} | {'| ' if inside else '  '}{shown}".rstrip())
        if number == first:
            left = _cells(text[: start_column - 1])
            out.append(f"{gutter}  {paint('_' * (left + 1) + '^', tint + ';1', color)}")
        elif number == last:
            reach = max(1, _cells(text[: max(end_column - 2, 0)]) + 1)
            out.append(f"{gutter} {paint('|' + '_' * reach + '^', tint + ';1', color)}")
    if frame[-1][0] > last:  # ruff closes the frame only after context lines
        out.append(gutter)
    return out


def _expand(text: str) -> str:
    return text.replace("\t", TAB)


def _cells(text: str) -> int:
    """The display width of ``text``: tabs are four cells, wide characters two."""
    width = 0
    for char in text:
        if char == "\t":
            width += len(TAB)
        elif unicodedata.combining(char):
            continue
        else:
            width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width
