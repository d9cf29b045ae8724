"""The report of a runtime check: its findings and data, and their renderings."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from lintnn.runtime import html, plots
from lintnn.runtime.errors import NonFiniteError
from lintnn.runtime.results import CheckFailed, CheckResult
from lintnn.runtime.tables import flagged_views, measurements

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["CheckFailed", "Report"]


class Report(CheckResult):
    """Findings of one runtime check (``probe_shapes``, ``check_health``, ...), with their
    renderings: a self-contained HTML page, matplotlib figures, the notebook view."""

    def to_html(self, path: str | Path, module_names: list[str] | None = None,
                error: NonFiniteError | None = None) -> Path:
        """Write one self-contained HTML page (findings, per-layer plots and tables).

        ``module_names`` (``[n for n, _ in model.named_modules()]``) draws the module tree
        of a non-finite finding; ``error`` adds a :class:`NonFiniteError` caught outside.
        """
        return html.write(self, path, module_names, error)

    def plot(self) -> dict[str, Figure]:
        """Matplotlib figures of the measurements, by view name (needs ``lintnn[plot]``)."""
        if not plots.available():
            raise ImportError("Report.plot needs matplotlib: pip install 'lintnn[plot]'")
        return plots.figures(measurements(self), flagged_views(self))

    def _repr_html_(self) -> str:
        return html.render(self)
