"""Every one-shot check on one model, in the order where each needs the last to pass."""

from __future__ import annotations

from typing import Any

from lintnn.runtime.report import Report
from lintnn.runtime.torch.batch import check_batch_independence
from lintnn.runtime.torch.health import check_health
from lintnn.runtime.torch.nans import check_nonfinite
from lintnn.runtime.torch.shapes import probe_shapes


def check_all(
    model: Any,
    inputs: Any,
    target: Any = None,
    loss_fn: Any = None,
    dims: Any = None,
    health: bool = True,
    **health_options: Any,
) -> Report:
    """Shapes, batch independence, NaN behaviour and (with a loss and target) health.

    A model on the meta device gets the shape probe only.
    """
    report = Report("lintnn.torch")
    report.extend(probe_shapes(model, inputs, target=target, loss_fn=loss_fn, dims=dims))
    failed = any(f.code == "NR104" and f.severity.value == "error" for f in report.findings)
    if failed or any(p.is_meta for p in model.parameters()):
        return report  # the other checks need real values
    report.extend(check_batch_independence(model, inputs))
    report.extend(check_nonfinite(model, inputs, target=target, loss_fn=loss_fn))
    if health and loss_fn is not None and not report.findings_with_prefix("NR2"):
        report.extend(check_health(model, loss_fn, (inputs, target), **health_options))
    return report
