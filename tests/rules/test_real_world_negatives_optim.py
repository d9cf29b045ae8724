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
