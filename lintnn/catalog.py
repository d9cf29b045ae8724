"""The rule catalog: rule metadata and the rule pages (``rules/<CODE>.md``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lintnn.diagnostics import BUILTIN_CODES, rule_page_file, rule_url
from lintnn.static.rules import all_rules


@dataclass(frozen=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    frameworks: tuple[str, ...]
    fixable: bool
    summary: str


    def to_json(self, docs_url: str | None = None) -> dict[str, object]:
        return {"code": self.code, "name": self.name, "severity": self.severity,
                "frameworks": list(self.frameworks), "fixable": self.fixable,
                "summary": self.summary, "url": rule_url(self.code, docs_url)}


def rule_infos(builtins: bool = False) -> list[RuleInfo]:
    """Every rule; with ``builtins``, the engine's own codes (NN0xx) first."""
    infos = []
    if builtins:
        infos += [RuleInfo(b.code, b.name, b.severity.value, (), b.code == "NN010", b.summary)
                  for b in BUILTIN_CODES.values()]
    for code, cls in all_rules().items():
        doc = (cls.__doc__ or "").strip().splitlines()
        infos.append(RuleInfo(code, cls.name, cls.severity.value, cls.frameworks, cls.fixable,
                              doc[0] if doc else ""))
    return infos


def page_path(code: str) -> Path | None:
    """The page of a rule, from the installed wheel or from the source tree."""
    return rule_page_file(code.upper())


def page_text(code: str) -> str | None:
    path = page_path(code)
    return path.read_text(encoding="utf-8") if path is not None else None
