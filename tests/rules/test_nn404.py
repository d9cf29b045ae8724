"""NN404 affine-layers-without-activation: two affine layers with nothing nonlinear
between them collapse into one linear map."""

from __future__ import annotations

from tests.helpers import assert_findings as _assert_findings

# Every model below is trained in its file (the rule judges models that are trained):
# ``assert_findings`` adds a training step at the end, which moves no line.
_TRAINED = "\n\ndef train_step(loss, optimizer):\n    loss.backward()\n    optimizer.step()\n"


def assert_findings(source: str, code: str, filename: str = "example.py") -> None:
    _assert_findings(source + _TRAINED, code, filename)


def test_torch_sequential_runs_are_reported_once_at_their_first_layer() -> None:
    assert_findings("""
import torch.nn as nn

classifier = nn.Sequential(
    nn.Flatten(),
    nn.Linear(400, 120),  # expect: NN404
    nn.Linear(120, 84),
    nn.Linear(84, 10),
)
features = nn.Sequential(
    nn.Conv2d(3, 16, 3),  # expect: NN404
    nn.Dropout(0.2),
    nn.AvgPool2d(2),
    nn.Conv2d(16, 32, 3),
    nn.ReLU(),
    nn.Conv2d(32, 32, 3),
)
nested = nn.Sequential(
    nn.Sequential(nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 8)),  # expect: NN404
    nn.Linear(8, 2),
)
""", "NN404")


def test_torch_forward_chains_through_attributes() -> None:
    assert_findings("""
import torch
import torch.nn as nn
import torch.nn.functional as F

class CNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 32, 3)
        self.fc1 = nn.Linear(32 * 13 * 13, 128)
        self.fc2 = nn.Linear(128, 64)
        self.fc3 = nn.Linear(64, 1)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = x.view(-1, 32 * 13 * 13)
        x = self.fc1(x)  # expect: NN404
        x = self.drop(x)
        x = self.fc2(x)
        return torch.sigmoid(self.fc3(x))

class Head(nn.Module):
    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(64, 64)
        self.out = nn.Linear(64, 10)

    def forward(self, x):
        return self.out(F.dropout(self.proj(x), 0.1, self.training))  # expect: NN404
""", "NN404")


def test_keras_sequential_add_and_functional() -> None:
    assert_findings("""
import tensorflow as tf
from tensorflow.keras import layers
from tensorflow.keras.models import Sequential

regressor = tf.keras.Sequential([
    tf.keras.layers.Dense(100),  # expect: NN404
    tf.keras.layers.Dense(10, activation=None),
    tf.keras.layers.Dense(1),
])

model = Sequential()
model.add(layers.Embedding(1000, 64))
model.add(layers.Conv1D(64, 3, padding="same"))  # expect: NN404
model.add(layers.Conv1D(32, 3, padding="same", activation="linear"))
model.add(layers.Flatten())
model.add(layers.Dense(2, activation="sigmoid"))
model.compile(loss="binary_crossentropy", optimizer="adam")

inputs = tf.keras.Input((16,))
x = layers.Dense(128, activation="relu")(inputs)
x = layers.Dropout(0.1)(layers.Dense(64)(x))  # expect: NN404
outputs = layers.Dense(1, activation="linear")(x)
""", "NN404")


def test_flax_compact_call_and_sequential() -> None:
    assert_findings("""
import flax.linen as nn

class MLP(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.Dense(128)(x)  # expect: NN404
        x = nn.Dense(10)(x)
        return x

class Relu(nn.Module):
    @nn.compact
    def __call__(self, x):
        x = nn.relu(nn.Dense(128)(x))
        return nn.Dense(10)(x)

head = nn.Sequential([nn.Dense(32), nn.Dense(8)])  # expect: NN404
fine = nn.Sequential([nn.Dense(32), nn.relu, nn.Dense(8)])
""", "NN404")


def test_a_nonlinearity_between_the_layers_breaks_the_stack() -> None:
    """Activations (layers, functions, ``activation=``), max pooling, normalisation,
    attention and anything unknown between two affine layers: no collapse."""
    assert_findings("""
import torch.nn as nn
import torch.nn.functional as F
from keras import layers, models

torch_ok = nn.Sequential(
    nn.Linear(8, 8), nn.ReLU(),
    nn.Linear(8, 8), nn.BatchNorm1d(8),
    nn.Linear(8, 8), nn.LayerNorm(8),
    nn.Linear(8, 8), nn.Tanh(),
    nn.Conv2d(8, 8, 3), nn.MaxPool2d(2),
    nn.Conv2d(8, 8, 3), nn.Upsample(scale_factor=2),
    nn.Conv2d(8, 8, 3),
)
keras_ok = models.Sequential([
    layers.Dense(64, activation="relu"),
    layers.Dense(64),
    layers.Activation("relu"),
    layers.Dense(64),
    layers.LeakyReLU(),
    layers.Dense(64),
    layers.BatchNormalization(),
    layers.Dense(1),
])

class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(8, 8)
        self.fc2 = nn.Linear(8, 8)

    def forward(self, x):
        h = F.gelu(self.fc1(x))
        return self.fc2(h)
""", "NN404")


def test_output_layer_after_an_activated_hidden_layer() -> None:
    assert_findings("""
from keras import Sequential
from keras.layers import Dense

model = Sequential()
model.add(Dense(64, activation="relu", input_shape=(8,)))
model.add(Dense(32, activation="relu"))
model.add(Dense(1))
""", "NN404")


def test_unresolved_activations_and_forwarded_keywords_stay_silent() -> None:
    """An ``activation=`` held in a variable, given by position, or possibly inside
    ``**kwargs``: the analysis cannot tell it is none."""
    assert_findings("""
from keras import layers, models

def build(act, **kwargs):
    return models.Sequential([
        layers.Dense(64, activation=act),
        layers.Dense(64, "relu"),
        layers.Dense(64, **kwargs),
        layers.Dense(1),
    ])
""", "NN404")


def test_deliberate_factorisations_stay_silent() -> None:
    """``bias=False`` on the first factor (low rank, LoRA) and grouped (depthwise then
    pointwise) convolutions are factorisations on purpose."""
    assert_findings("""
import torch.nn as nn

low_rank = nn.Sequential(nn.Linear(512, 16, bias=False), nn.Linear(16, 512))
separable = nn.Sequential(nn.Conv2d(32, 32, 3, groups=32), nn.Conv2d(32, 64, 1))

class LoRA(nn.Module):
    def __init__(self):
        super().__init__()
        self.lora_a = nn.Linear(768, 8, bias=False)
        self.lora_b = nn.Linear(8, 768, bias=False)

    def forward(self, x):
        return self.lora_b(self.lora_a(x))
""", "NN404")


def test_embedding_attention_and_residuals_stay_silent() -> None:
    assert_findings("""
import torch
import torch.nn as nn

class Attention(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.embed = nn.Embedding(100, dim)
        self.proj_in = nn.Linear(dim, dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.out = nn.Linear(dim, dim)
        self.fc = nn.Linear(dim, dim)

    def forward(self, tokens):
        x = self.proj_in(self.embed(tokens))
        q, k, v = self.q(x), self.k(x), self.v(x)
        attn = torch.softmax(q @ k.transpose(-2, -1), dim=-1)
        x = x + self.out(attn @ v)
        return self.fc(x)
""", "NN404")


def test_an_intermediate_read_elsewhere_or_on_one_branch_stays_silent() -> None:
    """``z`` is also returned (a latent or an embedding that is linear on purpose); an
    activation under a flag may run between the layers; a residual add."""
    assert_findings("""
import torch.nn as nn
import torch.nn.functional as F

class AutoEncoder(nn.Module):
    def __init__(self, use_act):
        super().__init__()
        self.enc = nn.Linear(784, 32)
        self.dec = nn.Linear(32, 784)
        self.use_act = use_act

    def forward(self, x):
        z = self.enc(x)
        return self.dec(z), z

    def decode_twice(self, x):
        x = self.enc(x)
        if self.use_act:
            x = F.relu(x)
        x = self.dec(x)
        return x

    def residual(self, x):
        h = self.enc(x)
        h += 1.0
        return self.dec(h)
""", "NN404")


def test_layers_added_in_a_loop_under_a_flag() -> None:
    """A grown list whose activation is added under a flag: the Linear that follows is not
    always right after the previous Linear."""
    assert_findings("""
import torch.nn as nn

def mlp(sizes, act=True):
    layers = []
    for n_in, n_out in zip(sizes, sizes[1:]):
        layers.append(nn.Linear(n_in, n_out))
        if act:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)

def head(width):
    layers = [nn.Linear(width, width)]  # expect: NN404
    layers.append(nn.Dropout(0.1))
    layers.append(nn.Linear(width, 1))
    return nn.Sequential(*layers)
""", "NN404")


def test_an_activation_commented_out_between_the_layers_stays_silent() -> None:
    """The author wrote the activation and switched it off: a linear model on purpose."""
    assert_findings("""
import torch.nn as nn
from keras import layers, models

linear_on_purpose = nn.Sequential(
    nn.Linear(2, 100),
    # nn.ReLU(),  # comment this line for a linear model
    nn.Linear(100, 3),
)
keras_experiment = models.Sequential([
    layers.Dense(64),  # layers.Activation("relu"),
    layers.Dropout(0.1),
    layers.Dense(1),
])
still_flagged = nn.Sequential(
    nn.Linear(2, 100),  # expect: NN404
    # a hidden layer of 100 units
    nn.Linear(100, 3),
)
""", "NN404")


def test_a_sequential_changed_after_it_is_built_stays_silent() -> None:
    """``net[0].weight = net[1].weight`` ties the layers; ``net[1] = ...`` replaces one."""
    assert_findings("""
import torch.nn as nn

tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
tied[0].weight = tied[1].weight

def build():
    net = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
    net[1] = nn.ReLU()
    return net
""", "NN404")


def test_unit_test_modules_are_left_alone() -> None:
    """A test's tiny model exercises plumbing, not learning: silent there, reported in a
    training script."""
    source = """
import torch.nn as nn

net = nn.Sequential(nn.Linear(4, 3), nn.Linear(3, 2))  # expect: NN404
"""
    assert_findings(source, "NN404")
    silent = source.replace("  # expect: NN404", "")
    for name in ("test_saving.py", "saving_test.py", "conftest.py"):
        assert_findings(silent, "NN404", filename=name)


PORTED_HEAD = '''
import torch.nn as nn

class LddtHead(nn.Module):
    """A ported architecture: the original checkpoint has three stacked projections."""

    def __init__(self, config):
        super().__init__()
        self.head = nn.Sequential(
            nn.LayerNorm(config.hidden_size),
            nn.Linear(config.hidden_size, config.head_size),  # expect: NN404
            nn.Linear(config.head_size, config.head_size),
            nn.Linear(config.head_size, config.num_bins),
        )
        self.pattern = re.compile(r"head\\.(\\d+)")  # a regex compiled: no training

    def forward(self, x):
        return self.head(x)
'''


def test_a_file_that_trains_nothing_is_left_alone() -> None:
    """A library module that ports an architecture (layers sized by a config, nothing
    trained: no backward, optimizer step, fit, jax.grad...) keeps its linear stacks on
    purpose so that the original weights load; the same module trained is reported."""
    _assert_findings(PORTED_HEAD.replace("  # expect: NN404", ""), "NN404")
    for training in ("loss.backward()", "optimizer.step()", "model.fit(x, y, epochs=3)",
                     "model.compile(optimizer='adam', loss='mse')",
                     "grads = jax.grad(loss_fn)(params)", "tx = optax.adam(1e-3)",
                     "with tf.GradientTape() as tape:\n    pass",
                     "trainer = pl.Trainer(max_epochs=1)"):
        _assert_findings(PORTED_HEAD + "\n" + training + "\n", "NN404")


def test_a_notebook_that_trains_in_a_later_cell_is_judged() -> None:
    import json

    cells = [PORTED_HEAD, "model = LddtHead(cfg)\nloss = model(x).sum()\nloss.backward()\n"]
    notebook = json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                                      "execution_count": None, "source": c} for c in cells],
                           "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    from tests.helpers import lint

    found = [d for d in lint(notebook, "model.ipynb") if d.code == "NN404"]
    assert len(found) == 1 and found[0].cell == 1
    data = json.loads(notebook)
    first_cell_only = json.dumps({**data, "cells": data["cells"][:1]})
    assert not [d for d in lint(first_cell_only, "model.ipynb") if d.code == "NN404"]
