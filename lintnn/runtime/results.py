"""The result of a runtime check as data: findings, a verdict, the measurements behind them.

Rendering it (HTML, plots) is :class:`lintnn.runtime.report.Report`'s job, one floor up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lintnn.diagnostics import Diagnostic, Severity


class CheckFailed(AssertionError):
    """Raised by :meth:`CheckResult.raise_if_failed`; reads as a sentence in pytest output."""


@dataclass
class CheckResult:
    """Findings of one runtime check (``probe_shapes``, ``check_health``, ...).

    ``data`` holds the measurements behind the findings (per-layer statistics, loss
    curves) for reports and plots.
    """

    check: str
    findings: list[Diagnostic] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when no finding is a warning or an error."""
        return not any(f.severity in (Severity.ERROR, Severity.WARNING) for f in self.findings)

    def codes(self) -> list[str]:
        return [f.code for f in self.findings]

    def findings_with_prefix(self, prefix: str) -> list[Diagnostic]:
        """Findings whose code starts with ``prefix`` (``"NR1"``: the shape group)."""
        return [f for f in self.findings if f.code.startswith(prefix)]

    def extend(self, other: CheckResult) -> None:
        self.findings.extend(other.findings)
        self.data.update(other.data)

    def raise_if_failed(self) -> CheckResult:
        if not self.ok:
            raise CheckFailed(str(self))
        return self

    def __str__(self) -> str:
        if not self.findings:
            return f"{self.check}: no findings"
        lines = [f"{self.check}: {len(self.findings)} finding(s)"]
        for f in self.findings:
            lines.append(f"  {f.severity.value}: {f}")
            lines += [f"      folded: {c.severity.value}: {c}"
                      for c in f.extra.get("consequences", ())]
        return "\n".join(lines)
