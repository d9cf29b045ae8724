"""Code actions: a diagnostic's own fix, and ``# noqa: CODE`` to silence it on its line."""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from lintnn.diagnostics import Applicability, Diagnostic, Location
from lintnn.report.lsp import lsp_range, split_lines, to_lsp
from lintnn.static.engine.noqa import _NOQA as NOQA_PATTERN


@dataclass(frozen=True)
class LineEnd:
    """Where a comment can go on a line: after the last token, or into its comment."""

    comment_column: int | None  # code-point column of the line's comment, if any
    can_append: bool  # False when the line ends inside a string or a backslash continuation


@dataclass(frozen=True)
class Target:
    """The document the edits apply to."""

    uri: str
    version: int | None
    text: str
    encoding: str = types.PositionEncodingKind.Utf16
    document_changes: bool = True


def code_actions(
    diagnostics: Iterable[Diagnostic], target: Target, first_line: int, last_line: int,
) -> list[types.CodeAction]:
    """Quick fixes and noqa actions for the diagnostics on 0-based lines first..last."""
    lines = split_lines(target.text)
    chosen = [d for d in diagnostics
              if d.location.row - 1 <= last_line and d.end_location.row - 1 >= first_line]
    ends = line_ends(target.text, {d.location.row for d in chosen})
    actions: list[types.CodeAction] = []
    for diagnostic in chosen:
        lsp_diagnostic = to_lsp(diagnostic, lines, target.encoding)
        fix = fix_action(diagnostic, lines, target)
        if fix is not None:
            fix.diagnostics = [lsp_diagnostic]
            actions.append(fix)
        edit = noqa_edit(lines, ends.get(diagnostic.location.row), diagnostic, target.encoding)
        if edit is not None:
            actions.append(types.CodeAction(
                title=f"Disable {diagnostic.code} for this line",
                kind=types.CodeActionKind.QuickFix,
                diagnostics=[lsp_diagnostic],
                edit=workspace_edit(target, [edit]),
            ))
    return actions


def fix_action(
    diagnostic: Diagnostic, lines: Sequence[str], target: Target
) -> types.CodeAction | None:
    fix = diagnostic.fix
    if fix is None or not fix.edits:
        return None
    edits = [types.TextEdit(lsp_range(lines, e.start, e.end, target.encoding), e.content)
             for e in fix.edits]
    safe = fix.applicability is Applicability.SAFE
    return types.CodeAction(
        title=f"{fix.message} ({diagnostic.code})" + ("" if safe else " [unsafe]"),
        kind=types.CodeActionKind.QuickFix,
        is_preferred=safe,
        edit=workspace_edit(target, edits),
    )


def noqa_edit(
    lines: Sequence[str], end: LineEnd | None, diagnostic: Diagnostic, encoding: str,
) -> types.TextEdit | None:
    """Add ``diagnostic.code`` to the line's ``# noqa: ...`` comment, or append one."""
    row = diagnostic.location.row
    if end is None or row > len(lines):
        return None
    line = lines[row - 1]
    if end.comment_column is not None:
        comment = line[end.comment_column:]
        match = NOQA_PATTERN.search(comment)
        if match is not None:
            if match.group("codes") is None:
                return None  # a bare noqa comment already silences every code
            merged = f"{match.group(0)}, {diagnostic.code}"
            start = end.comment_column + match.start()
            stop = end.comment_column + match.end()
            return types.TextEdit(
                lsp_range(lines, Location(row, start + 1), Location(row, stop + 1), encoding),
                merged)
    if not end.can_append:
        return None
    content = line.rstrip()
    span = lsp_range(lines, Location(row, len(content) + 1), Location(row, len(line) + 1),
                     encoding)
    return types.TextEdit(span, f"  # noqa: {diagnostic.code}")


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
    lines = split_lines(text)
    line = lines[row - 1] if row <= len(lines) else ""
    match = NOQA_PATTERN.search(line)
    return LineEnd(match.start() if match else None, not line.rstrip().endswith("\\"))


def workspace_edit(target: Target, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """Versioned edits where the client supports them: a stale action is then refused."""
    if target.document_changes:
        document = types.OptionalVersionedTextDocumentIdentifier(
            uri=target.uri, version=target.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={target.uri: edits})
