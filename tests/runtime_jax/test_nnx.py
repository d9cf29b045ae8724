"""flax nnx models get module paths, as linen models do (nnx names no scopes itself)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from flax import nnx

import lintnn
import lintnn.jax as lj

X = jax.random.normal(jax.random.PRNGKey(1), (6, 5))


class Head(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.fc = nnx.Linear(8, 4, rngs=rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.log(self.fc(x))  # log of a negative logit: NaN


class Net(nnx.Module):
    def __init__(self, rngs: nnx.Rngs) -> None:
        self.layers = nnx.List([nnx.Linear(5, 8, rngs=rngs), nnx.Linear(8, 8, rngs=rngs)])
        self.head = Head(rngs)

    def __call__(self, x: jax.Array) -> jax.Array:
        for layer in self.layers:
            x = jax.nn.relu(layer(x))
        return self.head(x)


def test_watch_names_the_nnx_module() -> None:
    model = Net(nnx.Rngs(0))
    with pytest.raises(lintnn.NonFiniteError) as info:
        lj.watch(model)(X)
    assert (info.value.origin.module, info.value.origin.op) == ("head", "log")
    assert info.value.diagnostic.module == "head"


def test_probe_names_every_nnx_module_and_restores_the_classes() -> None:
    before = (nnx.Linear.__call__, Head.__call__)
    rep = lj.probe_shapes(Net(nnx.Rngs(0)), X)
    assert rep.data["modules"]["layers/1"] == "(B, 8)"
    assert rep.data["modules"]["head/fc"] == "(B, 4)"
    assert (nnx.Linear.__call__, Head.__call__) == before
