"""Patterns met in real training code that the mode rules must not flag (reduced, rewritten)."""

from __future__ import annotations

from tests.helpers import lint

HEAD = """
import torch
import torch.nn as nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Dropout(0.1))

    def forward(self, x):
        return self.body(x)
"""


def mode_findings(source: str) -> list[str]:
    return [f"{d.code}:{d.location.row}" for d in lint(HEAD + source)
            if d.code.startswith("NN2")]


def test_local_eval_function_that_restores_training_mode() -> None:
    # A function named ``eval`` (shadowing the builtin) switches to eval and back, and is
    # called every few steps from inside the training loop.
    assert mode_findings("""
def fit(loader, dev, model):
    opt = torch.optim.Adam(model.parameters())
    model.train()
    for step, (x, y) in enumerate(loader):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
        if step % 50 == 0:
            eval(dev, model)


def eval(data, model):
    model.eval()
    total = sum(F.cross_entropy(model(x), y).item() for x, y in data)
    model.train()
    return total


def main(loader, dev):
    fit(loader, dev, Net())
""") == []


def test_trainer_class_with_validate_and_train_epoch_methods() -> None:
    assert mode_findings("""
class Trainer:
    def __init__(self, model, optimizer, loader, val_loader):
        self.model = model
        self.optimizer = optimizer
        self.loader = loader
        self.val_loader = val_loader

    def validate(self):
        self.model.eval()
        return [self.model(x) for x, _ in self.val_loader]

    def train_epoch(self):
        self.model.train()
        for x, y in self.loader:
            self.optimizer.zero_grad()
            F.mse_loss(self.model(x), y).backward()
            self.optimizer.step()

    def train(self, epochs):
        for _ in range(epochs):
            self.validate()
            self.train_epoch()


Trainer(Net(), None, [], []).train(3)
""") == []


def test_module_level_gan_script_sampling_between_steps() -> None:
    assert mode_findings("""
gen, disc = Net(), Net()
opt_g = torch.optim.Adam(gen.parameters())
opt_d = torch.optim.Adam(disc.parameters())
fixed = torch.randn(8, 4)
for epoch in range(2):
    for i, x in enumerate([]):
        disc.zero_grad()
        fake = gen(torch.randn(8, 4))
        disc(fake.detach()).mean().backward()
        opt_d.step()
        gen.zero_grad()
        disc(fake).mean().backward()
        opt_g.step()
        if i % 100 == 0:
            with torch.no_grad():
                sample = gen(fixed)
""") == []


def test_layers_built_inside_test_functions_exercise_the_flag_on_purpose() -> None:
    # A framework's own test suite defines a layer that forces dropout on, to check
    # that an explicitly passed flag wins over the caller's.
    source = """
import keras
import torch.nn as nn
import torch.nn.functional as F


class LayerTest:
    def test_explicit_training_flag(self):
        class Forced(keras.layers.Layer):
            def __init__(self):
                super().__init__()
                self.dp = keras.layers.Dropout(0.9)

            def call(self, x, training=False):
                return self.dp(x, training=True)

        return Forced()


def test_functional_dropout_default():
    class Net(nn.Module):
        def forward(self, x):
            return F.dropout(x, 0.5)

    return Net()
"""
    assert [d for d in lint(source) if d.code.startswith("NN2")] == []


def test_nn206_sharpness_aware_second_pass_drops_its_statistics_on_purpose() -> None:
    # SAM: the gradient at the perturbed weights needs a second forward pass; its batch
    # statistics are thrown away on purpose, those of the first pass are kept.
    source = """
import jax

def train_step(state, x, y, rho):
    def first(params):
        out, updates = state.apply_fn({"params": params, "batch_stats": state.batch_stats},
                                      x, mutable=["batch_stats"])
        return loss(out, y), updates

    def perturbed(params):
        out, _ = state.apply_fn({"params": params, "batch_stats": state.batch_stats},
                                x, mutable=["batch_stats"])
        return loss(out, y)

    (value, updates), grads = jax.value_and_grad(first, has_aux=True)(state.params)
    grads = jax.grad(perturbed)(ascend(state.params, grads, rho))
    return state.apply_gradients(grads=grads, batch_stats=updates["batch_stats"])
"""
    assert [d for d in lint(source) if d.code == "NN206"] == []


def test_nn206_forward_helper_that_no_gradient_goes_through() -> None:
    # A research script trains with one loss function and keeps a second forward
    # helper (for a kernel / NTK analysis) that asks for mutable statistics and keeps only
    # the output; no gradient is taken through the helper.
    source = """
import jax

def train_step(state, batch):
    def loss_fn(params):
        return ((state.apply_fn({"params": params}, batch["x"]) - batch["y"]) ** 2).mean()
    loss, grads = jax.value_and_grad(loss_fn)(state.params)
    return state.apply_gradients(grads=grads), loss

def analysis(model, params, x):
    def apply_fn(params, x):
        return model.apply({"params": params}, x, mutable=["batch_stats"])[0]
    return kernel_of(apply_fn, params, x)
"""
    assert [d for d in lint(source) if d.code == "NN206"] == []
