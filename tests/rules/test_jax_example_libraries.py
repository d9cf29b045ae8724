"""jax.example_libraries: NN514 optimizer-step-index-fixed (optimizers updated with a
constant step index, where the optimizer or its schedule reads it) and stax layers."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_adam_updated_with_step_zero_in_a_jitted_step_and_a_loop() -> None:
    assert_findings("""
import jax
from jax.example_libraries import optimizers

opt_init, opt_update, get_params = optimizers.adam(1e-3)


@jax.jit
def update(params, opt_state, batch):
    grads = jax.grad(loss)(params, batch)
    opt_state = opt_update(0, grads, opt_state)  # expect: NN514
    return get_params(opt_state), opt_state


def train(params, batches):
    global apply_update
    init, apply_update, params_of = optimizers.sgd(optimizers.exponential_decay(0.1, 100, 0.9))
    state = init(params)
    for batch in batches:
        state = apply_update(1, jax.grad(loss)(params_of(state), batch), state)  # expect: NN514
    return state
""", "NN514")


def test_a_counting_index_a_constant_sgd_and_a_rebound_name_are_fine() -> None:
    assert_findings("""
import jax
from jax.example_libraries import optimizers

opt_init, opt_update, get_params = optimizers.adam(1e-3)
sgd_init, sgd_update, sgd_params = optimizers.sgd(0.01)
m_init, m_update, m_params = optimizers.adam(1e-3)
m_update = make_update()


def train(state, batches):
    for i, batch in enumerate(batches):
        state = opt_update(i, jax.grad(loss)(get_params(state), batch), state)
        state = sgd_update(0, jax.grad(loss)(sgd_params(state), batch), state)
        state = m_update(0, jax.grad(loss)(m_params(state), batch), state)
    return state


def other_update(step, grads, state):
    return step


other_update(0, 1, 2)
""", "NN514")


def test_nn403_stax_conv_and_dense_straight_into_batchnorm() -> None:
    """stax layers always have a bias; ``serial`` chains them (NN403)."""
    assert_findings("""
from jax.example_libraries import stax
from jax.example_libraries.stax import BatchNorm, Conv, Dense, Relu

init_fn, apply_fn = stax.serial(
    Conv(32, (5, 5), padding="SAME"),  # expect: NN403
    BatchNorm(),
    Relu,
    Conv(64, (5, 5)),
    Relu,
    BatchNorm(),
    Dense(10),  # expect: NN403
    BatchNorm(axis=(0,)),
)
""", "NN403")
