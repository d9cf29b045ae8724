"""A flax model with batch norm, trained the way that forgets its statistics.

Run ``lintnn check examples/`` to see the mistakes.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax.training import train_state


class ConvNet(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool):
        x = nn.Conv(32, (3, 3), use_bias=False)(x)
        x = nn.relu(nn.BatchNorm(use_running_average=not train)(x))
        return nn.Dense(10)(x.mean(axis=(1, 2)))


class TrainState(train_state.TrainState):
    batch_stats: dict


def loss_fn(params, state, images, labels, class_weights):
    logits, _ = state.apply_fn(
        {"params": params, "batch_stats": state.batch_stats}, images,
        train=True, mutable=["batch_stats"])
    # Meant to ignore the padding class 0 in the loss.
    class_weights.at[0].set(0.0)
    losses = optax.softmax_cross_entropy_with_integer_labels(logits, labels)
    return (losses * class_weights[labels]).mean()


@jax.jit
def train_step(state, images, labels, class_weights):
    grads = jax.grad(loss_fn)(state.params, state, images, labels, class_weights)
    return state.apply_gradients(grads=grads)


def evaluate(state, images):
    variables = {"params": state.params, "batch_stats": state.batch_stats}
    return jnp.argmax(state.apply_fn(variables, images, train=False), -1)
