"""Applying fixes to a text: non-overlapping edits, several passes, each pass verified.

A *document kind* (plain Python, a notebook) supplies two functions over the file's text:
``lint(text)`` (the findings, or ``None`` when the text no longer parses) and
``apply(text, fixes)`` (the text with the given fixes applied). :func:`fix_text` then
runs ruff's loop: apply every applicable fix that does not overlap an earlier one, re-lint,
repeat until nothing fixable remains. A fix that makes the code invalid, or that leaves
more findings than it removed, is dropped and reported in :attr:`FixRun.dropped`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from lintnn.diagnostics import Applicability, Diagnostic, Edit, Fix, Location

MAX_PASSES = 10

Lint = Callable[[str], "list[Diagnostic] | None"]
Apply = Callable[[str, "list[Fix]"], str]

_NEWLINE = re.compile(r"\r\n|\r|\n")


@dataclass
class FixRun:
    """The outcome of :func:`fix_text`."""

    text: str
    remaining: list[Diagnostic]
    fixed: Counter[str] = field(default_factory=Counter)  # code -> number fixed
    dropped: list[str] = field(default_factory=list)  # why a fix was not applied

    @property
    def fixed_count(self) -> int:
        return sum(self.fixed.values())


def is_applicable(fix: Fix | None, unsafe: bool) -> bool:
    return fix is not None and (unsafe or fix.applicability is Applicability.SAFE)


def line_starts(text: str) -> list[int]:
    """Offsets where each line begins (lines end at ``\\n``, ``\\r\\n`` or ``\\r``, as libcst)."""
    return [0, *(match.end() for match in _NEWLINE.finditer(text))]


def offset(starts: list[int], location: Location, text_length: int) -> int:
    row = min(max(location.row, 1), len(starts))
    return min(starts[row - 1] + location.column - 1, text_length)


def select_non_overlapping(fixes: Iterable[Fix]) -> list[Fix]:
    """Fixes in source order, skipping any whose span touches one already taken."""
    chosen: list[Fix] = []
    taken: list[tuple[Location, Location]] = []
    for fix in sorted(fixes, key=lambda f: min(e.start for e in f.edits)):
        spans = [(e.start, e.end) for e in fix.edits]
        clash = any((s < t_end and t_start < e) or s == t_start
                    for s, e in spans for t_start, t_end in taken)
        if not clash:
            chosen.append(fix)
            taken.extend(spans)
    return chosen


def apply_fixes_to_text(text: str, fixes: list[Fix]) -> str:
    """Apply non-overlapping fixes to ``text`` (edit positions refer to ``text``)."""
    starts = line_starts(text)
    edits: list[Edit] = sorted((e for f in fixes for e in f.edits),
                               key=lambda e: (e.start, e.end), reverse=True)
    for edit in edits:
        begin = offset(starts, edit.start, len(text))
        end = offset(starts, edit.end, len(text))
        text = text[:begin] + edit.content + text[end:]
    return text


def fix_text(text: str, lint: Lint, apply: Apply = apply_fixes_to_text, *,
             unsafe: bool = False, diagnostics: list[Diagnostic] | None = None,
             max_passes: int = MAX_PASSES) -> FixRun:
    """Fix ``text`` as far as possible; ``diagnostics`` are its findings if already known."""
    current = diagnostics if diagnostics is not None else lint(text)
    if current is None:  # invalid code has no fixable findings: nothing to do
        return FixRun(text, [])
    run = FixRun(text, current)
    rejected: set[tuple[str, ...]] = set()
    for _ in range(max_passes):
        candidates = [d for d in run.remaining if is_applicable(d.fix, unsafe)
                      and _key(d) not in rejected]
        if not candidates:
            break
        by_fix = {d.fix: d for d in candidates}
        chosen = select_non_overlapping(by_fix)
        step = _try(run.text, run.remaining, [by_fix[f] for f in chosen], lint, apply)
        if step is None:  # the batch failed: find the culprits one by one
            step = _one_by_one(run, [by_fix[f] for f in chosen], lint, apply, rejected)
            if step is None:
                break
        run.text, run.remaining, applied = step
        run.fixed.update(d.code for d in applied)
    return run


def _key(diagnostic: Diagnostic) -> tuple[str, ...]:
    """What identifies a fix across passes (positions move as earlier fixes apply)."""
    fix = diagnostic.fix
    contents = tuple(e.content for e in fix.edits) if fix else ()
    return diagnostic.code, diagnostic.message, *contents


def _try(text: str, before: list[Diagnostic], applied: list[Diagnostic], lint: Lint,
         apply: Apply) -> tuple[str, list[Diagnostic], list[Diagnostic]] | None:
    """Apply the fixes of ``applied``; ``None`` if the result is invalid or has new findings."""
    new_text = apply(text, [d.fix for d in applied if d.fix is not None])
    after = lint(new_text)
    if after is None or _introduces_findings(before, applied, after):
        return None
    return new_text, after, applied


def _introduces_findings(before: list[Diagnostic], applied: list[Diagnostic],
                         after: list[Diagnostic]) -> bool:
    expected = Counter(d.code for d in before) - Counter(d.code for d in applied)
    return bool(Counter(d.code for d in after) - expected)


def _one_by_one(run: FixRun, chosen: list[Diagnostic], lint: Lint, apply: Apply,
                rejected: set[tuple[str, ...]],
                ) -> tuple[str, list[Diagnostic], list[Diagnostic]] | None:
    """Apply the first fix of ``chosen`` that verifies; reject (and explain) the others."""
    for diagnostic in chosen:
        step = _try(run.text, run.remaining, [diagnostic], lint, apply)
        if step is not None:
            return step
        rejected.add(_key(diagnostic))
        after = lint(apply(run.text, [diagnostic.fix] if diagnostic.fix else []))
        why = "produces invalid code" if after is None else "introduces new findings"
        run.dropped.append(
            f"{diagnostic.location.row}:{diagnostic.location.column}: the fix for "
            f"{diagnostic.code} ({diagnostic.fix.message if diagnostic.fix else ''}) {why}; "
            "not applied"
        )
    return None
