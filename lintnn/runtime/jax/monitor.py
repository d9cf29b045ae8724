"""``monitor``: judge a JAX/optax training run as it goes (NR401-NR413).

The monitor wraps the optax optimizer: ``mon.optimizer`` is a ``GradientTransformation``
whose state also carries, computed inside the user's jitted step, a sticky "first
non-finite step" flag (one fused reduction over the gradients every step) and, every
``every`` steps (``lax.cond``), per-leaf squared norms of the gradients, the updates and the
parameters. Nothing comes to the host until ``mon.step(opt_state, loss)`` reaches a sampled
step: then one ``device_get`` reads the statistics and the losses kept since the last read,
and :class:`lintnn.runtime.judge.Judge` turns them into findings.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from lintnn.diagnostics import Diagnostic
from lintnn.runtime.errors import NonFiniteError, Origin
from lintnn.runtime.jax.trees import all_finite, path_str
from lintnn.runtime.judge import Judge, ParamInfo, Sample, monitor_report
from lintnn.runtime.report import Report
from lintnn.runtime.thresholds import Thresholds

log = logging.getLogger("lintnn.monitor")


class MonitorState(NamedTuple):
    """The wrapped optimizer's state: the inner state and what the monitor measured."""

    inner: Any
    count: jax.Array  # updates so far
    first_bad: jax.Array  # the first update whose gradients were non-finite, -1 if none
    grad_sq: Any  # per-leaf squared norms at the latest sampled update
    update_sq: Any
    param_sq: Any


def _sq(tree: Any) -> Any:
    return jax.tree_util.tree_map(lambda x: jnp.sum(jnp.square(x.astype(jnp.float32))), tree)


def _monitored(inner: optax.GradientTransformation, every: int,
               on_init: Callable[[Any], None]) -> optax.GradientTransformation:
    def init(params: Any) -> MonitorState:
        on_init(params)
        zeros = jax.tree_util.tree_map(lambda _: jnp.zeros((), jnp.float32), params)
        return MonitorState(inner.init(params), jnp.zeros((), jnp.int32),
                            jnp.full((), -1, jnp.int32), zeros, zeros, zeros)

    def update(grads: Any, state: MonitorState, params: Any = None,
               **extra: Any) -> tuple[Any, MonitorState]:
        updates, inner_state = inner.update(grads, state.inner, params, **extra)
        bad = jnp.logical_not(all_finite(grads))
        first_bad = jnp.where((state.first_bad < 0) & bad, state.count, state.first_bad)
        have_params = params is not None

        def measure() -> tuple[Any, Any, Any]:
            return (_sq(grads), _sq(updates),
                    _sq(params) if have_params else state.param_sq)

        stats = jax.lax.cond(state.count % every == 0, measure,
                             lambda: (state.grad_sq, state.update_sq, state.param_sq))
        return updates, MonitorState(inner_state, state.count + 1, first_bad, *stats)

    return optax.GradientTransformation(init, update)


def _find_state(tree: Any) -> MonitorState | None:
    found = [x for x in jax.tree_util.tree_leaves(
        tree, is_leaf=lambda x: isinstance(x, MonitorState)) if isinstance(x, MonitorState)]
    return found[0] if found else None


def _layer(path: str) -> str:
    text = path.removeprefix("params/")
    return text.rsplit("/", 1)[0] if "/" in text else ""


class monitor:
    """Watch an optax training run; use ``mon.optimizer`` in the train step and call
    ``mon.step(opt_state, loss)`` after each step (no host sync except on sampled steps).

    ``learning_rate``: the optax schedule (or a float) the run uses, to judge the learning
    rate (NR410-NR412); without it the rate is read from ``optax.inject_hyperparams``'s
    state when there is one. ``val_loss_fn``: a function of no argument returning the
    validation loss, called every ``val_every`` steps (default ``10 * every``).
    ``.report`` is a :class:`lintnn.Report`; non-finite gradients or a non-finite loss raise
    :class:`lintnn.NonFiniteError` at the next sampled step, naming the step they appeared.
    """

    def __init__(self, optimizer: optax.GradientTransformation, every: int = 10,
                 num_classes: int | None = None, val_loss_fn: Callable[[], Any] | None = None,
                 thresholds: Thresholds | dict[str, Any] | None = None, *,
                 learning_rate: Any = None, val_every: int | None = None,
                 on_finding: Callable[[Diagnostic], None] | None = None) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int, got {every!r}")
        if not hasattr(optimizer, "init") or not hasattr(optimizer, "update"):
            raise TypeError(f"expected an optax GradientTransformation, got "
                            f"{type(optimizer).__name__}")
        self.every = every
        self.optimizer = _monitored(optimizer, every, self._note_shapes)
        self.num_classes = num_classes
        self.val_loss_fn = val_loss_fn
        self.val_every = val_every or 10 * every
        self.thresholds = Thresholds.of(thresholds)
        self.learning_rate = learning_rate
        self.on_finding = on_finding or (lambda d: log.warning("lintnn: %s", d))
        self.judge: Judge | None = None
        self.steps = 0
        self._losses: list[Any] = []
        self._ranks: dict[str, int] = {}

    def __enter__(self) -> monitor:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        losses, self._losses = self._losses, []
        if exc_type is None and losses and self.judge is not None:
            first = self.steps - len(losses)
            for i, value in enumerate(jax.device_get(losses)):  # the steps after the last read
                self.judge.add_loss(first + i, float(value))

    @property
    def report(self) -> Report:
        return monitor_report(self.judge, steps=self.steps, every=self.every)

    def step(self, opt_state: Any, loss: Any = None) -> None:
        """After each training step: keep ``loss`` (a device scalar; no sync); on a sampled
        step read the statistics from ``opt_state`` (any tree holding the monitored state)."""
        if loss is not None:
            self._losses.append(loss)
        step = self.steps
        self.steps += 1
        if step % self.every == 0:
            self._read(opt_state, step)
        if self.val_loss_fn is not None and self.steps % self.val_every == 0 and self.judge:
            self.judge.add_val_loss(self.steps, float(self.val_loss_fn()))

    def _read(self, opt_state: Any, step: int) -> None:
        state = _find_state(opt_state)
        if state is None:
            raise TypeError("opt_state holds no monitored state: build it with "
                            "mon.optimizer.init(params)")
        losses, self._losses = self._losses, []
        host = jax.device_get({"first_bad": state.first_bad, "grad": state.grad_sq,
                               "update": state.update_sq, "param": state.param_sq,
                               "losses": losses, "lr": self._lr(state)})
        grads = {path_str(p): float(v) for p, v in
                 jax.tree_util.tree_leaves_with_path(host["grad"])}
        if self.judge is None:
            self.judge = Judge(self._params(state), self.thresholds, self.num_classes,
                               self.on_finding)
        judge = self.judge
        first = step - len(losses) + 1
        for i, value in enumerate(host["losses"]):
            value = float(value)
            if not math.isfinite(value):
                self._nonfinite(first + i, f"the loss is {value}")
            judge.add_loss(first + i, value)
        if int(host["first_bad"]) >= 0:
            self._nonfinite(int(host["first_bad"]), "the gradients are non-finite")
        sample = Sample(step=step, lrs=[] if host["lr"] is None else [float(host["lr"])])
        squares: dict[str, list[float]] = {}
        updates = {path_str(p): float(v) for p, v in
                   jax.tree_util.tree_leaves_with_path(host["update"])}
        params = {path_str(p): float(v) for p, v in
                  jax.tree_util.tree_leaves_with_path(host["param"])}
        for name, g in grads.items():
            acc = squares.setdefault(_layer(name), [0.0, 0.0, 0.0])
            acc[0] += g
            acc[1] += updates.get(name, 0.0)
            acc[2] += params.get(name, 0.0)
            sample.checked.add(name)
            if g == 0.0:
                sample.no_grad.add(name)
        for layer, (g2, u2, w2) in squares.items():
            sample.grad_norm[layer] = math.sqrt(g2)
            if w2 > 0:
                sample.update_norm[layer] = math.sqrt(u2)
                sample.weight_norm[layer] = math.sqrt(w2)
        judge.add_sample(sample)

    def _params(self, state: MonitorState) -> list[ParamInfo]:
        return [ParamInfo(path_str(p), _layer(path_str(p)), 0, True,
                          self._ranks.get(path_str(p), 2) >= 2)
                for p, _ in jax.tree_util.tree_leaves_with_path(state.grad_sq)]

    def _note_shapes(self, params: Any) -> None:
        """Which leaves are weight matrices (their ratios are judged), seen at ``init``."""
        self._ranks = {path_str(p): jnp.ndim(x)
                       for p, x in jax.tree_util.tree_leaves_with_path(params)}

    def _lr(self, state: MonitorState) -> Any:
        if callable(self.learning_rate):
            return self.learning_rate(state.count - 1)
        if self.learning_rate is not None:
            return jnp.asarray(self.learning_rate)
        hyper = getattr(state.inner, "hyperparams", None)
        return hyper.get("learning_rate") if isinstance(hyper, dict) else None

    def _nonfinite(self, step: int, what: str) -> None:
        assert self.judge is not None
        origin = Origin("backward" if "gradient" in what else "forward", None, None, None,
                        False, "the monitor reads its flags every few steps; wrap the train "
                        "step in lintnn.jax.watch for the primitive and line")
        self.judge.report("NR401", "nonfinite", f"{what}: {origin.describe()}: lower the "
                          "learning rate, clip gradients, and look for log/sqrt/division of "
                          "zero or negative values (37 reasons #37; NaN notes)", step=step)
        error = NonFiniteError(origin, self.judge.findings[-1].message)
        error.diagnostic = self.judge.findings[-1]  # type: ignore[attr-defined]
        raise error
