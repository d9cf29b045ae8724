"""NN402 constant-weight-init and NN403 bias-before-batchnorm."""

from __future__ import annotations

from tests.helpers import assert_findings

TORCH = """
import torch
import torch.nn as nn
"""


def test_nn402_constant_weights_on_known_layers() -> None:
    assert_findings(TORCH + """
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 8)
        self.emb = nn.Embedding(10, 8)
        nn.init.ones_(self.fc.weight)  # expect: NN402
        nn.init.constant_(self.emb.weight, 0.5)  # expect: NN402
        self.fc.weight.data.fill_(0.01)  # expect: NN402

    def _init_weights(self, module):
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            nn.init.zeros_(module.weight)  # expect: NN402
            module.bias.data.zero_()
""", "NN402")


def test_nn402_norms_biases_and_single_zero_layers_are_fine() -> None:
    assert_findings(TORCH + """
class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm = nn.LayerNorm(8)
        self.bn = nn.BatchNorm2d(8)
        self.proj = nn.Linear(8, 8)
        nn.init.ones_(self.norm.weight)
        nn.init.constant_(self.bn.weight, 0)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)
        self.proj.weight.data.zero_()

    def _init_weights(self, module):
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.LayerNorm):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, CustomLayer):
            module.weight.data.fill_(1.0)

    def single_output(self):
        self.score = nn.Linear(8, 1)
        nn.init.constant_(self.score.weight, 0.1)

    def unknown(self, layer, value):
        nn.init.constant_(layer.weight, value)
        nn.init.ones_(layer.weight)
""", "NN402")


def test_nn402_keras_and_flax_initializers() -> None:
    assert_findings("""
import keras
from keras import layers
import flax.linen as nn

model = keras.Sequential([
    layers.Dense(64, activation="relu", kernel_initializer="zeros"),  # expect: NN402
    layers.Dense(64, kernel_initializer=keras.initializers.Constant(0.1)),  # expect: NN402
    layers.Dense(10, kernel_initializer="zeros"),
    layers.Dense(10, bias_initializer="ones"),
    layers.Dense(1, kernel_initializer="ones"),
])

class Head(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Dense(4, kernel_init=nn.initializers.ones)(x)  # expect: NN402
        x = nn.Dense(4, kernel_init=nn.initializers.zeros)(x)
        return nn.LayerNorm(scale_init=nn.initializers.ones)(x)
""", "NN402")


def test_nn402_keras_initializer_held_in_a_variable() -> None:
    assert_findings("""
from tensorflow import keras
from tensorflow.keras import initializers
from tensorflow.keras.layers import Dense

def create_model(n_features, init):
    model = keras.models.Sequential()
    k_initializer = initializers.Ones()
    b_initializer = initializers.Ones()
    model.add(Dense(5, input_shape=(n_features,), kernel_initializer=k_initializer,  # expect: NN402
                    bias_initializer=b_initializer))
    model.add(Dense(5, kernel_initializer=k_initializer))  # expect: NN402
    model.add(Dense(1, kernel_initializer=k_initializer))
    random_init = initializers.GlorotUniform()
    zeros = initializers.Zeros()
    model.add(Dense(5, kernel_initializer=random_init, bias_initializer=b_initializer))
    model.add(Dense(5, kernel_initializer=zeros))
    model.add(Dense(5, kernel_initializer=init))
    chosen = initializers.Ones() if init is None else init
    model.add(Dense(5, kernel_initializer=chosen))
    return model
""", "NN402")


def test_nn403_sequential_and_forward() -> None:
    assert_findings(TORCH + """
features = nn.Sequential(
    nn.Conv2d(3, 16, 3),  # expect: NN403
    nn.BatchNorm2d(16),
    nn.ReLU(),
    nn.Linear(16, 16, bias=True),  # expect: NN403
    nn.BatchNorm1d(16),
)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)  # expect: NN403
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 8)  # expect: NN403
        self.bn1 = nn.BatchNorm1d(8)

    def forward(self, x):
        x = self.bn(self.conv(x))
        h = self.fc(x)
        return self.bn1(h)
""", "NN403")


def test_nn403_no_bias_or_something_between() -> None:
    assert_findings(TORCH + """
features = nn.Sequential(
    nn.Conv2d(3, 16, 3, bias=False),
    nn.BatchNorm2d(16),
    nn.Conv2d(16, 16, 3),
    nn.ReLU(),
    nn.BatchNorm2d(16),
    nn.Conv2d(16, 16, 3, 1, 1, 1, 1, False),
    nn.BatchNorm2d(16),
    nn.Conv2d(16, 16, 3, bias=use_bias),
    nn.BatchNorm2d(16),
)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3)
        self.bn = nn.BatchNorm2d(8)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        return self.bn(x)
""", "NN403")


def test_nn403_keras_and_flax() -> None:
    assert_findings("""
import keras
from keras import layers
import flax.linen as nn

model = keras.Sequential([
    layers.Conv2D(32, 3),  # expect: NN403
    layers.BatchNormalization(),
    layers.Conv2D(32, 3, use_bias=False),
    layers.BatchNormalization(),
])

inputs = keras.Input((32, 32, 3))
x = layers.Conv2D(32, 3)(inputs)  # expect: NN403
x = layers.BatchNormalization()(x)

class Block(nn.Module):
    @nn.compact
    def __call__(self, x, train):
        x = nn.Conv(32, (3, 3), use_bias=False)(x)
        return nn.BatchNorm(use_running_average=not train)(x)
""", "NN403")


def test_nn403_keras_layer_with_its_own_activation() -> None:
    """Real-world (a book's exercises): ``Dense(300, activation="relu")`` then
    BatchNormalization: the ReLU sits between the bias and the BatchNorm."""
    assert_findings("""
import keras

model = keras.models.Sequential([
    keras.layers.Dense(300, activation="relu"),
    keras.layers.BatchNormalization(),
    keras.layers.Dense(100, activation=None),  # expect: NN403
    keras.layers.BatchNormalization(),
    keras.layers.Dense(100, activation="linear"),  # expect: NN403
    keras.layers.BatchNormalization(),
])
""", "NN403")
