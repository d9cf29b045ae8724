"""A small training script with train/eval mode mistakes (run `lintnn check examples/`)."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 64)
        self.bn = nn.BatchNorm1d(64)
        self.fc2 = nn.Linear(64, 3)

    def forward(self, x):
        x = F.relu(self.bn(self.fc1(x)))
        x = F.dropout(x, 0.3)
        return self.fc2(x)


def evaluate(model, loader):
    correct = total = 0
    with torch.no_grad():
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
            total += len(y)
    return correct / total


def main(train_loader, val_loader, epochs=5):
    model = Classifier()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    print("accuracy before training:", evaluate(model, val_loader))

    model.eval()
    for epoch in range(epochs):
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
        model.eval()
        print(epoch, evaluate(model, val_loader))


# A flax model evaluated with dropout on.
def flax_part():
    import flax.linen as fnn
    import jax

    class MLP(fnn.Module):
        @fnn.compact
        def __call__(self, x, train: bool):
            x = fnn.relu(fnn.Dense(32)(x))
            x = fnn.Dropout(0.5, deterministic=not train)(x)
            return fnn.Dense(3)(x)

    @jax.jit
    def eval_step(state, x):
        return state.apply_fn({"params": state.params}, x, train=True).argmax(-1)

    return MLP, eval_step
