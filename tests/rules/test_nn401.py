"""NN401 batchnorm-after-dropout."""

from __future__ import annotations

import pytest

from tests.helpers import assert_findings

POSITIVES = {
    "flax_sequential": """
        import flax.linen as nn
        layers = nn.Sequential([nn.Dense(8), nn.Dropout(0.1), nn.BatchNorm()])  # expect: NN401
    """,
    "keras_list": """
        from tensorflow.keras import layers, Sequential
        model = Sequential([
            layers.Dense(32),
            layers.Dropout(0.2),
            layers.BatchNormalization(),  # expect: NN401
        ])
    """,
    "keras_add": """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dense(32))
        model.add(keras.layers.Dropout(0.2))
        model.add(keras.layers.BatchNormalization())  # expect: NN401
    """,
    "nested_call": """
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.1)
                self.bn = nn.BatchNorm2d(16)
            def forward(self, x):
                return self.bn(self.drop(x))  # expect: NN401
    """,
    "functional_dropout_then_bn": """
        import torch.nn as nn
        import torch.nn.functional as F
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.bn = nn.BatchNorm1d(16)
            def forward(self, x):
                x = F.dropout(x, 0.1, self.training)
                return self.bn(x)  # expect: NN401
    """,
    "flax_compact": """
        import flax.linen as nn
        class Block(nn.Module):
            @nn.compact
            def __call__(self, x, train: bool):
                x = nn.Dropout(0.1, deterministic=not train)(x)
                x = nn.BatchNorm(use_running_average=not train)(x)  # expect: NN401
                return x
    """,
}

NEGATIVES = {
    "dropout_after_batchnorm": """
        import torch.nn as nn
        head = nn.Sequential(nn.Linear(8, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5))
    """,
    "layer_between": """
        import torch.nn as nn
        head = nn.Sequential(nn.Dropout(0.5), nn.Linear(8, 8), nn.BatchNorm1d(8))
    """,
    "different_keras_models": """
        import keras
        a = keras.Sequential()
        b = keras.Sequential()
        a.add(keras.layers.Dropout(0.2))
        b.add(keras.layers.BatchNormalization())
    """,
    "keras_adds_not_adjacent": """
        import keras
        model = keras.Sequential()
        model.add(keras.layers.Dropout(0.2))
        if wide:
            model.add(keras.layers.Dense(64))  # may run between the two
        model.add(keras.layers.BatchNormalization())
    """,
    "bn_on_a_different_tensor": """
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.1)
                self.bn = nn.BatchNorm1d(16)
            def forward(self, x, skip):
                y = self.drop(x)
                return self.bn(skip) + y
    """,
    "rebound_between": """
        import torch.nn as nn
        class Block(nn.Module):
            def __init__(self):
                super().__init__()
                self.drop = nn.Dropout(0.1)
                self.bn = nn.BatchNorm1d(16)
                self.fc = nn.Linear(16, 16)
            def forward(self, x):
                x = self.drop(x)
                x = self.fc(x)
                return self.bn(x)
    """,
    "unpacked_star_layers": """
        import torch.nn as nn
        def make(layers):
            return nn.Sequential(nn.Dropout(0.1), *layers, nn.BatchNorm1d(4))
    """,
}


@pytest.mark.parametrize("name", sorted(POSITIVES))
def test_positive(name: str) -> None:
    assert_findings(POSITIVES[name], "NN401")


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_negative(name: str) -> None:
    assert_findings(NEGATIVES[name], "NN401")
