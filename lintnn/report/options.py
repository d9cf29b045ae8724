"""What every formatter may be asked: colour, paths relative to a folder, fixes, links."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lintnn.report.sources import Sources


@dataclass(frozen=True)
class FormatOptions:
    color: bool = False
    cwd: Path | None = None
    show_fixes: bool = False
    quiet: bool = False
    unsafe_fixes: bool = False  # whether unsafe fixes count as applicable ([*])
    root: Path | None = None  # the project root: SARIF and GitLab paths are relative to it
    docs_url: str | None = None  # ``docs-url``: where rule pages are linked
    sources: Sources = field(default_factory=Sources)  # the text behind the findings
