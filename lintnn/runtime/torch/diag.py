"""Runtime findings of the PyTorch shim (the catalog is shared with JAX)."""

from lintnn.runtime.codes import RULES, finding, fold

__all__ = ["RULES", "finding", "fold"]
