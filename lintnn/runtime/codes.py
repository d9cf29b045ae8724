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
    # The training monitor (lintnn.torch.monitor, lintnn.jax.monitor, the callbacks).
    "NR401": ("nonfinite-in-training", Severity.ERROR),
    "NR402": ("loss-unstable-from-start", Severity.ERROR),
    "NR403": ("loss-sudden-divergence", Severity.ERROR),
    "NR404": ("loss-sudden-oscillation", Severity.WARNING),
    "NR405": ("loss-stuck-at-chance", Severity.WARNING),
    "NR406": ("gradient-exploding", Severity.WARNING),
    "NR407": ("gradient-vanishing", Severity.WARNING),
    "NR408": ("update-ratio-out-of-band", Severity.WARNING),
    "NR409": ("dead-relu-rising", Severity.WARNING),
    "NR410": ("parameter-never-trains", Severity.WARNING),
    "NR411": ("learning-rate-reached-zero", Severity.WARNING),
    "NR412": ("learning-rate-rising", Severity.WARNING),
    "NR413": ("train-val-gap", Severity.WARNING),
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
