"""Jupyter notebooks: the code cells linted as one program, findings mapped back to cells.

Each code cell is first turned into the Python IPython runs for it
(:mod:`lintnn.static.engine.ipython`: magics, shell escapes, help, automagic, the cell's
common indentation), row for row, and compiled alone as IPython compiles it. A cell
IPython itself would refuse gives one NN001 finding at its own cell and line and is left
out of the program; the other cells are concatenated in order (a later cell sees the names
of an earlier one, as when the notebook is run top to bottom), so one broken cell hides
nothing else. A refused cell's text is kept as unread code of the program
(``FileContext.unread``): a rule that reports something missing stays silent where such a
cell may hold it (``Rule.absent``), and a name only it binds is unknown. A finding keeps
its row in the concatenated source (``location``) and gets the 1-based index of its cell
among all cells (``cell``, as Jupyter and VS Code count them) and its place in that cell
(``extra["cell_location"]``).

Fixes are applied to the original cell sources; only the ``source`` of the changed cells is
rewritten, never outputs or metadata, and the JSON keeps its indentation and key order.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lintnn.config import DEFAULT_MAX_FILE_SIZE
from lintnn.diagnostics import Diagnostic, Edit, Fix, Location
from lintnn.static.engine.analyze import FileResult, analyze_text, error_diagnostic
from lintnn.static.engine.fixer import apply_fixes_to_text
from lintnn.static.engine.ipython import CellError, bound_names, line_ending, read_cell, split_rows
from lintnn.static.engine.safe_parse import MAX_NESTING, Verdict, deepest
from lintnn.static.rules.base import Rule

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


class NotebookError(Exception):
    """A file that is not a notebook we can read; becomes an NN001 finding."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row, self.column = row, column


@dataclass(frozen=True)
class CellSpan:
    """Where one code cell lies in the concatenated source."""

    cell: int  # 1-based index among all cells
    first_row: int  # 1-based row of its first line in the concatenated source
    rows: int
    masked: frozenset[int]  # rows (within the cell) whose text is not the cell's own
    removed: tuple[int, ...] = ()  # per row: characters of indentation IPython removes
    error: CellError | None = None  # why IPython refuses the cell (then it is all masked)

    def column(self, row: int, column: int) -> int:
        """The column in the cell of a column of the program's row ``row`` (of the cell)."""
        return column + (self.removed[row - 1] if row <= len(self.removed) else 0)


@dataclass
class Notebook:
    data: dict[str, Any]
    text: str  # the code cells as one Python program
    spans: list[CellSpan] = field(default_factory=list)
    deepest: tuple[int, int] = (0, 1)  # (depth, program row) of the most nested expression

    def locate(self, row: int) -> tuple[CellSpan, int] | None:
        """The cell holding a concatenated row, and the row within that cell."""
        for span in self.spans:
            if span.first_row <= row < span.first_row + span.rows:
                return span, row - span.first_row + 1
        return None


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def parse_notebook(raw: bytes | str) -> Notebook:
    """Read a notebook's JSON and build its Python program."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise NotebookError(f"invalid notebook: not valid JSON: {error.msg}",
                            error.lineno, error.colno) from None
    except UnicodeDecodeError as error:
        raise NotebookError(f"invalid notebook: not valid UTF-8: {error.reason}") from None
    except RecursionError:
        raise NotebookError("invalid notebook: its JSON is nested too deeply to read "
                            "(Python's recursion limit)") from None
    except (ValueError, MemoryError) as error:  # e.g. an integer of more than 4,300 digits
        raise NotebookError(f"invalid notebook: cannot read its JSON: {error}") from None
    cells = data.get("cells") if isinstance(data, dict) else None
    if not isinstance(cells, list) or not all(isinstance(c, dict) for c in cells):
        raise NotebookError("invalid notebook: no list of cells (nbformat 4 is supported)")
    notebook = Notebook(data, "")
    parts: list[str] = []
    bound = _Bound()
    row = 1
    for number, cell in enumerate(cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if not isinstance(source, str) and not (
                isinstance(source, list) and all(isinstance(line, str) for line in source)):
            raise NotebookError(f"invalid notebook: the source of cell {number} is not text")
        span, python = _cell_program(number, row, cell_source(cell), bound, notebook)
        notebook.spans.append(span)
        parts.extend(python)
        row += span.rows
    notebook.text = "".join(parts)
    return notebook


def _cell_program(number: int, row: int, source: str, bound: _Bound,
                  notebook: Notebook) -> tuple[CellSpan, list[str]]:
    """One cell's span and rows of Python; blank rows for a cell IPython refuses."""
    try:
        python, tree = read_cell(source, bound)
    except CellError as error:
        rows = split_rows(source)
        blank = [line_ending(line) for line in rows]
        return CellSpan(number, row, len(rows), frozenset(range(1, len(rows) + 1)),
                        error=error), blank
    bound.trees.append(tree)
    if len(python.text) > MAX_NESTING // 2:  # a shorter cell cannot be nested that deep
        depth, line = deepest(tree)
        if depth > notebook.deepest[0]:
            notebook.deepest = (depth, row + line - 1)
    return CellSpan(number, row, len(python.lines), python.rewritten, python.removed), \
        list(python.lines)


class _Bound:
    """The names earlier cells bound, found only when a cell asks (rarely: a one-line
    cell that may call a magic without ``%``)."""

    def __init__(self) -> None:
        self.trees: list[ast.Module] = []
        self._names: set[str] = set()

    def __contains__(self, name: object) -> bool:
        while self.trees:
            self._names |= bound_names(self.trees.pop(0))
        return name in self._names


# Analysis -------------------------------------------------------------------------------

def analyze_notebook(path: Path, raw: bytes, rules: list[Rule],
                     max_size: int = DEFAULT_MAX_FILE_SIZE) -> FileResult:
    """Check a notebook; the findings carry their cell."""
    name = str(path)
    try:
        notebook = parse_notebook(raw)
    except NotebookError as error:
        return FileResult(name, [error_diagnostic(name, str(error), error.row, error.column)])
    verdict = Verdict(None, deepest=notebook.deepest)  # every cell was judged on its own
    cells = notebook.data["cells"]
    unread = tuple(cell_source(cells[span.cell - 1]) for span in notebook.spans if span.error)
    result = analyze_text(path, notebook.text, rules, module_name=path.stem,
                          syntax_check=lambda _text: verdict, max_size=max_size,
                          unread=unread)
    result.diagnostics = [with_cell(notebook, d) for d in result.diagnostics]
    result.diagnostics += [cell_error(name, span) for span in notebook.spans if span.error]
    result.conditional = [(with_cell(notebook, d), req) for d, req in result.conditional]
    return result


def cell_error(path: str, span: CellSpan) -> Diagnostic:
    """NN001 at the cell and line where IPython refuses the cell."""
    assert span.error is not None
    error = span.error
    row = span.first_row + min(error.row, max(span.rows, 1)) - 1  # a row of this cell
    diagnostic = error_diagnostic(path, error.message, row, error.column)
    return replace(diagnostic, cell=span.cell,
                   extra={"cell_location": {"row": error.row, "column": error.column}})


def with_cell(notebook: Notebook, diagnostic: Diagnostic) -> Diagnostic:
    found = notebook.locate(diagnostic.location.row)
    if found is None:
        return diagnostic
    span, row = found
    column = span.column(row, diagnostic.location.column)
    return replace(diagnostic, cell=span.cell,
                   extra={**diagnostic.extra, "cell_location": {"row": row, "column": column}})


# Fixing ---------------------------------------------------------------------------------

def apply_fixes_to_notebook(raw: str, fixes: list[Fix]) -> str:
    """Apply fixes (in concatenated-source positions) to the cells of a notebook's JSON."""
    notebook = parse_notebook(raw)
    per_cell: dict[int, list[Fix]] = {}
    for fix in fixes:
        moved = _to_cell(notebook, fix)
        if moved is not None:
            per_cell.setdefault(moved[0], []).append(moved[1])
    if not per_cell:
        return raw
    cells = notebook.data["cells"]
    for number, cell_fixes in per_cell.items():
        cell = cells[number - 1]
        fixed = apply_fixes_to_text(cell_source(cell), cell_fixes)
        keep_list = isinstance(cell.get("source"), list)
        cell["source"] = _LINES.findall(fixed) if keep_list else fixed
    return dump_like(notebook.data, raw)


def _to_cell(notebook: Notebook, fix: Fix) -> tuple[int, Fix] | None:
    """The fix in one cell's coordinates; ``None`` if it spans cells or masked lines."""
    cells, edits = set(), []
    for edit in fix.edits:
        start, end = notebook.locate(edit.start.row), notebook.locate(edit.end.row)
        if start is None or end is None or start[0] is not end[0]:
            return None
        span = start[0]
        if any(row in span.masked or span.column(row, 0) for row in
               range(start[1], end[1] + 1)):
            return None  # IPython syntax, or indentation IPython removes
        cells.add(span.cell)
        edits.append(Edit(Location(start[1], edit.start.column),
                          Location(end[1], edit.end.column), edit.content))
    if len(cells) != 1:
        return None
    return cells.pop(), Fix(fix.message, tuple(edits), fix.applicability)


def changed_cells(old: str, new: str) -> list[tuple[int, str, str]]:
    """``(cell number, old source, new source)`` of the cells whose source differs."""
    before, after = json.loads(old)["cells"], json.loads(new)["cells"]
    return [(number, cell_source(a), cell_source(b))
            for number, (a, b) in enumerate(zip(before, after, strict=True), start=1)
            if cell_source(a) != cell_source(b)]


def dump_like(data: dict[str, Any], original: str) -> str:
    """Serialise ``data`` with the indentation, escaping and final newline of ``original``."""
    indent = re.search(r"\n([ \t]+)\S", original)
    ascii_only = original.isascii()
    text = json.dumps(data, indent=indent.group(1) if indent else 1,
                      ensure_ascii=ascii_only, separators=(",", ": "))
    return text + "\n" if original.endswith("\n") else text
