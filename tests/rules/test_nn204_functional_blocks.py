"""NN204: Keras functional blocks whose mode flag defaults to its training value, called
without it by the function that builds the ``Model``."""

from __future__ import annotations

from tests.helpers import assert_findings

BLOCK = """
from tensorflow.keras.layers import Input, Conv2D, BatchNormalization, Add, Dense, Dropout
from tensorflow.keras.models import Model


def identity_block(X, filters, training=True):
    shortcut = X
    X = Conv2D(filters, 3, padding="same")(X)
    X = BatchNormalization(axis=3)(X, training=training)
    return Add()([X, shortcut])


def head(X, rate, training=True):
    return Dropout(rate)(X, training=training)
"""


def test_builder_calling_blocks_without_the_flag_is_reported_once() -> None:
    assert_findings(BLOCK + """

def ResNet(shape=(32, 32, 3)):
    X_input = Input(shape)
    X = Conv2D(64, 3)(X_input)
    X = identity_block(X, 64)  # expect: NN204
    X = identity_block(X, 64)
    X = head(X, 0.5)
    return Model(inputs=X_input, outputs=Dense(10)(X))
""", "NN204")


def test_builder_passing_the_flag_through_is_silent() -> None:
    assert_findings(BLOCK + """

def ResNet(shape=(32, 32, 3), training=None):
    X_input = Input(shape)
    X = identity_block(X_input, 64, training=training)
    X = identity_block(X, 64, training)
    return Model(inputs=X_input, outputs=X)
""", "NN204")


def test_block_defaulting_to_none_or_false_is_silent() -> None:
    assert_findings("""
from tensorflow.keras.layers import Input, BatchNormalization
from tensorflow.keras.models import Model


def bn_block(X, training=None):
    return BatchNormalization()(X, training=training)


def bn_frozen(X, training=False):
    return BatchNormalization()(X, training=training)


def build():
    X_input = Input((8,))
    return Model(X_input, bn_frozen(bn_block(X_input)))
""", "NN204")


def test_block_called_outside_a_model_builder_is_silent() -> None:
    """A direct call (a unit check of the block on a tensor) builds no graph to evaluate."""
    assert_findings(BLOCK + """

def check_block(X):
    return identity_block(X, 64)


out = identity_block(None, 64)
""", "NN204")


def test_block_whose_flag_reaches_no_dropout_or_batch_norm_is_silent() -> None:
    assert_findings("""
from tensorflow.keras.layers import Input, Dense
from tensorflow.keras.models import Model


def dense_block(X, training=True):
    return Dense(8)(X)


def build():
    X_input = Input((8,))
    return Model(inputs=X_input, outputs=dense_block(X_input))
""", "NN204")
