"""Test helpers: lint a snippet, and compare findings with ``# expect: CODE`` markers.

A snippet marks each line where a finding must be reported with a trailing
``# expect: NN101`` comment (several codes comma-separated). ``assert_findings``
checks that the findings of the given code are reported on exactly those lines.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

from lintnn.config import Settings
from lintnn.diagnostics import Diagnostic
from lintnn.static.engine.run import Engine

_EXPECT = re.compile(r"#\s*expect:\s*(?P<codes>[A-Z]+[0-9]+(?:\s*,\s*[A-Z]+[0-9]+)*)")


def lint(source: str, filename: str = "example.py", select: str = "NN") -> list[Diagnostic]:
    settings = Settings(select=[select], root=Path.cwd())
    engine = Engine(settings, use_cache=False, jobs=1)
    return engine.check_source(Path(filename), textwrap.dedent(source)).diagnostics


def lint_project(root: Path, files: dict[str, str], select: str = "NN") -> list[Diagnostic]:
    """Write ``files`` under ``root`` and check the whole tree."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    settings = Settings(select=[select], root=root)
    return Engine(settings, use_cache=False, jobs=1).check_paths([root]).diagnostics


def expected_lines(source: str, code: str) -> list[int]:
    lines = []
    for number, line in enumerate(textwrap.dedent(source).splitlines(), start=1):
        match = _EXPECT.search(line)
        if match and code in [c.strip() for c in match.group("codes").split(",")]:
            lines.append(number)
    return lines


def found_lines(diagnostics: list[Diagnostic], code: str) -> list[int]:
    return sorted(d.location.row for d in diagnostics if d.code == code)


def assert_findings(source: str, code: str, filename: str = "example.py") -> list[Diagnostic]:
    """Findings of ``code`` are exactly on the ``# expect:`` lines (none if there are none)."""
    diagnostics = lint(source, filename)
    internal = [d for d in diagnostics if d.code in ("NN001", "NN002")]
    assert not internal, f"engine problem: {internal}"
    expected = expected_lines(source, code)
    found = found_lines(diagnostics, code)
    assert found == expected, (
        f"{code}: expected findings on lines {expected}, found on {found}:\n"
        + "\n".join(f"  {d.location.row}: {d.message}" for d in diagnostics if d.code == code)
    )
    return [d for d in diagnostics if d.code == code]


def fail_writes_halfway(monkeypatch) -> None:
    """Make the fix writer's ``os.write`` write half its data, then fail (disk full)."""
    import os

    from lintnn.static.engine import writer

    real_write = os.write

    def write_half_then_fail(fd: int, data) -> int:
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer.os, "write", write_half_then_fail)


def edit_during_write(monkeypatch, path: Path, text: str) -> None:
    """Someone saves ``text`` to ``path`` while the fix writer syncs its temporary file."""
    import os

    from lintnn.static.engine import writer

    real_fsync = os.fsync

    def someone_edits(fd: int) -> None:
        real_fsync(fd)
        path.write_text(text)

    monkeypatch.setattr(writer.os, "fsync", someone_edits)
