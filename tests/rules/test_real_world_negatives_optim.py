"""Tricky negatives met on real code (transformers, lightning, flax, keras, optax),
reduced to minimal examples written for lintnn."""

from __future__ import annotations

from tests.helpers import assert_findings


def test_nn508_tests_call_update_for_its_output_or_its_errors() -> None:
    # Library tests call update() once to check the returned updates, its dtype, or that
    # it raises; no gradients are computed nor applied, so nothing is trained.
    assert_findings("""
import optax

def test_scale():
    opt = optax.scale_by_adam()
    state = opt.init(params)
    updates, _ = opt.update(grads, state, params)
    assert updates.dtype == grads.dtype
    expected = state.mu
    opt.update(grads, state, params, extra_arg=1)
    with pytest.raises(TypeError):
        opt.update(grads, state)
""", "NN508")


def test_nn402_transformers_style_init_weights() -> None:
    # Every model of transformers initializes Linear weights randomly and resets norm
    # weights to one and biases to zero in the same isinstance chain.
    assert_findings("""
import torch.nn as nn

class PreTrainedModel(nn.Module):
    def _init_weights(self, module):
        std = self.config.initializer_range
        if isinstance(module, (nn.Linear, nn.Conv1d)):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.bias is not None:
                module.bias.data.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.data.normal_(mean=0.0, std=std)
            if module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, (nn.LayerNorm, nn.GroupNorm)):
            module.weight.data.fill_(1.0)
            module.bias.data.zero_()
        elif isinstance(module, MyRMSNorm):
            module.weight.data.fill_(1.0)
""", "NN402")


def test_nn501_trainer_with_its_own_backward() -> None:
    # A trainer's loop backpropagates through an accelerator (or a precision plugin) and
    # clears the gradients of the model in a branch: not visible as loss.backward().
    assert_findings("""
class Trainer:
    def train(self, model, loader):
        for step, inputs in enumerate(loader):
            loss = self.compute_loss(model, inputs)
            self.accelerator.backward(loss)
            if (step + 1) % self.accumulation == 0:
                self.optimizer.step()
                self.lr_scheduler.step()
                model.zero_grad()
""", "NN501")


def test_test_modules_are_exempt_from_nn402_and_nn509() -> None:
    """Unit tests pin weights and keys on purpose (seen in keras and optax test suites)."""
    from tests.helpers import lint

    source = (
        "import jax\nimport torch.nn as nn\n"
        "layer = nn.Linear(4, 4)\nnn.init.constant_(layer.weight, 0.5)\n"
        "key = jax.random.PRNGKey(0)\n"
        "a = jax.random.normal(key, (2,))\nb = jax.random.normal(key, (2,))\n"
    )
    assert {d.code for d in lint(source, "train.py")} >= {"NN402", "NN509"}
    assert not {d.code for d in lint(source, "layers_test.py")} & {"NN402", "NN509"}


def test_optimizer_built_inside_each_iteration_is_not_a_training_loop() -> None:
    """Seen in torch's numeric checks: compare two models over a few iterations, each with
    a fresh optimizer stepped once; no zero_grad is needed to train anything."""
    from tests.helpers import assert_findings

    assert_findings(
        """
        import torch
        def compare(model_a, model_b, x, iterations=10):
            for _ in range(iterations):
                model_a(x).sum().backward()
                model_b(x).sum().backward()
                opt_a = torch.optim.SGD(model_a.parameters(), lr=0.01)
                opt_a.step()
                opt_b = torch.optim.SGD(model_b.parameters(), lr=0.01)
                opt_b.step()
        """,
        "NN501",
    )


def test_nn512_pallas_refs_are_written_in_place() -> None:
    # In a Pallas kernel (and with jax.new_ref) ``ref.at[idx]`` is a view of a mutable
    # reference, and ``.set(v)`` writes through it: jax's own primitives do this.
    assert_findings("""
import jax.numpy as jnp
from jax.experimental import pallas as pl

def kernel(x_ref, o_ref):
    o_ref.at[0].set(x_ref[0] * 2)
    out = o_ref.at[1]
    out.set(jnp.zeros(4))
""", "NN512")
    assert_findings("""
import jax

def accumulate(x):
    acc = jax.new_ref(x)
    acc.at[0].add(1.0)
    return acc[...]
""", "NN512")


def test_nn511_lightning_returns_schedulers_from_configure_optimizers() -> None:
    # Lightning demo modules build a scheduler and return it in a list; the trainer
    # steps it. The same module also has a manual-optimization path that steps opt.
    assert_findings("""
import torch

class Demo:
    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.layer.parameters(), lr=0.1)
        lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
        return [optimizer], [lr_scheduler]

    def training_step(self, batch):
        optimizer = self.optimizers()
        self.manual_backward(self.loss(batch))
        optimizer.step()
""", "NN511")
