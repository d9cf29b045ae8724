"""The training monitor as a Lightning callback: ``Trainer(callbacks=[MonitorCallback()])``.

A thin adapter over :class:`lintnn.torch.monitor`: it attaches to the LightningModule and
the trainer's optimizers when training starts, hears the validation loss Lightning logged
(``val_key``, default ``"val_loss"``) after each validation run, and detaches when training
ends or raises. ``callback.report`` is the run's :class:`lintnn.Report`.
"""

from __future__ import annotations

from typing import Any

try:
    from lightning.pytorch.callbacks import Callback
except ImportError:  # the standalone package
    from pytorch_lightning.callbacks import Callback  # type: ignore[no-redef]

from lintnn.runtime.report import Report
from lintnn.runtime.torch.monitor import monitor

__all__ = ["MonitorCallback"]


class MonitorCallback(Callback):
    """Judge the run as it trains (NR401-NR413); arguments as :class:`lintnn.torch.monitor`."""

    def __init__(self, every: int = 10, num_classes: int | None = None,
                 thresholds: Any = None, val_key: str = "val_loss", **options: Any) -> None:
        self.options = {"every": every, "num_classes": num_classes, "thresholds": thresholds,
                        **options}
        self.val_key = val_key
        self.monitor: monitor | None = None

    @property
    def report(self) -> Report:
        return self.monitor.report if self.monitor is not None else Report("monitor")

    def on_train_start(self, trainer: Any, pl_module: Any) -> None:
        self.monitor = monitor(pl_module, list(trainer.optimizers), **self.options).start()

    def on_validation_end(self, trainer: Any, pl_module: Any) -> None:
        value = trainer.callback_metrics.get(self.val_key)
        if self.monitor is not None and value is not None and not trainer.sanity_checking:
            self.monitor.record_val_loss(float(value), step=trainer.global_step)

    def on_train_end(self, trainer: Any, pl_module: Any) -> None:
        if self.monitor is not None:
            self.monitor.close()

    def on_exception(self, trainer: Any, pl_module: Any, exception: BaseException) -> None:
        self.on_train_end(trainer, pl_module)
