"""What every formatter may be asked: colour, paths relative to a folder, fixes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FormatOptions:
    color: bool = False
    cwd: Path | None = None
    show_fixes: bool = False
    quiet: bool = False
    unsafe_fixes: bool = False  # whether unsafe fixes count as applicable ([*])
