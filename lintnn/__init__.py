"""lintnn: find the bugs that make neural-network training fail silently."""

from typing import TYPE_CHECKING, Any

from lintnn.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from lintnn.version import __version__

if TYPE_CHECKING:
    from lintnn.runtime.errors import NonFiniteError, Origin
    from lintnn.runtime.report import Report

__all__ = [
    "Applicability",
    "Diagnostic",
    "Edit",
    "Fix",
    "Location",
    "NonFiniteError",
    "Origin",
    "Report",
    "Severity",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """The runtime half's names, imported on first use (``lintnn check`` needs none)."""
    if name in ("NonFiniteError", "Origin"):
        from lintnn.runtime import errors

        return getattr(errors, name)
    if name == "Report":
        from lintnn.runtime.report import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
