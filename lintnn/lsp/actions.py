"""Code actions: a diagnostic's own fix, and ``# noqa: CODE`` to silence it on its line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lsprotocol import types

from lintnn.diagnostics import Applicability, Diagnostic, Location
from lintnn.report.lsp import lsp_range, split_lines, to_lsp
from lintnn.static.engine.noqa import LineEnd, line_ends, with_codes


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
    if row > len(lines):
        return None
    edit = with_codes(lines[row - 1], end, [diagnostic.code])
    if edit is None:
        return None
    start, stop, text = edit
    return types.TextEdit(
        lsp_range(lines, Location(row, start + 1), Location(row, stop + 1), encoding), text)


def workspace_edit(target: Target, edits: list[types.TextEdit]) -> types.WorkspaceEdit:
    """Versioned edits where the client supports them: a stale action is then refused."""
    if target.document_changes:
        document = types.OptionalVersionedTextDocumentIdentifier(
            uri=target.uri, version=target.version)
        return types.WorkspaceEdit(
            document_changes=[types.TextDocumentEdit(text_document=document, edits=edits)])
    return types.WorkspaceEdit(changes={target.uri: edits})
