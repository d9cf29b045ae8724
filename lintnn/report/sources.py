"""The source text behind findings, for formats that show or hash it (``full``, SARIF).

Files are read when first asked for and kept for the run; text that is not on disk
(stdin) is given up front. A file that cannot be read gives ``None``: the formats then
show the finding without its source.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

from lintnn.diagnostics import Diagnostic, Location
from lintnn.report.notebook_json import NotebookJson, json_span

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_CELL_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class Sources:
    """Lines of the checked files (and of a notebook's cells), read once."""

    def __init__(self, texts: dict[str, str] | None = None) -> None:
        self._texts: dict[str, str | None] = dict(texts or {})
        self._notebooks: dict[str, NotebookJson | None] = {}

    def text(self, filename: str) -> str | None:
        if filename not in self._texts:
            self._texts[filename] = _read(Path(filename))
        return self._texts[filename]

    def lines(self, filename: str, cell: int | None = None) -> list[str] | None:
        """The file's lines without line breaks; with ``cell``, that notebook cell's."""
        text = self.text(filename)
        if text is None:
            return None
        if cell is None:
            return _LINE_BREAK.split(text)
        try:
            source = json.loads(text)["cells"][cell - 1].get("source", "")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError):
            return None
        joined = "".join(source) if isinstance(source, list) else str(source)
        return [line.rstrip("\r\n") for line in _CELL_LINES.findall(joined)]

    def notebook(self, filename: str) -> NotebookJson | None:
        """A notebook's JSON text with its cells' strings located."""
        if filename not in self._notebooks:
            raw = self.text(filename)
            self._notebooks[filename] = NotebookJson(raw) if raw is not None else None
        return self._notebooks[filename]

    def file_span(self, diagnostic: Diagnostic) -> tuple[Location, Location]:
        """The finding's span as a viewer of the file sees it: for a notebook, on the line
        of the ``.ipynb`` JSON text that holds the code (the first line if unknown)."""
        start, end = diagnostic.location, max(diagnostic.end_location, diagnostic.location)
        if diagnostic.cell is None or diagnostic.filename is None:
            return start, end
        notebook = self.notebook(diagnostic.filename)
        span = json_span(notebook, diagnostic) if notebook is not None else None
        return span if span is not None else (Location(1, 1), Location(1, 1))

    def line(self, filename: str, row: int, cell: int | None = None) -> str | None:
        lines = self.lines(filename, cell)
        return lines[row - 1] if lines is not None and 0 < row <= len(lines) else None


def _read(path: Path) -> str | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if path.suffix == ".ipynb":
        return data.decode("utf-8", errors="replace")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode("utf-8-sig" if encoding == "utf-8-sig" else encoding,
                           errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")
