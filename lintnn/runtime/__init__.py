"""The runtime half of lintnn: probes that run a model the way a careful engineer would.

Nothing here imports torch or jax at import time; ``lintnn.torch`` and ``lintnn.jax``
import their framework when they are imported.
"""

from typing import TYPE_CHECKING, Any

from lintnn.runtime.errors import NonFiniteError, Origin

if TYPE_CHECKING:
    from lintnn.runtime.report import Report

__all__ = ["NonFiniteError", "Origin", "Report"]


def __getattr__(name: str) -> Any:
    """``Report`` (with its HTML and plots), imported on first use."""
    if name == "Report":
        from lintnn.runtime.report import Report

        return Report
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
