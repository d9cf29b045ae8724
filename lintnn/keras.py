"""The training monitor as a Keras 3 callback: ``model.fit(..., callbacks=[MonitorCallback()])``.

Works on every Keras backend (tested on torch and jax). A Keras callback sees the loss, the
weights and the optimizer, not the gradients, so it judges the loss curve (NR402-NR405),
the update/weight ratio (NR408), weights that never change (NR410), the learning rate
(NR411, NR412), the train/validation gap from ``val_loss`` (NR413) and a non-finite loss
(NR401, raised as :class:`lintnn.NonFiniteError` after Keras took the step; wrap the model
in ``lintnn.torch.watch``/``lintnn.jax.watch`` for the op that made it). On the torch
backend it also reads the gradients PyTorch leaves on the weights: NR406 and NR407.
Statistics are reduced with ``keras.ops`` on the device and read every ``every`` steps.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import keras
from keras import ops

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.judge import Judge, ParamInfo, Sample, monitor_report
from lintnn.runtime.report import Report
from lintnn.runtime.thresholds import Thresholds

__all__ = ["MonitorCallback"]


def _layer(path: str) -> str:
    return path.rpartition("/")[0]


class MonitorCallback(keras.callbacks.Callback):
    """Judge a ``fit`` as it trains; ``.report`` is the run's :class:`lintnn.Report`.

    ``every``: sample the weights every this many steps; ``num_classes``: judge the loss
    against chance ``ln C``; ``thresholds``: a :class:`lintnn.torch.Thresholds` or a dict of
    its fields; ``on_finding`` hears each finding as it fires (default: printed).
    """

    def __init__(self, every: int = 10, num_classes: int | None = None, thresholds: Any = None,
                 on_finding: Callable[[Diagnostic], None] | None = None) -> None:
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        self.every = every
        self.num_classes = num_classes
        self.thresholds = Thresholds.of(thresholds)
        self.on_finding = on_finding or (lambda d: print(f"lintnn: {d}"))
        self.judge: Judge | None = None
        self.steps = 0
        self._epoch_mean = (0, 0.0)  # (batches so far in this epoch, their mean loss)
        self._before: list[Any] | None = None

    @property
    def report(self) -> Report:
        return monitor_report(self.judge, steps=self.steps, every=self.every,
                              backend=keras.backend.backend())

    def _variables(self) -> list[Any]:
        return list(self.model.trainable_variables)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        params = [ParamInfo(v.path, _layer(v.path), 0, True, len(v.shape) >= 2)
                  for v in self._variables()]
        self.judge = Judge(params, self.thresholds, self.num_classes, self.on_finding)
        self.steps = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        self._epoch_mean = (0, 0.0)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        if self.steps % self.every == 0:
            self._before = [ops.copy(ops.stop_gradient(v.value)) for v in self._variables()]

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        judge = self.judge
        if judge is None or not logs or "loss" not in logs:
            return
        count, mean = self._epoch_mean
        running = float(logs["loss"])  # Keras logs the epoch's running mean
        loss = (count + 1) * running - count * mean
        self._epoch_mean = (count + 1, running)
        if not math.isfinite(running):
            self._nonfinite(running)
        judge.add_loss(self.steps, loss)
        if self._before is not None:
            self._sample()
            self._before = None
        self.steps += 1

    def _sample(self) -> None:
        assert self.judge is not None and self._before is not None
        variables = self._variables()
        grads = [_torch_grad(v) for v in variables] if keras.backend.backend() == "torch" \
            else [None] * len(variables)
        measured = [ops.norm(ops.reshape(ops.stop_gradient(v.value) - b, (-1,))) for v, b in
                    zip(variables, self._before, strict=True)]
        measured += [ops.norm(ops.reshape(b, (-1,))) for b in self._before]
        measured += [ops.norm(ops.reshape(g, (-1,))) for g in grads if g is not None]
        values = ops.convert_to_numpy(ops.stack([ops.cast(m, "float32") for m in measured]))
        n = len(variables)
        updates, weights = values[:n], values[n:2 * n]
        grad_values = iter(values[2 * n:])
        lr = float(ops.convert_to_numpy(self.model.optimizer.learning_rate))
        sample = Sample(step=self.steps, lrs=[lr])
        squares: dict[str, list[float]] = {}
        for v, u, w, g in zip(variables, updates, weights, grads, strict=True):
            acc = squares.setdefault(_layer(v.path), [0.0, 0.0, 0.0, 0.0])
            acc[0] += float(u) ** 2
            acc[1] += float(w) ** 2
            sample.checked.add(v.path)
            if g is not None:
                acc[2] += float(next(grad_values)) ** 2
                acc[3] = 1.0
            if float(u) == 0.0:
                sample.no_grad.add(v.path)  # no gradient reached it, or the step skipped it
        for layer, (u2, w2, g2, has_grad) in squares.items():
            sample.update_norm[layer] = math.sqrt(u2)
            sample.weight_norm[layer] = math.sqrt(w2)
            if has_grad:
                sample.grad_norm[layer] = math.sqrt(g2)
        self.judge.add_sample(sample)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if self.judge is not None and logs and "val_loss" in logs:
            self.judge.add_val_loss(self.steps, float(logs["val_loss"]))

    def _nonfinite(self, loss: float) -> None:
        assert self.judge is not None
        origin = Origin("forward", None, None, None, False,
                        "a Keras callback sees the loss after the step; wrap the model's "
                        "step in lintnn.torch.watch or lintnn.jax.watch for the op and line")
        self.judge.report("NR401", "nonfinite", f"the loss is {loss}: {origin.describe()}: "
                          "lower the learning rate, clip gradients, and look for log/sqrt/"
                          "division of zero or negative values (37 reasons #37; NaN notes)",
                          step=self.steps)
        error = NonFiniteError(origin, self.judge.findings[-1].message)
        error.diagnostic = self.judge.findings[-1]  # type: ignore[attr-defined]
        raise error


def _torch_grad(variable: Any) -> Any:
    grad = getattr(variable.value, "grad", None)
    return grad.detach() if grad is not None else None
