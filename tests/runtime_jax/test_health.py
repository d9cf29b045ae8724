"""check_health: a healthy flax MLP passes every check; each code has a model that fires it."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
import pytest

import lintnn.jax as lj

from .models import MLP, DeadMLP, xent

X = jax.random.normal(jax.random.PRNGKey(1), (16, 8))
Y = jax.random.randint(jax.random.PRNGKey(2), (16,), 0, 4)


@pytest.fixture(scope="module")
def mlp():
    model = MLP()
    return model, model.init(jax.random.PRNGKey(0), X)


def _loss(model, transform=lambda logits: logits, inputs=lambda x: x):
    def loss(params, batch):
        x, y = batch
        return xent(transform(model.apply(params, inputs(x))), y)

    return loss


def test_healthy_mlp_passes_every_check(mlp) -> None:
    model, params = mlp
    before = jax.tree_util.tree_map(jnp.copy, params)
    rep = lj.check_health(_loss(model), params, (X, Y), num_classes=4)
    assert rep.ok, str(rep)
    assert rep.data["overfit_losses"][-1] < 0.2 * rep.data["overfit_losses"][0]
    assert set(rep.data["grad_norms"]) == {"fc1", "fc2", "out"}
    assert len(rep.data["dead_relus"]) == 2
    same = jax.tree_util.tree_map(lambda a, b: bool((a == b).all()), params, before)
    assert all(jax.tree_util.tree_leaves(same)), "check_health must not modify params"


def test_overconfident_init_is_nr301(mlp) -> None:
    model, params = mlp
    rep = lj.check_health(_loss(model, transform=lambda z: z * 30.0), params, (X, Y),
                          num_classes=4, steps=5)
    assert "NR301" in rep.codes()
    assert rep.data["initial_loss"] > 1.6 * rep.data["chance_loss"]


def test_output_ignoring_the_input_cannot_overfit_nr302(mlp) -> None:
    model, params = mlp
    rep = lj.check_health(_loss(model, inputs=lambda x: x * 0.0), params, (X, Y), num_classes=4)
    (overfit,) = [f for f in rep.findings if f.code == "NR302"]
    assert overfit.extra["final"] > 0.5


def test_detached_layer_is_nr303_with_its_path(mlp) -> None:
    model, params = mlp

    def loss(p, batch):
        frozen = {"params": {**p["params"], "fc1": jax.lax.stop_gradient(p["params"]["fc1"])}}
        return xent(model.apply(frozen, batch[0]), batch[1])

    rep = lj.check_health(loss, params, (X, Y), optimizer=optax.sgd(0.1), steps=5)
    paths = {f.extra["path"] for f in rep.findings if f.code == "NR303"}
    assert paths == {"params/fc1/kernel", "params/fc1/bias"}
    assert {f.module for f in rep.findings if f.code == "NR303"} == {"fc1"}


def test_dead_relus_are_nr304() -> None:
    model = DeadMLP()
    params = model.init(jax.random.PRNGKey(0), X)
    rep = lj.check_health(_loss(model), params, (X, Y), steps=5)
    dead = [f for f in rep.findings if f.code == "NR304"]
    assert dead and dead[0].extra["dead_fraction"] == 1.0
    assert dead[0].source.endswith("models.py:" + str(_line("bias_init=nn.initializers")))


def _line(text: str) -> int:
    from . import models

    with open(models.__file__) as f:
        return next(i for i, line in enumerate(f, 1) if text in line)


def test_exploding_gradients_are_nr305(mlp) -> None:
    model, params = mlp
    rep = lj.check_health(lambda p, b: 1e5 * _loss(model)(p, b), params, (X, Y), steps=5)
    exploding = {f.module for f in rep.findings if f.code == "NR305"}
    assert exploding == {"fc1", "fc2", "out"}


def test_vanishing_gradients_in_early_layers_are_nr305() -> None:
    from .models import DeepSigmoid

    model = DeepSigmoid()
    params = model.init(jax.random.PRNGKey(0), X)
    rep = lj.check_health(_loss(model), params, (X, Y), steps=5)
    vanishing = {f.module for f in rep.findings if f.code == "NR305"}
    assert "l0" in vanishing and "out" not in vanishing
    assert rep.data["grad_norms"]["l0"] < rep.data["grad_norms"]["l11"]


def test_update_weight_ratios_are_recorded_per_layer(mlp) -> None:
    """The HTML report's update/weight panel needs them (it was missing for JAX)."""
    model, params = mlp
    rep = lj.check_health(_loss(model), params, (X, Y), optimizer=optax.sgd(0.1), steps=2)
    ratios = rep.data["update_weight_ratio"]
    assert set(ratios) == {"fc1", "fc2", "out"} and all(r > 0 for r in ratios.values())
    grads = jax.grad(_loss(model))(params, (X, Y))
    kernel, grad = params["params"]["out"]["kernel"], grads["params"]["out"]["kernel"]
    expected = 0.1 * float(jnp.linalg.norm(grad)) / float(jnp.linalg.norm(kernel))
    assert ratios["out"] == pytest.approx(expected, rel=1e-4)
