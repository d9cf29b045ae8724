"""The rule catalog: rule metadata and the rule pages (``rules/<CODE>.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lintnn.static.rules import all_rules

_SOURCE_TREE_PAGES = Path(__file__).resolve().parent.parent / "rules"


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    frameworks: tuple[str, ...]
    fixable: bool
    summary: str


def rule_infos() -> list[RuleInfo]:
    infos = []
    for code, cls in all_rules().items():
        doc = (cls.__doc__ or "").strip().splitlines()
        infos.append(RuleInfo(code, cls.name, cls.severity.value, cls.frameworks, cls.fixable,
                              doc[0] if doc else ""))
    return infos


def page_path(code: str) -> Path | None:
    """The page of a rule, from the installed wheel or from the source tree."""
    code = code.upper()
    try:
        packaged = resources.files("lintnn") / "_rules" / f"{code}.md"
        if packaged.is_file():
            return Path(str(packaged))
    except (ModuleNotFoundError, FileNotFoundError):
        pass
    candidate = _SOURCE_TREE_PAGES / f"{code}.md"
    return candidate if candidate.is_file() else None


def page_text(code: str) -> str | None:
    path = page_path(code)
    return path.read_text(encoding="utf-8") if path is not None else None
