"""The training monitor as a transformers ``TrainerCallback``:
``Trainer(..., callbacks=[MonitorCallback()])``.

A thin adapter over :class:`lintnn.torch.monitor`: it attaches to the model and the torch
optimizer inside accelerate's wrapper when training begins, hears ``eval_loss`` after each
evaluation, and detaches when training ends. The Trainer divides each micro-batch loss by
the accumulation steps, so the step's loss is their sum. The Trainer has no callback for
an exception: the monitor detaches itself before it raises :class:`lintnn.NonFiniteError`;
after another error call ``callback.close()``.
"""

from __future__ import annotations

from typing import Any

from transformers import TrainerCallback

from lintnn.runtime.report import Report
from lintnn.runtime.torch.monitor import monitor

__all__ = ["MonitorCallback"]


class MonitorCallback(TrainerCallback):
    """Judge the run as it trains (NR401-NR413); arguments as :class:`lintnn.torch.monitor`."""

    def __init__(self, every: int = 10, num_classes: int | None = None,
                 thresholds: Any = None, **options: Any) -> None:
        self.options = {"every": every, "num_classes": num_classes, "thresholds": thresholds,
                        **options}
        self.monitor: monitor | None = None

    @property
    def report(self) -> Report:
        return self.monitor.report if self.monitor is not None else Report("monitor")

    def on_train_begin(self, args: Any, state: Any, control: Any, model: Any = None,
                       optimizer: Any = None, **kwargs: Any) -> None:
        self.close()
        options = {"accumulation": "sum" if args.gradient_accumulation_steps > 1 else "mean",
                   **self.options}
        self.monitor = monitor(model, optimizer, **options).start()

    def on_evaluate(self, args: Any, state: Any, control: Any,
                    metrics: dict[str, float] | None = None, **kwargs: Any) -> None:
        if self.monitor is not None and metrics and "eval_loss" in metrics:
            self.monitor.record_val_loss(metrics["eval_loss"], step=state.global_step)

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.close()

    def close(self) -> None:
        """Detach the monitor (idempotent)."""
        if self.monitor is not None:
            self.monitor.close()
