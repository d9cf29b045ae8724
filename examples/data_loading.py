"""A small image-classification script with data-loading mistakes (PyTorch, Keras, JAX).

Run ``lintnn check examples/`` to see them reported.
"""

import jax
import keras
import optax
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

# One transform, random crops and flips included, shared by training and test sets.
transform = transforms.Compose([
    transforms.RandomCrop(32, padding=4),
    transforms.RandomHorizontalFlip(),
    transforms.ToTensor(),
])
train_set = datasets.CIFAR10("data", train=True, download=True, transform=transform)
test_set = datasets.CIFAR10("data", train=False, download=True, transform=transform)

# The training loader never shuffles: CIFAR-10 batches come in a fixed order every epoch.
train_loader = DataLoader(train_set, batch_size=128, num_workers=2)
test_loader = DataLoader(test_set, batch_size=256)

model = nn.Sequential(nn.Flatten(), nn.Linear(3 * 32 * 32, 256), nn.ReLU(), nn.Linear(256, 10))
optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
criterion = nn.CrossEntropyLoss()


def fit(epochs_in_steps=5000):
    # Left over from debugging: one batch, trained on for the whole run.
    images, labels = next(iter(train_loader))
    for _step in range(epochs_in_steps):
        optimizer.zero_grad()
        loss = criterion(model(images), labels)
        loss.backward()
        optimizer.step()


def evaluate():
    model.eval()
    correct = 0
    with torch.no_grad():
        for images, labels in test_loader:
            correct += (model(images).argmax(1) == labels).sum().item()
    return correct / len(test_set)


def keras_version(x_train, y_train):
    net = keras.Sequential([keras.layers.Flatten(), keras.layers.Dense(10)])
    net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    net.fit(x_train, y_train, epochs=5, batch_size=128, shuffle=False)


def jax_version(params, X_train, y_train, batch_size=128, epochs=10):
    optimizer = optax.adam(1e-3)
    opt_state = optimizer.init(params)

    @jax.jit
    def train_step(params, opt_state, xb, yb):
        def loss_fn(p):
            logits = xb @ p
            return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

        grads = jax.grad(loss_fn)(params)
        updates, opt_state = optimizer.update(grads, opt_state)
        return optax.apply_updates(params, updates), opt_state

    # Batches are sliced in storage order, the same order every epoch.
    for _epoch in range(epochs):
        for i in range(0, len(X_train), batch_size):
            params, opt_state = train_step(
                params, opt_state, X_train[i:i + batch_size], y_train[i:i + batch_size]
            )
    return params


if __name__ == "__main__":
    fit()
    print("test accuracy", evaluate())
