"""Runtime findings of the JAX shim (the catalog is shared with PyTorch)."""

from lintnn.runtime.codes import RULES, finding, fold

__all__ = ["RULES", "finding", "fold"]
