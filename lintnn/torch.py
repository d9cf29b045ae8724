"""lintnn's PyTorch runtime shim: ``import lintnn.torch as lt``.

>>> rep = lt.probe_shapes(model, inputs, target=None, loss_fn=None, dims=None)
>>> rep = lt.check_batch_independence(model, inputs)
>>> with lt.watch(model):        # raises lintnn.NonFiniteError
...     loss = loss_fn(model(x), y); loss.backward(); opt.step()
>>> rep = lt.check_health(model, loss_fn, (x, y), num_classes=None, optimizer=None)

Every check returns a :class:`lintnn.Report` and leaves the model exactly as it found it
(parameters, gradients, buffers, modes, hooks, requires_grad, RNG states).
"""

from __future__ import annotations

from typing import Any

from lintnn.runtime.report import Report
from lintnn.runtime.torch.batch import check_batch_independence
from lintnn.runtime.torch.health import check_health
from lintnn.runtime.torch.nans import check_nonfinite, watch
from lintnn.runtime.torch.shapes import probe_shapes

__all__ = [
    "check_all",
    "check_batch_independence",
    "check_health",
    "check_nonfinite",
    "probe_shapes",
    "watch",
]


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
