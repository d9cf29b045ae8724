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


def fold(found: list[Diagnostic], root: Diagnostic,
         consequences: list[Diagnostic]) -> list[Diagnostic]:
    """``found`` with ``consequences`` folded under ``root``, which leads the list.

    The folded root keeps its code, takes the worst severity of the group, names the
    folded findings at the end of its message and carries them in
    ``extra["consequences"]`` (shown indented by ``str(report)`` and the HTML page).
    ``root`` may be a changed copy of a member of ``found``; it replaces the one with the
    same code and module.
    """
    if not consequences:
        return found
    ids = {id(f) for f in consequences}
    severity = max([root, *consequences], key=lambda f: f.severity.rank).severity
    named: dict[str, list[str]] = {}
    for f in consequences:
        where = f.extra.get("parameter") or f.module
        named.setdefault(f.code, []).append("<root>" if where == "" else str(where or ""))
    summary = "; ".join(f"{code} {', '.join(w for w in dict.fromkeys(where) if w)}".rstrip()
                        for code, where in named.items())
    folded = root.with_changes(
        severity=severity,
        message=f"{root.message} [root cause of: {summary}]",
        extra={**root.extra, "consequences": list(consequences)},
    )
    rest = [f for f in found if id(f) not in ids
            and not (f.code == root.code and f.module == root.module)]
    return [folded, *rest]
