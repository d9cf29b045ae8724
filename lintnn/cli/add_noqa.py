"""``lintnn check --add-noqa``: silence every current finding with a ``# noqa: CODE`` on its
line (ruff's ``--add-noqa``), to adopt lintnn on an existing code base and fix the
backlog later.

An existing ``# noqa: ...`` gets the new codes appended; a bare ``# noqa`` already covers
everything. A line that ends inside a string or continues with a backslash cannot take a
comment: it is left alone and counted. Files are written as ``--fix`` writes them
(atomically, encoding and line endings kept; notebooks only in the cells' sources).
"""

from __future__ import annotations

import sys
from pathlib import Path

from lintnn.cli.exits import EXIT_CLEAN
from lintnn.cli.fix import read_document
from lintnn.diagnostics import Diagnostic, Edit, Fix, Location
from lintnn.static.engine.noqa import line_ends, with_codes
from lintnn.static.engine.notebook import NotebookError, parse_notebook
from lintnn.static.engine.run import Engine, RunResult
from lintnn.static.engine.writer import ChangedOnDisk, NotWritten, write_fixed


def add_noqa(engine: Engine, result: RunResult) -> int:
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in result.diagnostics:
        # NN001 is about the whole file; NN010 is about a directive already there.
        if diagnostic.filename is not None and diagnostic.code not in ("NN001", "NN010"):
            by_file.setdefault(diagnostic.filename, []).append(diagnostic)
    added = skipped = 0
    for name, diagnostics in by_file.items():
        outcome = _add_to_file(engine, Path(name), diagnostics)
        if isinstance(outcome, str):
            print(f"lintnn: warning: {name}: no noqa added: {outcome}", file=sys.stderr)
            continue
        added += outcome[0]
        skipped += outcome[1]
    print(f"Added {added} noqa directive{'s' if added != 1 else ''}.", file=sys.stderr)
    if skipped:
        print(f"{skipped} line{'s' if skipped != 1 else ''} could not take a comment (the line "
              "ends inside a string or continues with a backslash).", file=sys.stderr)
    return EXIT_CLEAN


def _add_to_file(engine: Engine, path: Path, diagnostics: list[Diagnostic]
                 ) -> tuple[int, int] | str:
    """Add the directives to one file: (directives added, lines skipped), or why not."""
    document = read_document(engine, path)
    if isinstance(document, str):
        return document
    try:
        code = parse_notebook(document.text).text if path.suffix == ".ipynb" else document.text
    except NotebookError as error:
        return str(error)
    codes_by_row: dict[int, list[str]] = {}
    for diagnostic in diagnostics:
        row_codes = codes_by_row.setdefault(diagnostic.location.row, [])
        if diagnostic.code not in row_codes:
            row_codes.append(diagnostic.code)
    lines = code.splitlines()
    ends = line_ends(code, set(codes_by_row))
    fixes, skipped = [], 0
    for row, codes in sorted(codes_by_row.items()):
        if row > len(lines):
            continue
        edit = with_codes(lines[row - 1], ends.get(row), sorted(codes))
        if edit is None:
            end = ends.get(row)
            skipped += int(end is None or (not end.can_append and end.comment_column is None))
            continue
        start, stop, text = edit
        fixes.append(Fix("add noqa", (Edit(Location(row, start + 1), Location(row, stop + 1),
                                           text),)))
    if not fixes:
        return 0, skipped
    new_text = document.apply(document.text, fixes)
    try:
        write_fixed(path, document.encode(new_text), document.original_digest)
    except (OSError, ChangedOnDisk, NotWritten) as error:
        return str(error)
    return len(fixes), skipped
