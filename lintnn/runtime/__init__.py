"""The runtime half of lintnn: probes that run a model the way a careful engineer would.

Nothing here imports torch or jax at import time; ``lintnn.torch`` and ``lintnn.jax``
import their framework when they are imported.
"""

from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.report import Report

__all__ = ["NonFiniteError", "Origin", "Report"]
