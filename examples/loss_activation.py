"""A small classifier trained three ways (PyTorch, JAX/optax, Keras), with the usual
mistakes about what goes into the loss. Run: lintnn check examples/"""

import jax
import jax.numpy as jnp
import optax
import torch
import torch.nn as nn
import torch.nn.functional as F
from tensorflow import keras
from tensorflow.keras import layers


# --- PyTorch ---------------------------------------------------------------------------

class Classifier(nn.Module):
    def __init__(self, features=20, classes=5):
        super().__init__()
        self.hidden = nn.Linear(features, 64)
        self.out = nn.Linear(64, classes)

    def forward(self, x):
        return self.out(F.relu(self.hidden(x)))


class ReluHead(nn.Module):
    def __init__(self, features=20, classes=5):
        super().__init__()
        self.out = nn.Linear(features, classes)

    def forward(self, x):
        return F.relu(self.out(x))


model = Classifier()
relu_head = ReluHead()
detector = nn.Sequential(nn.Linear(20, 16), nn.ReLU(), nn.Linear(16, 1))
criterion = nn.CrossEntropyLoss()
nll = nn.NLLLoss()
bce = nn.BCELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)


def train_step(x, y, is_positive):
    logits = model(x)
    probs = F.softmax(logits)
    loss = criterion(probs, y)
    loss = loss + criterion(F.log_softmax(logits, dim=1), y)
    loss = loss + nll(logits, y)
    loss = loss + bce(detector(x), is_positive)
    loss = loss + criterion(relu_head(x), y)
    entropy = -(probs * torch.log(probs)).sum(dim=1).mean()
    optimizer.zero_grad()
    (loss - 0.01 * entropy).backward()
    optimizer.step()
    return loss.item()


def next_token_probabilities(hidden, batch, steps):
    # (batch, steps, vocab): without dim, softmax normalizes over the batch axis
    return F.softmax(hidden.view(batch, steps, -1))


# --- JAX / optax -----------------------------------------------------------------------

def jax_loss(params, apply_fn, x, labels):
    logits = apply_fn(params, x)
    log_probs = jnp.log(jax.nn.softmax(logits))
    smooth = -jnp.sum(log_probs * labels, axis=-1).mean()
    return optax.softmax_cross_entropy(jax.nn.softmax(logits), labels).mean() + smooth


# --- Keras -----------------------------------------------------------------------------

keras_model = keras.Sequential([
    layers.Dense(64, activation="relu"),
    layers.Dense(10),
])
keras_model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                    metrics=["accuracy"])
