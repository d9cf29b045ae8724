"""lintnn's PyTorch runtime shim: ``import lintnn.torch as lt``.

>>> rep = lt.probe_shapes(model, inputs, target=None, loss_fn=None, dims=None)
>>> rep = lt.check_batch_independence(model, inputs)
>>> with lt.watch(model):        # raises lintnn.NonFiniteError
...     loss = loss_fn(model(x), y); loss.backward(); opt.step()
>>> rep = lt.check_health(model, loss_fn, (x, y), num_classes=None, optimizer=None)
>>> with lt.monitor(model, optimizer, every=10, num_classes=10) as mon:   # the real run
...     train(...)                                       # NR401-NR413 as they happen
>>> mon.report

Every check returns a :class:`lintnn.Report` and leaves the model exactly as it found it
(parameters, gradients, buffers, modes, hooks, requires_grad, RNG states).
"""

from __future__ import annotations

from lintnn.runtime.thresholds import Thresholds
from lintnn.runtime.torch.all_checks import check_all
from lintnn.runtime.torch.batch import check_batch_independence
from lintnn.runtime.torch.health import check_health
from lintnn.runtime.torch.monitor import monitor
from lintnn.runtime.torch.nans import check_nonfinite, watch
from lintnn.runtime.torch.shapes import probe_shapes

__all__ = [
    "Thresholds",
    "check_all",
    "check_batch_independence",
    "check_health",
    "check_nonfinite",
    "monitor",
    "probe_shapes",
    "watch",
]
