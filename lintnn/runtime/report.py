"""The result of a runtime check: a list of findings with a verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lintnn.diagnostics import Diagnostic, Severity

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from lintnn.runtime.errors import NonFiniteError


class CheckFailed(AssertionError):
    """Raised by :meth:`Report.raise_if_failed`; reads as a sentence in pytest output."""


@dataclass
class Report:
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

    def extend(self, other: Report) -> None:
        self.findings.extend(other.findings)
        self.data.update(other.data)

    def raise_if_failed(self) -> Report:
        if not self.ok:
            raise CheckFailed(str(self))
        return self

    def __str__(self) -> str:
        if not self.findings:
            return f"{self.check}: no findings"
        lines = [f"{self.check}: {len(self.findings)} finding(s)"]
        lines += [f"  {f.severity.value}: {f}" for f in self.findings]
        return "\n".join(lines)

    def to_html(self, path: str | Path, module_names: list[str] | None = None,
                error: NonFiniteError | None = None) -> Path:
        """Write one self-contained HTML page (findings, per-layer plots and tables).

        ``module_names`` (``[n for n, _ in model.named_modules()]``) draws the module tree
        of a non-finite finding; ``error`` adds a :class:`NonFiniteError` caught outside.
        """
        from lintnn.runtime import html

        return html.write(self, path, module_names, error)

    def plot(self) -> dict[str, Figure]:
        """Matplotlib figures of the measurements, by view name (needs ``lintnn[plot]``)."""
        from lintnn.runtime import plots
        from lintnn.runtime.tables import flagged, measurements

        if not plots.available():
            raise ImportError("Report.plot needs matplotlib: pip install 'lintnn[plot]'")
        return plots.figures(measurements(self), flagged(self))

    def _repr_html_(self) -> str:
        from lintnn.runtime import html

        return html.render(self)
