"""Small flax models for the JAX runtime tests: healthy ones and one per bug."""

from __future__ import annotations

import flax.linen as nn
import jax
import jax.numpy as jnp


class MLP(nn.Module):
    """A healthy classifier."""

    hidden: int = 32
    classes: int = 4

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(self.hidden, name="fc1")(x))
        x = nn.relu(nn.Dense(self.hidden, name="fc2")(x))
        return nn.Dense(self.classes, name="out")(x)


class LogHead(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return jnp.log(nn.Dense(4, name="fc")(x))  # log of a negative logit: NaN


class NaNMLP(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(8, name="fc1")(x))
        return LogHead(name="head")(x)


class Attention(nn.Module):
    """Multi-head self-attention; ``buggy`` splits heads with a reshape that mixes T and H."""

    heads: int = 2
    dim: int = 8
    buggy: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        b, t, _ = x.shape
        h, d = self.heads, self.dim // self.heads
        q, k, v = (nn.Dense(self.dim, name=n)(x) for n in ("q", "k", "v"))
        if self.buggy:
            q, k, v = (a.reshape(b, h, t, d) for a in (q, k, v))
        else:
            q, k, v = (a.reshape(b, t, h, d).transpose(0, 2, 1, 3) for a in (q, k, v))
        w = jax.nn.softmax(q @ k.transpose(0, 1, 3, 2) / jnp.sqrt(d), axis=-1)
        y = (w @ v).transpose(0, 2, 1, 3).reshape(b, t, self.dim)
        return nn.Dense(self.dim, name="proj")(y)


class Block(nn.Module):
    """A pre-norm transformer block."""

    buggy: bool = False

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = x + Attention(buggy=self.buggy, name="attn")(nn.LayerNorm(name="ln1")(x))
        h = nn.gelu(nn.Dense(16, name="up")(nn.LayerNorm(name="ln2")(x)))
        return x + nn.Dense(8, name="down")(h)


class BatchSoftmax(nn.Module):
    """Softmax over the batch axis: row i of the output depends on every row."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return jax.nn.softmax(nn.Dense(4, name="fc")(x), axis=0)


class CNN(nn.Module):
    classes: int = 4

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Conv(8, (3, 3), name="conv1")(x))
        x = nn.avg_pool(x, (2, 2), strides=(2, 2))
        x = x.reshape(x.shape[0], -1)
        return nn.Dense(self.classes, name="out")(x)


def xent(logits: jax.Array, labels: jax.Array) -> jax.Array:
    logp = jax.nn.log_softmax(logits)
    return -jnp.take_along_axis(logp, labels[:, None], axis=-1).mean()


def abstract_bind(model: nn.Module, x: jax.Array):
    """``partial(model.apply, params)`` with zero params built from ``eval_shape`` (no init
    compile): enough for shape probes, which never look at values."""
    import functools

    shapes = jax.eval_shape(model.init, jax.random.PRNGKey(0), x)
    params = jax.tree_util.tree_map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
    return functools.partial(model.apply, params)


class DeadMLP(nn.Module):
    """Hidden bias initialised far below zero: every ReLU unit of fc1 is off."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        x = nn.relu(nn.Dense(32, bias_init=nn.initializers.constant(-50.0), name="fc1")(x))
        x = nn.relu(nn.Dense(32, name="fc2")(x))
        return nn.Dense(4, name="out")(x)


class SqrtHead(nn.Module):
    """Divides by the norm of each row: finite forward, NaN gradient for an all-zero row."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        h = nn.Dense(8, use_bias=False, name="fc")(x)
        return nn.Dense(4, name="out")(h / (1.0 + jnp.linalg.norm(h, axis=-1, keepdims=True)))


class SqrtMLP(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        return SqrtHead(name="head")(x)


class DeepSigmoid(nn.Module):
    """Twelve sigmoid layers with a tiny init: the first layers' gradients vanish."""

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        for i in range(12):
            x = nn.sigmoid(nn.Dense(16, kernel_init=nn.initializers.normal(0.01),
                                    name=f"l{i}")(x))
        return nn.Dense(4, name="out")(x)
