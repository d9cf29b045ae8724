"""A flax model with three silent bugs, and the lintnn.jax calls that find them.

    python examples/runtime_jax_buggy.py
"""

from __future__ import annotations

import functools

import flax.linen as nn
import jax
import jax.numpy as jnp

import lintnn
import lintnn.jax as lj


class SelfAttention(nn.Module):
    heads: int = 4

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, c = x.shape
        q = nn.Dense(c, name="q")(x).reshape(b, self.heads, t, c // self.heads)  # BUG: NR101
        w = jax.nn.softmax(q @ q.transpose(0, 1, 3, 2), axis=-1)
        return (w @ q).transpose(0, 2, 1, 3).reshape(b, t, c)


class Regressor(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = SelfAttention(name="attn")(x).mean(axis=1)
        return nn.Dense(1, name="head")(jnp.log(x))  # BUG: log of a negative: NaN (NR201)


def mse(pred: jax.Array, target: jax.Array) -> jax.Array:
    return ((pred - target) ** 2).mean()  # BUG with target (B,): (B,1)-(B,) is (B,B) (NR102)


def main() -> None:
    x = jax.random.normal(jax.random.PRNGKey(0), (8, 12, 16))
    y = jax.random.normal(jax.random.PRNGKey(1), (8,))
    model = Regressor()
    params = model.init(jax.random.PRNGKey(2), x)
    apply = functools.partial(model.apply, params)

    print(lj.probe_shapes(apply, x, target=y, loss_fn=mse))
    try:
        lj.watch(jax.jit(apply))(x)
    except lintnn.NonFiniteError as err:
        print("watch:", err)


if __name__ == "__main__":
    main()
