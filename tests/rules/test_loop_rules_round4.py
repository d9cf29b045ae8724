"""Round 4 of the corpus: NN509 after a split and across the streams of one rngs mapping."""

from __future__ import annotations

from tests.helpers import assert_findings

# NN509: a key drawn from after a split consumed it --------------------------------------


def test_nn509_a_key_drawn_from_after_it_was_split() -> None:
    assert_findings("""
import jax
from jax import random

key = random.PRNGKey(0)
key1, key2 = random.split(key)
x = random.normal(key1, (1, 28, 28, 1))
perms = random.permutation(key, 100)  # expect: NN509


def init(key):
    k1, k2 = jax.random.split(key)
    w = jax.random.normal(k1, (3, 3))
    b = jax.random.normal(key, (3,))  # expect: NN509
    return w, b, k2
""", "NN509")


def test_nn509_a_key_rebound_by_or_after_its_split_is_fresh() -> None:
    assert_findings("""
import jax
from jax import random


def fresh(key):
    key, sub = random.split(key)
    x = random.normal(key, (3,))
    return x, random.normal(sub, (3,))


def rebound(key):
    k1, k2 = random.split(key)
    key = k1
    return random.normal(key, (3,)), k2


def drawn_then_split(key):
    x = random.normal(key, (3,))
    key, sub = random.split(key)
    return x, key, sub


def exclusive(key, flag):
    if flag:
        k1, k2 = random.split(key)
        return k1, k2
    return random.normal(key, (3,))


def in_a_loop(key, n):
    for _ in range(n):
        key, sub = random.split(key)
    return random.normal(key, (3,))
""", "NN509")


# NN509: one key for two streams of one rngs mapping --------------------------------------


def test_nn509_one_key_for_two_rngs_streams() -> None:
    assert_findings("""
import jax
import flax.linen as nn
from flax import nnx

key = jax.random.PRNGKey(0)
model = nn.Dense(3)
x0 = jax.numpy.ones((1, 3))
rngs = {'params': key, 'dropout': key}  # expect: NN509
params = model.init(rngs, jax.numpy.ones((1, 3)))
variables = model.init({'params': key, 'dropout': key}, x0)  # expect: NN509
x = jax.numpy.ones((1, 3))
out = model.apply(variables, x, rngs={'dropout': key, 'noise': key})  # expect: NN509
streams = nnx.Rngs({"params": key, "dropout": key})  # expect: NN509
more = nnx.Rngs(params=key, dropout=key)  # expect: NN509
four = nnx.Rngs({"data": key, "params": key, "dropout": key, "sample": key})  # expect: NN509


def init(model, rng, x):
    return model.init({'params': rng, 'dropout': rng}, x)  # expect: NN509
""", "NN509")


def test_nn509_separate_keys_per_stream_and_other_dicts_are_fine() -> None:
    assert_findings("""
import jax
import optax
import flax.linen as nn
from flax import nnx

key = jax.random.PRNGKey(0)
k1, k2 = jax.random.split(key)
model = nn.Dense(3)
params = model.init({'params': k1, 'dropout': k2}, jax.numpy.ones((1, 3)))
out = model.apply(params, jax.numpy.ones((1, 3)), rngs={'dropout': k2})
streams = nnx.Rngs(params=0, dropout=1)
more = nnx.Rngs(params=k1, dropout=k2)
w = jax.numpy.ones((3,))
tied = {'encoder': w, 'decoder': w}
opt_state = optax.adam(1e-3).init(tied)
seed = 998244353
seeded = nnx.Rngs(params=seed, dropout=seed)


def init(model, seed, x):
    return model.init({'params': seed, 'dropout': seed}, x)
""", "NN509")
