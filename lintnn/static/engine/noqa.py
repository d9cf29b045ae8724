"""Suppression comments, with ruff's semantics.

- ``# noqa`` silences every finding on its line, ``# noqa: NN101, NN302`` those codes.
- ``# lintnn: noqa`` anywhere in a file silences the whole file, ``# lintnn: noqa: NN3``
  the codes that start with ``NN3`` (like ``# ruff: noqa``; other tools' file-level
  comments such as ``# ruff: noqa`` and ``# flake8: noqa`` are theirs, not lintnn's).
- A directive naming a lintnn code that suppresses nothing is reported as ``NN010``
  (ruff's RUF100), with a fix that removes the unused codes. Codes that do not start with
  ``NN`` belong to other linters and are never reported.
"""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

_NOQA = re.compile(
    r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.IGNORECASE
)
_FILE_NOQA = re.compile(
    r"#\s*lintnn\s*:\s*noqa(?:\s*:\s*(?P<codes>[A-Z]+[0-9]*(?:[,\s]+[A-Z]+[0-9]*)*))?",
    re.IGNORECASE,
)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
OWN_PREFIX = "NN"
FILE_LEVEL = 0  # the key of the file-level directive in a NoqaMap (rows start at 1)

# line number (1-based) -> codes suppressed there; None means every code. Key 0: the file.
NoqaMap = dict[int, frozenset[str] | None]


def parse_noqa(text: str) -> NoqaMap:
    result: NoqaMap = {}
    if "noqa" not in text.lower():
        return result
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" not in line or "noqa" not in line.lower():
            continue
        whole_file = _FILE_NOQA.search(line)
        if whole_file is not None:
            codes = whole_file.group("codes")
            _merge(result, FILE_LEVEL, frozenset(_CODE_PREFIX.findall(codes.upper()))
                   if codes else None)
            continue
        match = _NOQA.search(line)
        if match is None:
            continue
        codes = match.group("codes")
        result[number] = (
            frozenset(c.upper() for c in _CODE.findall(codes)) if codes else None
        )
    return result


_CODE_PREFIX = re.compile(r"[A-Z]+[0-9]*")


def _merge(result: NoqaMap, row: int, codes: frozenset[str] | None) -> None:
    if row in result:
        previous = result[row]
        codes = None if previous is None or codes is None else previous | codes
    result[row] = codes


def file_suppressed(noqa: NoqaMap, code: str) -> bool:
    """Whether a ``# lintnn: noqa`` comment silences ``code`` in the whole file."""
    if FILE_LEVEL not in noqa:
        return False
    prefixes = noqa[FILE_LEVEL]
    return prefixes is None or any(code.startswith(prefix) for prefix in prefixes)


def is_suppressed(noqa: NoqaMap, line: int, code: str) -> bool:
    if file_suppressed(noqa, code):
        return True
    if line not in noqa:
        return False
    codes = noqa[line]
    return codes is None or code in codes


def unused_codes(noqa: NoqaMap, used: dict[int, set[str]]) -> dict[int, list[str]]:
    """Row -> the lintnn codes its directive names but did not use, in written order.

    ``used`` maps a row to the codes its directive suppressed in this run. Blanket
    ``# noqa`` directives and other linters' codes are never reported.
    """
    unused: dict[int, list[str]] = {}
    for row, codes in noqa.items():
        if row == FILE_LEVEL or codes is None:
            continue
        idle = sorted(c for c in codes if c.startswith(OWN_PREFIX) and c not in used.get(row, ()))
        if idle:
            unused[row] = idle
    return unused


def directive_span(line: str) -> tuple[int, int, list[str]] | None:
    """0-based start and end of the line's ``# noqa`` directive, and the codes it names."""
    match = _NOQA.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    return match.start(), match.end(), _CODE.findall(codes) if codes else []


def without_codes(line: str, remove: set[str]) -> tuple[int, int, str] | None:
    """The edit that takes ``remove`` out of the line's directive: ``(start, end, text)``
    in 0-based code-point columns; the whole comment goes when no code is left."""
    span = directive_span(line)
    if span is None:
        return None
    start, end, codes = span
    kept = [code for code in codes if code.upper() not in remove]
    if kept:
        return start, end, f"# noqa: {', '.join(kept)}"
    before = line[:start].rstrip(" \t")
    after = line[end:]
    if after.strip():  # another comment follows: keep it, drop only the directive
        return start, end + len(after) - len(after.lstrip(" \t")), ""
    return len(before), end, ""


# Where a directive can be written (``--add-noqa`` and the editor's quick action) ---------

@dataclass(frozen=True)
class LineEnd:
    """Where a comment can go on a line: after the last token, or into its comment."""

    comment_column: int | None  # code-point column of the line's comment, if any
    can_append: bool  # False when the line ends inside a string or a backslash continuation


def line_ends(text: str, rows: set[int]) -> dict[int, LineEnd]:
    """For each row, its comment and whether a comment may be appended (one tokenize pass)."""
    if not rows:
        return {}
    last = max(rows)
    comments: dict[int, int] = {}
    closed: set[int] = set()
    done = 0  # rows before this one are fully tokenized
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            row = token.start[0]
            if row > last:
                done = last + 1
                break
            done = row
            if token.type == tokenize.COMMENT:
                comments[row] = token.start[1]
            elif token.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
                closed.add(row)
        else:
            done = last + 1
    except (tokenize.TokenError, SyntaxError):
        pass
    return {row: LineEnd(comments.get(row), row in closed) if row < done
            else _guess_line_end(text, row) for row in rows}


def _guess_line_end(text: str, row: int) -> LineEnd:
    """A line of a file tokenize gave up on: trust a ``# noqa`` and an ordinary ending."""
    lines = _LINE_BREAK.split(text)
    line = lines[row - 1] if row <= len(lines) else ""
    match = _NOQA.search(line)
    return LineEnd(match.start() if match else None, not line.rstrip().endswith("\\"))


def with_codes(line: str, end: LineEnd | None, codes: list[str]) -> tuple[int, int, str] | None:
    """The edit that makes the line's directive name ``codes`` too: ``(start, end, text)``
    in 0-based code-point columns, or None where no comment can go (or one is not needed:
    a bare ``# noqa`` already silences every code)."""
    if end is None:
        return None
    if end.comment_column is not None:
        comment = line[end.comment_column:]
        match = _NOQA.search(comment)
        if match is not None:
            if match.group("codes") is None:
                return None
            named = [c.upper() for c in _CODE.findall(match.group("codes"))]
            missing = [code for code in codes if code not in named]
            if not missing:
                return None
            start = end.comment_column + match.start()
            stop = end.comment_column + match.end()
            return start, stop, f"{match.group(0)}, {', '.join(missing)}"
    if not end.can_append:
        return None
    content = line.rstrip()
    return len(content), len(line), f"  # noqa: {', '.join(codes)}"
