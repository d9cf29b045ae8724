"""NN301: manual batching of i.i.d. random draws has no order to shuffle; data with an
order (loaded, or a grid plus noise) batched in order stays flagged."""

from __future__ import annotations

from textwrap import dedent

from tests.helpers import assert_findings

_LOOP = """
def train(params, x_train, y_train, batch_size):
    for epoch in range(100):
        for i in range(0, len(x_train), batch_size):  # expect: NN301
            params = step(params, x_train[i:i + batch_size], y_train[i:i + batch_size])
    return params
"""


def _flagged(source: str) -> str:
    return dedent(source) + _LOOP


def _tn(source: str) -> str:
    return dedent(source) + _LOOP.replace("  # expect: NN301", "")


def test_draws_returned_by_a_helper_and_passed_on_are_not_reported() -> None:
    assert_findings(
        _tn(
            """
            import jax
            import jax.numpy as jnp
            import numpy as np

            def make_data(key, n):
                x = jax.random.uniform(key, shape=(n, 1), minval=0, maxval=2 * np.pi)
                y = jnp.sin(x)
                return x, y

            def main(key):
                x_train, y_train = make_data(key, 1000)
                return train(None, x_train, y_train, 32)
            """
        ),
        "NN301",
    )


def test_scaled_draws_in_the_same_function_are_not_reported() -> None:
    assert_findings(
        """
        import numpy as np

        scale = 3.0
        x_train = scale * np.random.randn(1000, 4) + 1
        y_train = x_train.sum(1)
        for epoch in range(10):
            for i in range(0, 1000, 32):
                x = x_train[i:i + 32]
                opt.step(loss(model(x), y_train[i:i + 32]))
        """.replace("y_train = x_train.sum(1)", "y_train = np.tanh(x_train)"),
        "NN301",
    )


def test_data_loaded_from_a_file_and_batched_in_order_stays_reported() -> None:
    assert_findings(
        _flagged(
            """
        import numpy as np

        def main():
            x_train = np.load("x.npy")
            y_train = np.load("y.npy")
            return train(None, x_train, y_train, 32)
        """
        ),
        "NN301",
    )


def test_a_grid_plus_noise_has_an_order_and_stays_reported() -> None:
    """``linspace + noise``: the rows are sorted by x, one draw does not make them i.i.d."""
    assert_findings(
        _flagged(
            """
        import numpy as np

        def main():
            x_train = np.linspace(0, 1, 1000) + np.random.normal(0, 0.1, 1000)
            y_train = np.sin(x_train)
            return train(None, x_train, y_train, 32)
        """
        ),
        "NN301",
    )


def test_one_caller_with_real_data_keeps_the_finding() -> None:
    assert_findings(
        _flagged(
            """
        import numpy as np

        def main():
            train(None, np.random.rand(100, 2), np.random.rand(100), 10)
            x, y = np.load("x.npy"), np.load("y.npy")
            return train(None, x, y, 32)
        """
        ),
        "NN301",
    )


def test_draws_for_the_inputs_only_keep_the_finding() -> None:
    """Random inputs with labels read from a file: the labels' order is not random."""
    assert_findings(
        _flagged(
            """
        import numpy as np

        def main():
            x_train = np.random.rand(1000, 3)
            y_train = np.load("y.npy")
            return train(None, x_train, y_train, 32)
        """
        ),
        "NN301",
    )


_CHUNKS = """
import numpy as np

X_train, y_train = np.load("x.npy"), np.load("y.npy")
train_batch = np.array_split(X_train, 50)
label_batch = np.array_split(y_train, 50)
"""


def test_chunks_cut_once_and_walked_by_index_every_epoch() -> None:
    assert_findings(
        _CHUNKS
        + """
for epoch in range(300):
    for i in range(len(train_batch)):  # expect: NN301
        optimizer.zero_grad()
        loss = criterion(model(train_batch[i]), label_batch[i])
        loss.backward()
        optimizer.step()
""",
        "NN301",
    )


def test_chunks_shuffled_every_epoch_are_not_reported() -> None:
    assert_findings(
        _CHUNKS
        + """
import random

for epoch in range(300):
    pairs = list(zip(train_batch, label_batch))
    random.shuffle(pairs)
    for i in range(len(pairs)):
        optimizer.zero_grad()
        criterion(model(pairs[i][0]), pairs[i][1]).backward()
        optimizer.step()
""",
        "NN301",
    )


def test_validation_chunks_walked_in_order_are_not_reported() -> None:
    assert_findings(
        """
import numpy as np

val_batch = np.array_split(X_val, 50)
for epoch in range(300):
    for j in range(len(val_batch)):
        optimizer.zero_grad()
        criterion(model(val_batch[j]), y).backward()
        optimizer.step()
""",
        "NN301",
    )


def test_chunks_of_random_draws_are_not_reported() -> None:
    assert_findings(
        """
import numpy as np

x_train = np.random.rand(1000, 4)
train_batch = np.array_split(x_train, 10)
for epoch in range(300):
    for i in range(len(train_batch)):
        optimizer.zero_grad()
        criterion(model(train_batch[i]), target).backward()
        optimizer.step()
""",
        "NN301",
    )


def test_a_list_rebound_in_the_loop_is_not_the_chunks() -> None:
    """``batches`` bound twice (chunked, then rebuilt each epoch): not known to be fixed."""
    assert_findings(
        """
import numpy as np

train_batch = np.array_split(X_train, 50)
for epoch in range(300):
    train_batch = make_batches(X_train)
    for i in range(len(train_batch)):
        optimizer.zero_grad()
        criterion(model(train_batch[i]), y).backward()
        optimizer.step()
""",
        "NN301",
    )
