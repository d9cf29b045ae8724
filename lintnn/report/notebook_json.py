"""Where a notebook cell's code lies in the ``.ipynb`` file itself.

A finding in a notebook is located in its cell (cell, row, column). Tools that show the
file (code scanning, a SARIF viewer) need the place in the JSON text instead: the line of
the string in ``cells[i].source`` that holds that code, and the column inside that string
literal, escapes counted as written. One pass over the JSON tokens, without recursion.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass

from lintnn.diagnostics import Diagnostic, Location

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+|\s+', re.S)
_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\.", re.S)
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


@dataclass(frozen=True)
class Segment:
    """One string of a cell's ``source``: its decoded text and where its literal starts."""

    text: str
    offset: int  # offset of the opening quote in the JSON text
    literal: str  # the literal as written, quotes included


class NotebookJson:
    """The code cells of a notebook's JSON text, as located strings."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", raw)]
        self.cells = _source_segments(raw)

    def position(self, cell: int, row: int, column: int) -> tuple[int, int] | None:
        """1-based (line, column) in the JSON text of 1-based (row, column) in a cell."""
        segments = self.cells.get(cell - 1)
        if not segments:
            return None
        lines = _LINES.findall("".join(s.text for s in segments))
        if not 1 <= row <= len(lines) + 1:
            return None
        offset = sum(len(line) for line in lines[: row - 1]) + column - 1
        for segment in segments:
            if offset < len(segment.text) or segment is segments[-1]:
                return self._in_literal(segment, min(offset, len(segment.text)))
            offset -= len(segment.text)
        return None

    def _in_literal(self, segment: Segment, decoded: int) -> tuple[int, int]:
        """The JSON position of the ``decoded``-th character of a string literal."""
        raw_index, count, body = 1, 0, segment.literal
        while count < decoded and raw_index < len(body) - 1:
            escape = _ESCAPE.match(body, raw_index)
            if escape is None:
                raw_index += 1
                count += 1
                continue
            text = escape.group(0)
            high = text.startswith("\\u") and 0xD800 <= int(text[2:], 16) < 0xDC00
            raw_index = escape.end()
            if high and body.startswith("\\u", raw_index):  # a surrogate pair: one character
                raw_index += 6
            count += 1
        absolute = segment.offset + raw_index
        line = bisect.bisect_right(self._line_starts, absolute) - 1
        return line + 1, absolute - self._line_starts[line] + 1


def json_span(notebook: NotebookJson, diagnostic: Diagnostic) -> tuple[Location, Location] | None:
    """A notebook finding's span in the notebook's JSON text (1-based lines and columns)."""
    within = diagnostic.extra.get("cell_location")
    if not within or diagnostic.cell is None:
        return None
    start, end = diagnostic.location, max(diagnostic.end_location, diagnostic.location)
    shift = within["row"] - start.row  # concatenated rows -> rows of the cell
    first = notebook.position(diagnostic.cell, within["row"], within["column"])
    last = notebook.position(diagnostic.cell, end.row + shift, end.column)
    if first is None:
        return None
    begin = Location(*first)
    return begin, max(Location(*last), begin) if last is not None else begin


def _source_segments(raw: str) -> dict[int, list[Segment]]:
    """0-based cell index -> the strings of its ``source`` (one string or a list)."""
    found: dict[int, list[Segment]] = {}
    # Each open container: [is_object, key or index, expecting a key].
    stack: list[list] = []
    for token in _TOKEN.finditer(raw):
        text = token.group(0)
        first = text[0]
        if first.isspace():
            continue
        if first in "{[":
            stack.append([first == "{", None if first == "{" else 0, first == "{"])
            continue
        if first in "}]":
            if stack:
                stack.pop()
            continue
        if first == ",":
            if stack:
                top = stack[-1]
                if top[0]:
                    top[2] = True
                else:
                    top[1] += 1
            continue
        if first == ":":
            continue
        if stack and stack[-1][0] and stack[-1][2]:  # an object key
            stack[-1][1] = json.loads(text) if first == '"' else text
            stack[-1][2] = False
            continue
        if first == '"':
            cell = _cell_of_source(stack)
            if cell is not None:
                found.setdefault(cell, []).append(Segment(json.loads(text), token.start(), text))
    return found


def _cell_of_source(stack: list[list]) -> int | None:
    """The cell index when the stack is at ``cells[i].source`` or ``cells[i].source[j]``."""
    if len(stack) not in (3, 4) or (len(stack) == 4 and stack[3][0]):
        return None
    (top_is_object, top_key, _), (cells_is_object, index, _), (cell_is_object, key, _) = \
        stack[:3]
    if top_is_object and top_key == "cells" and not cells_is_object and cell_is_object \
            and key == "source" and isinstance(index, int):
        return index
    return None
