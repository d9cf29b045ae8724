"""A small JAX/optax training script with the mistakes lintnn finds.

Run ``lintnn check examples/`` to see them.
"""

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax


class MLP(nn.Module):
    @nn.compact
    def __call__(self, x, train: bool = True):
        x = nn.relu(nn.Dense(64)(x))
        x = nn.Dropout(0.1, deterministic=not train)(x)
        return nn.Dense(3)(x)


model = MLP()
key = jax.random.PRNGKey(0)
x = jax.random.normal(key, (256, 20))
y = jax.random.randint(key, (256,), 0, 3)
params = model.init(key, x)

optimizer = optax.adam(1e-3)
opt_state = optimizer.init(params)


def loss_fn(params, x, y, dropout_key):
    logits = model.apply(params, x, rngs={"dropout": dropout_key})
    return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()


for _ in range(100):
    noise = 0.01 * jax.random.normal(key, x.shape)
    grads = jax.grad(loss_fn)(params, x + noise, y, key)
    updates, _ = optimizer.update(grads, opt_state, params)
    optax.apply_updates(params, updates)

print(jnp.mean(loss_fn(params, x, y, key)))


# The same model trained with the older jax.example_libraries optimizers.
from jax.example_libraries import optimizers  # noqa: E402

opt_init, opt_update, get_params = optimizers.adam(1e-3)
legacy_state = opt_init(params)
for step in range(100):
    grads = jax.grad(loss_fn)(get_params(legacy_state), x, y, jax.random.fold_in(key, step))
    legacy_state = opt_update(0, grads, legacy_state)
