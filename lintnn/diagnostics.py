"""The one finding type shared by the static analyzer and the runtime shim."""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

_PACKAGE = Path(__file__).resolve().parent
# Rule pages: packaged in the wheel (``lintnn/_rules``), or in a source checkout (``rules/``).
RULE_PAGE_FOLDERS = (_PACKAGE / "_rules", _PACKAGE.parent / "rules")


class Severity(str, enum.Enum):
    """How bad a finding is; orders as error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        return {"error": 2, "warning": 1, "info": 0}[self.value]


class Applicability(str, enum.Enum):
    """Whether a fix may be applied without review (ruff's vocabulary)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class BuiltinCode:
    """A code the engine itself reports (about the input or the run), not a rule."""

    code: str
    name: str
    severity: Severity
    summary: str


BUILTIN_CODES = {
    builtin.code: builtin for builtin in (
        BuiltinCode("NN001", "syntax-error", Severity.ERROR,
                    "The file cannot be read or parsed."),
        BuiltinCode("NN002", "internal-error", Severity.ERROR,
                    "lintnn failed on this file; please report it."),
        BuiltinCode("NN003", "io-error", Severity.ERROR,
                    "The path cannot be read: missing, not permitted, or not a regular file."),
        BuiltinCode("NN010", "unused-noqa", Severity.INFO,
                    "A `# noqa` directive names a lintnn code that it does not suppress."),
    )
}


@functools.cache
def rule_page_file(code: str) -> Path | None:
    """The Markdown page of a rule or built-in code, where it is installed."""
    for folder in RULE_PAGE_FOLDERS:
        candidate = folder / f"{code.upper()}.md"
        if candidate.is_file():
            return candidate
    return None


def rule_url(code: str, docs_url: str | None = None) -> str | None:
    """The link of a code's page: under ``docs_url`` (``docs-url`` in ``[tool.lintnn]``,
    a site built by ``mkdocs build``, or a template with ``{code}``), else the page
    installed with the package as a ``file://`` URI, which works offline."""
    if docs_url:
        if "{code}" in docs_url:
            return docs_url.replace("{code}", code)
        return f"{docs_url.rstrip('/')}/rules/{code}.html"
    page = rule_page_file(code)
    return page.as_uri() if page is not None else None


@dataclass(frozen=True, order=True)
class Location:
    """A 1-based line and 1-based column."""

    row: int
    column: int

    def to_json(self) -> dict[str, int]:
        return {"row": self.row, "column": self.column}


@dataclass(frozen=True)
class Edit:
    """Replace the text between ``start`` and ``end`` with ``content``."""

    start: Location
    end: Location
    content: str

    def to_json(self) -> dict[str, Any]:
        return {
            "content": self.content,
            "location": self.start.to_json(),
            "end_location": self.end.to_json(),
        }


@dataclass(frozen=True)
class Fix:
    """A set of non-overlapping text edits that resolve one finding."""

    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    def to_json(self) -> dict[str, Any]:
        return {
            "applicability": self.applicability.value,
            "message": self.message,
            "edits": [edit.to_json() for edit in self.edits],
        }


@dataclass(frozen=True)
class Diagnostic:
    """One finding, static or runtime.

    Static findings carry a file and a span; runtime findings may instead (or also)
    carry the dotted module path and the user source line where the problem arose.
    """

    code: str
    rule: str
    severity: Severity
    message: str
    filename: str | None = None
    location: Location = Location(1, 1)
    end_location: Location = Location(1, 1)
    fix: Fix | None = None
    url: str | None = None
    module: str | None = None
    source: str | None = None
    cell: int | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.url is None:
            object.__setattr__(self, "url", rule_url(self.code))

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.filename or "", self.location.row, self.location.column, self.code)

    def with_changes(self, **changes: Any) -> Diagnostic:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The ruff-shaped JSON object used by ``--output-format json``."""
        data: dict[str, Any] = {
            "code": self.code,
            "rule": self.rule,
            "message": self.message,
            "filename": self.filename,
            "location": self.location.to_json(),
            "end_location": self.end_location.to_json(),
            "severity": self.severity.value,
            "url": self.url,
            "fix": self.fix.to_json() if self.fix else None,
        }
        if self.cell is not None:
            data["cell"] = self.cell
        if self.module is not None:
            data["module"] = self.module
        if self.source is not None:
            data["source"] = self.source
        return data

    def __str__(self) -> str:
        where = self.filename or self.source or (self.module if self.module is not None else "")
        if self.filename:
            where = f"{self.filename}:{self.location.row}:{self.location.column}"
        elif self.module is not None and self.source:
            where = f"{self.module or '<root>'} ({self.source})"
        elif self.module is not None:
            where = self.module or "<root>"
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.code} {self.message}"
