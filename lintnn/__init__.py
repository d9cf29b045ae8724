"""lintnn: find the bugs that make neural-network training fail silently."""

from lintnn.diagnostics import Applicability, Diagnostic, Edit, Fix, Location, Severity
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.report import Report
from lintnn.version import __version__

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
