"""The settings applied to one file's findings once the run has them all: selection,
per-file ignores, ``# noqa`` (and ``NN010`` for directives that suppress nothing),
``unfixable`` and the rule pages' ``docs-url``."""

from __future__ import annotations

from pathlib import Path

from lintnn.config import Settings
from lintnn.diagnostics import BUILTIN_CODES, Diagnostic, Edit, Fix, Location, rule_url
from lintnn.static.engine.noqa import (
    NoqaMap,
    directive_span,
    file_suppressed,
    is_suppressed,
    unused_codes,
    without_codes,
)
from lintnn.static.rules import all_rules

UNUSED_NOQA = BUILTIN_CODES["NN010"]


def finish_file(key: str, candidates: list[Diagnostic], noqa: NoqaMap, settings: Settings,
                text: str | None = None) -> list[Diagnostic]:
    """The findings of one file that the settings keep, adjusted to them.

    ``text`` is the file's code (a notebook's concatenated cells), when at hand: the fix
    of an ``NN010`` finding needs the line of its directive; without it the file is read.
    """
    path = Path(key)
    used: dict[int, set[str]] = {}
    kept: list[Diagnostic] = []
    for diagnostic in candidates:
        if not settings.is_enabled(diagnostic.code):
            continue
        if settings.ignored_for_file(path, diagnostic.code):
            continue
        row = diagnostic.location.row
        if not settings.ignore_noqa and is_suppressed(noqa, row, diagnostic.code):
            used.setdefault(row, set()).add(diagnostic.code)
            continue
        kept.append(diagnostic)
    code = UNUSED_NOQA.code
    if noqa and not settings.ignore_noqa and settings.is_enabled(code) \
            and not settings.ignored_for_file(path, code) and not file_suppressed(noqa, code):
        kept += [unused_noqa(key, row, codes, settings, text)
                 for row, codes in unused_codes(noqa, used).items()]
    return [adjusted(d, settings) for d in kept]


def adjusted(diagnostic: Diagnostic, settings: Settings) -> Diagnostic:
    """``unfixable`` codes lose their fix; ``docs-url`` moves the rule page's link."""
    changes: dict[str, object] = {}
    if diagnostic.fix is not None and not settings.is_fixable(diagnostic.code):
        changes["fix"] = None
    if settings.docs_url:
        changes["url"] = rule_url(diagnostic.code, settings.docs_url)
    return diagnostic.with_changes(**changes) if changes else diagnostic


def unused_noqa(key: str, row: int, codes: list[str], settings: Settings,
                text: str | None) -> Diagnostic:
    """One ``NN010`` finding: which codes are unused, not enabled, or unknown (ruff's RUF100
    wording), with the fix that removes them."""
    known = {*all_rules(), *BUILTIN_CODES}
    kinds = {"unused": [c for c in codes if c in known and settings.is_enabled(c)],
             "non-enabled": [c for c in codes if c in known and not settings.is_enabled(c)],
             "unknown": [c for c in codes if c not in known]}
    detail = "; ".join(f"{kind}: {', '.join(f'`{c}`' for c in listed)}"
                       for kind, listed in kinds.items() if listed)
    line = _line(key, row, text) or ""
    span, edit = directive_span(line), without_codes(line, set(codes))
    start = end = Location(row, 1)
    if span is not None:
        start, end = Location(row, span[0] + 1), Location(row, span[1] + 1)
    fix = None
    if edit is not None:
        message = (f"Remove {', '.join(codes)} from the `noqa` directive" if edit[2]
                   else "Remove unused `noqa` directive")
        fix = Fix(message, (Edit(Location(row, edit[0] + 1), Location(row, edit[1] + 1),
                                 edit[2]),))
    return Diagnostic(UNUSED_NOQA.code, UNUSED_NOQA.name, UNUSED_NOQA.severity,
                      f"Unused `noqa` directive ({detail})", filename=key, location=start,
                      end_location=end, fix=fix)


def _line(key: str, row: int, text: str | None) -> str | None:
    if text is None:
        text = _code_of(Path(key))
    if text is None:
        return None
    lines = text.splitlines()
    return lines[row - 1] if 0 < row <= len(lines) else None


def _code_of(path: Path) -> str | None:
    """A file's code as the run analysed it (a notebook's cells as one program)."""
    from lintnn.static.engine.notebook import NotebookError, parse_notebook
    from lintnn.static.engine.source import SourceError, decode

    try:
        data = path.read_bytes()
        if path.suffix == ".ipynb":
            return parse_notebook(data).text
        return decode(data).text
    except (OSError, SourceError, NotebookError):
        return None
