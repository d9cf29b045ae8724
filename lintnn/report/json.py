"""``json``: a list of ruff-shaped objects; ``json-lines``: one object per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lintnn.diagnostics import Diagnostic

if TYPE_CHECKING:
    from lintnn.report.options import FormatOptions


def _object(diagnostic: Diagnostic) -> dict[str, Any]:
    data = diagnostic.to_json()
    if "cell_location" in diagnostic.extra:  # a notebook: the place within the cell
        data["cell_location"] = diagnostic.extra["cell_location"]
    if data["filename"] is not None:
        data["filename"] = str(Path(data["filename"]).absolute())
    return data


def write(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    json.dump([_object(d) for d in diagnostics], stream, indent=2, ensure_ascii=False)
    stream.write("\n")


def write_lines(diagnostics: list[Diagnostic], stream: TextIO, options: FormatOptions) -> None:
    for diagnostic in diagnostics:
        stream.write(json.dumps(_object(diagnostic), ensure_ascii=False) + "\n")
