"""``--fix`` / ``--unsafe-fixes`` / ``--diff``: fix files, show or write the result.

Each file with applicable fixes is read again, fixed by :mod:`lintnn.static.engine.fixer` (every
pass re-parsed and re-linted), then either shown as a unified diff or written back by
:mod:`lintnn.static.engine.writer` (all at once; mode, owner, group and hard links kept; a
read-only file is left alone and reported). The encoding (BOM included), line endings and
trailing newline are kept, and a file that changed on disk since it was read is left alone.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from lintnn.diagnostics import Diagnostic
from lintnn.report.text import display_path
from lintnn.static.engine.cache import digest
from lintnn.static.engine.files import TooLargeToRead, read_limit, read_source
from lintnn.static.engine.fixer import Apply, Lint, apply_fixes_to_text, fix_text, is_applicable
from lintnn.static.engine.notebook import (
    NotebookError,
    apply_fixes_to_notebook,
    changed_cells,
    parse_notebook,
)
from lintnn.static.engine.run import Engine, RunResult
from lintnn.static.engine.source import SourceError, decode
from lintnn.static.engine.writer import ChangedOnDisk, NotWritten, write_fixed


@dataclass
class Document:
    """A file's text and how to lint, fix and encode it."""

    name: str
    text: str
    lint: Lint
    apply: Apply
    encode: Callable[[str], bytes]
    original_digest: str | None = None  # None: not on disk (stdin)


@dataclass
class FixOutcome:
    remaining: list[Diagnostic]
    fixed: dict[str, Counter[str]] = field(default_factory=dict)  # file -> code -> count
    changed: list[str] = field(default_factory=list)  # files changed (or, with --diff, to be)

    @property
    def fixed_count(self) -> int:
        return sum(sum(c.values()) for c in self.fixed.values())


def run_fixes(engine: Engine, result: RunResult, args: argparse.Namespace,
              stdin_text: str | None = None, out: TextIO | None = None) -> FixOutcome:
    """Fix every file of ``result``; with ``stdin_text``, fix that text and print it."""
    out = out or sys.stdout
    unsafe = bool(args.unsafe_fixes)
    outcome = FixOutcome([])
    by_file: dict[str, list[Diagnostic]] = {}
    for diagnostic in result.diagnostics:
        by_file.setdefault(diagnostic.filename or "", []).append(diagnostic)
    if stdin_text is not None and not by_file:
        by_file[str(result.files[0]) if result.files else "-"] = []
    for name, diagnostics in by_file.items():
        fixable = any(is_applicable(d.fix, unsafe) for d in diagnostics)
        if not name or (not fixable and stdin_text is None):
            outcome.remaining += diagnostics
            continue
        document = (text_document(engine, Path(name), stdin_text) if stdin_text is not None
                    else read_document(engine, Path(name)))
        if isinstance(document, str):
            _warn(f"{name}: not fixed: {document}")
            outcome.remaining += diagnostics
            continue
        # Re-lint what was just read: the positions of ``diagnostics`` are stale if the
        # file changed since the run.
        run = fix_text(document.text, document.lint, document.apply, unsafe=unsafe)
        for reason in run.dropped:
            _warn(f"{name}:{reason}")
        changed = run.text != document.text
        if stdin_text is not None and not args.diff:
            out.write(run.text)
        elif changed and args.diff:  # relative paths, as ruff prints them (`git apply -p0`)
            out.write(document_diff(display_path(name), document.text, run.text))
        elif changed:
            try:
                write_fixed(Path(name), document.encode(run.text), document.original_digest)
            except (OSError, ChangedOnDisk, NotWritten) as error:
                _warn(f"{name}: not fixed: {error}")
                outcome.remaining += diagnostics
                continue
        if changed:
            outcome.changed.append(name)
            outcome.fixed[name] = run.fixed
        # An unchanged file keeps the run's findings (cross-file ones included).
        outcome.remaining += run.remaining if changed else diagnostics
    outcome.remaining.sort(key=lambda d: d.sort_key)
    return outcome


def fixed_summary(outcome: FixOutcome, show_fixes: bool, would: bool = False) -> str:
    """``Fixed 3 errors:`` and, with ``--show-fixes``, what was fixed in each file."""
    count = outcome.fixed_count
    verb = "Would fix" if would else "Fixed"
    text = f"{verb} {count} error{'s' if count != 1 else ''}."
    if show_fixes and count:
        text = text[:-1] + ":"
        for name, counts in outcome.fixed.items():
            text += f"\n- {name}:"
            for code, number in sorted(counts.items()):
                text += f"\n    {number} x {code}"
    return text


# Documents ------------------------------------------------------------------------------

def read_document(engine: Engine, path: Path) -> Document | str:
    """The document for a file on disk, or why it cannot be fixed."""
    try:
        data = read_source(path, read_limit(engine.settings.max_file_size))
    except (OSError, TooLargeToRead) as error:
        return f"cannot read it: {getattr(error, 'strerror', None) or error}"
    if path.suffix == ".ipynb":
        return notebook_document(engine, path, data)
    try:
        decoded = decode(data)
    except SourceError as error:
        return str(error)
    encoding = decoded.encoding
    return Document(str(path), decoded.text, python_linter(engine, path), apply_fixes_to_text,
                    lambda text: text.encode(encoding), digest(data))


def text_document(engine: Engine, path: Path, text: str) -> Document | str:
    """The document for unsaved text (stdin) named ``path``."""
    if path.suffix == ".ipynb":
        document = notebook_document(engine, path, text.encode("utf-8"))
        if not isinstance(document, str):
            document.original_digest = None
        return document
    return Document(str(path), text, python_linter(engine, path), apply_fixes_to_text,
                    lambda t: t.encode("utf-8"))


def notebook_document(engine: Engine, path: Path, data: bytes) -> Document | str:
    """A notebook: fixed through its JSON text, only the changed cells' sources rewritten."""
    try:
        text = data.decode("utf-8")
        parse_notebook(text)
    except UnicodeDecodeError as error:
        return f"not valid UTF-8: {error.reason}"
    except NotebookError as error:
        return str(error)

    return Document(str(path), text, python_linter(engine, path), apply_fixes_to_notebook,
                    lambda t: t.encode("utf-8"), digest(data))


def python_linter(engine: Engine, path: Path) -> Lint:
    """The findings of a text checked as ``path`` (Python source or a notebook's JSON);
    None when it is not code lintnn analyses: Python refuses it, or it was skipped. A
    notebook cell IPython refuses is one NN001 finding among the others (no fix edits it,
    and a fix that makes another cell refused adds one, which undoes that fix)."""
    def lint(text: str) -> list[Diagnostic] | None:
        run = engine.check_source(path, text)
        raw = run.results.get(str(path))
        if run.skipped or raw is None or any(d.code == "NN001" and d.cell is None
                                             for d in raw.diagnostics):
            return None
        return run.diagnostics

    return lint


# Output ---------------------------------------------------------------------------------

def document_diff(name: str, old: str, new: str) -> str:
    """A unified diff; for a notebook, one per changed cell, of the cell's code."""
    if not name.endswith(".ipynb"):
        return unified_diff(name, old, new)
    return "".join(unified_diff(f"{name}:cell {number}", before, after)
                   for number, before, after in changed_cells(old, new))


def unified_diff(name: str, old: str, new: str) -> str:
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 fromfile=name, tofile=name)
    missing = "\n\\ No newline at end of file\n"
    return "".join(line if line.endswith(("\n", "\r")) else line + missing for line in lines)


def _warn(message: str) -> None:
    print(f"lintnn: warning: {message}", file=sys.stderr)
