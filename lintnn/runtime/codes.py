"""The runtime codes (NRxxx), their rule names and severities: one catalog for the
PyTorch and the JAX shim, so a report reads the same whichever framework ran."""

from __future__ import annotations

from typing import Any

from lintnn.diagnostics import Diagnostic, Severity

RULES: dict[str, tuple[str, Severity]] = {
    "NR101": ("named-dim-mixed", Severity.ERROR),
    "NR102": ("loss-broadcast", Severity.ERROR),
    "NR103": ("batch-mixing", Severity.ERROR),
    "NR104": ("probe-shapes-failed", Severity.ERROR),
    "NR201": ("nonfinite-forward", Severity.ERROR),
    "NR202": ("nonfinite-backward", Severity.ERROR),
    "NR203": ("nonfinite-input", Severity.ERROR),
    "NR204": ("nonfinite-parameters", Severity.ERROR),
    "NR301": ("initial-loss-off-chance", Severity.WARNING),
    "NR302": ("cannot-overfit-batch", Severity.ERROR),
    "NR303": ("parameter-not-updated", Severity.WARNING),
    "NR304": ("dead-relu", Severity.WARNING),
    "NR305": ("vanishing-exploding-gradients", Severity.WARNING),
    "NR306": ("activation-scale-at-init", Severity.WARNING),
    "NR307": ("update-weight-ratio", Severity.WARNING),
    "NR308": ("degenerate-label-batch", Severity.WARNING),
    "NR309": ("input-batch-suspicious", Severity.WARNING),
    "NR310": ("output-ignores-input", Severity.ERROR),
    "NR311": ("custom-function-gradcheck", Severity.ERROR),
}


def finding(
    code: str,
    message: str,
    *,
    module: str | None = None,
    source: str | None = None,
    severity: Severity | None = None,
    **extra: Any,
) -> Diagnostic:
    """A runtime :class:`Diagnostic` for ``code``, with the code's rule name and severity."""
    rule, default = RULES[code]
    return Diagnostic(
        code=code,
        rule=rule,
        severity=severity or default,
        message=message,
        module=module,
        source=source,
        extra=extra,
    )
