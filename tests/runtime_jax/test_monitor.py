"""``lintnn.jax.monitor`` on real optax training loops of a flax MLP."""

from __future__ import annotations

import functools
import logging

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import lintnn
import lintnn.jax as lj

from .models import MLP

CLASSES = 4
MAP = np.random.default_rng(99).normal(size=(10, CLASSES))


@pytest.fixture(autouse=True)
def _quiet() -> object:
    logging.getLogger("lintnn.monitor").setLevel(logging.ERROR)
    yield
    logging.getLogger("lintnn.monitor").setLevel(logging.NOTSET)


def batches(steps: int, random_labels: bool = False, nan_at: int | None = None):
    rng = np.random.default_rng(0)
    for step in range(steps):
        x = rng.normal(size=(32, 10)).astype("float32")
        y = rng.integers(0, CLASSES, 32) if random_labels else (x @ MAP).argmax(1)
        if step == nan_at:
            x[0, 0] = np.nan
        yield jnp.asarray(x), jnp.asarray(y)


def run(mon: lj.monitor, steps: int, model: nn.Module | None = None, **data: object) -> dict:
    model = model or MLP()
    params = model.init(jax.random.key(0), jnp.zeros((1, 10)))
    tx = mon.optimizer
    state = tx.init(params)

    @jax.jit
    def train_step(params, state, x, y):
        def loss_fn(p):
            logits = model.apply(p, x)
            return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, state = tx.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    with mon:
        for x, y in batches(steps, **data):
            params, state, loss = train_step(params, state, x, y)
            mon.step(state, loss)
    return params


def test_healthy_200_steps_are_silent() -> None:
    mon = lj.monitor(optax.adam(1e-2), num_classes=CLASSES)
    run(mon, 200)
    rep = mon.report
    assert rep.findings == []
    timeline = rep.data["timeline"]
    assert len(timeline["loss"]) == 200  # the losses after the last read, read at the end
    assert timeline["sample_steps"] == list(range(0, 200, 10))
    assert set(timeline["grad_norm"]) == {"fc1", "fc2", "out"}


def test_random_labels_sit_at_chance() -> None:
    mon = lj.monitor(optax.adam(1e-2), num_classes=CLASSES)
    run(mon, 130, random_labels=True)
    f = next(f for f in mon.report.findings if f.code == "NR405")
    assert f.extra["step"] <= 110


def test_nan_batch_is_named_at_the_step_it_appeared() -> None:
    mon = lj.monitor(optax.adam(1e-2))
    with pytest.raises(lintnn.NonFiniteError) as err:
        run(mon, 40, nan_at=13)
    assert err.value.diagnostic.code == "NR401"
    assert err.value.diagnostic.extra["step"] == 13  # found at the read of step 20


def test_schedule_decaying_to_zero() -> None:
    schedule = optax.exponential_decay(1e-2, transition_steps=10, decay_rate=0.05,
                                       staircase=True)
    mon = lj.monitor(optax.adam(schedule), learning_rate=schedule)
    run(mon, 100)
    assert [(f.code, f.extra["since"], f.extra["step"]) for f in mon.report.findings] == [
        ("NR411", 30, 50)]


def test_unused_parameter_never_trains() -> None:
    class Spare(nn.Module):
        @nn.compact
        def __call__(self, x: jax.Array) -> jax.Array:
            self.param("spare", nn.initializers.ones, (3, 3))
            return MLP(name="mlp")(x)

    mon = lj.monitor(optax.adam(1e-2))
    run(mon, 50, model=Spare())
    assert [(f.code, f.module, f.extra["step"]) for f in mon.report.findings] == [
        ("NR410", "", 40)]


def test_learning_rate_from_inject_hyperparams() -> None:
    tx = optax.inject_hyperparams(optax.sgd)(learning_rate=0.0)
    mon = lj.monitor(tx)
    run(mon, 40)
    assert [f.code for f in mon.report.findings] == ["NR410"]  # a learning rate of 0


def test_not_an_optimizer_is_refused() -> None:
    with pytest.raises(TypeError, match="GradientTransformation"):
        lj.monitor(functools.partial(optax.adam, 1e-3))  # type: ignore[arg-type]


def test_validation_loss_rising_while_training_falls() -> None:
    readings = iter([1.0, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4])
    mon = lj.monitor(optax.adam(1e-2), val_loss_fn=lambda: next(readings), val_every=20)
    run(mon, 160)
    assert [(f.code, f.extra["step"]) for f in mon.report.findings] == [("NR413", 100)]
    assert [s for s, _ in mon.report.data["timeline"]["val"]] == list(range(20, 161, 20))
