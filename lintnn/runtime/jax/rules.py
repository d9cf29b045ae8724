"""The runtime codes the JAX shim emits, with their rule names and severities.

Same codes as the PyTorch shim so a report reads the same whichever framework ran.
"""

from __future__ import annotations

from typing import Any

from lintnn.diagnostics import Diagnostic, Severity

RULES: dict[str, tuple[str, Severity]] = {
    "NR101": ("named-dim-mixed-by-reshape", Severity.ERROR),
    "NR102": ("loss-broadcast", Severity.ERROR),
    "NR103": ("batch-mixing", Severity.ERROR),
    "NR104": ("probe-shapes-failed", Severity.ERROR),
    "NR201": ("nonfinite-forward", Severity.ERROR),
    "NR202": ("nonfinite-backward", Severity.ERROR),
    "NR203": ("nonfinite-input", Severity.ERROR),
    "NR204": ("nonfinite-parameters", Severity.ERROR),
    "NR301": ("initial-loss-off-chance", Severity.WARNING),
    "NR302": ("cannot-overfit-batch", Severity.ERROR),
    "NR303": ("parameter-not-updated", Severity.ERROR),
    "NR304": ("dead-relu", Severity.WARNING),
    "NR305": ("gradient-norm-out-of-range", Severity.WARNING),
}


def finding(code: str, message: str, *, module: str | None = None, source: str | None = None,
            **extra: Any) -> Diagnostic:
    """A runtime :class:`Diagnostic` for ``code``."""
    rule, severity = RULES[code]
    return Diagnostic(code=code, rule=rule, severity=severity, message=message,
                      module=module, source=source, extra=extra)
