"""NN206 batch-stats-discarded."""

from __future__ import annotations

import textwrap

import pytest

from tests.helpers import assert_findings

# Every snippet takes gradients somewhere: the rule only looks at training files.
GRAD = """
import jax
import optax
grads = jax.grad(loss_fn)(params, batch_stats, x, y)
"""

POSITIVES = {
    "underscore": """
        def loss_fn(params, batch_stats, x, y):
            logits, _ = model.apply(  # expect: NN206
                {"params": params, "batch_stats": batch_stats}, x, mutable=["batch_stats"])
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "name_never_read": """
        def loss_fn(params, batch_stats, x, y):
            logits, new_stats = model.apply(  # expect: NN206
                {"params": params, "batch_stats": batch_stats}, x, mutable=["batch_stats"])
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "indexed_output": """
        def loss_fn(params, batch_stats, x, y):
            logits = model.apply(  # expect: NN206
                {"params": params, "batch_stats": batch_stats}, x, mutable=["batch_stats"])[0]
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "apply_fn_tuple_mutable": """
        def loss_fn(params, state, x, y):
            logits, _ = state.apply_fn(  # expect: NN206
                {"params": params, "batch_stats": state.batch_stats}, x,
                mutable=("batch_stats",))
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "string_mutable": """
        def loss_fn(params, batch_stats, x, y):
            out, _ = model.apply(  # expect: NN206
                {"params": params, "batch_stats": batch_stats}, x, mutable="batch_stats")
            return ((out - y) ** 2).mean()
    """,
}

NEGATIVES = {
    "returned_as_aux": """
        def loss_fn(params, batch_stats, x, y):
            logits, updates = model.apply(
                {"params": params, "batch_stats": batch_stats}, x, mutable=["batch_stats"])
            return optax.softmax_cross_entropy(logits, y).mean(), updates
    """,
    "stored_in_state": """
        def step(state, x):
            out, updates = state.apply_fn(
                {"params": state.params, "batch_stats": state.batch_stats}, x,
                mutable=["batch_stats"])
            return state.replace(batch_stats=updates["batch_stats"]), out
    """,
    "read_in_a_closure": """
        def step(state, x):
            out, updates = state.apply_fn(state.variables, x, mutable=["batch_stats"])
            def keep():
                return updates
            return keep, out
    """,
    "other_collection": """
        def loss_fn(params, x, y):
            logits, _ = model.apply({"params": params}, x, mutable=["intermediates"])
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "all_collections": """
        def loss_fn(params, x, y):
            logits, _ = model.apply({"params": params}, x, mutable=True)
            return optax.softmax_cross_entropy(logits, y).mean()
    """,
    "second_item_kept": """
        def update_stats(variables, x):
            return model.apply(variables, x, mutable=["batch_stats"])[1]
    """,
    "result_kept_whole": """
        def forward(variables, x):
            out = model.apply(variables, x, mutable=["batch_stats"])
            logits, stats = out
            return logits, stats
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(GRAD + textwrap.dedent(POSITIVES[name]), "NN206")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(GRAD + textwrap.dedent(NEGATIVES[name]), "NN206")


def test_a_file_that_takes_no_gradient_is_left_alone() -> None:
    # A forward pass in training mode to look at the output (a demo, a shape check).
    assert_findings("""
import flax.linen as nn
import jax

bn = nn.BatchNorm(use_running_average=False)
variables = bn.init(jax.random.PRNGKey(0), x)
y, _ = bn.apply(variables, x, mutable=["batch_stats"])
""", "NN206")


def test_unit_test_modules_are_left_alone() -> None:
    source = GRAD + textwrap.dedent(POSITIVES["underscore"])
    assert_findings(source.replace("  # expect: NN206", ""), "NN206",
                    filename="tests/test_batchnorm.py")


def test_a_loss_called_from_the_differentiated_lambda() -> None:
    # The loss helper is not passed to value_and_grad itself, a lambda calling it is.
    assert_findings("""
import jax

def mse_loss(params, model, batch):
    recon = model.apply(params, batch, mutable=["batch_stats"])[0]  # expect: NN206
    return ((recon - batch) ** 2).mean()

def train_step(state, batch):
    loss_fn = lambda params: mse_loss(params, model, batch)
    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss
""", "NN206")
