"""NN107: an activation (ReLU, tanh...) applied to the logits fed to a logits loss."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.losses import (
    LossCall,
    Producer,
    describe,
    keras_activation,
    keras_compiles,
    report_loss_inputs,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext

_ACTIVATION = frozenset({R.ACTIVATION})
# keras activation names that are neither linear nor probabilities.
_KERAS_ACTIVATIONS = frozenset({
    "relu", "relu6", "gelu", "elu", "selu", "tanh", "softplus", "silu", "swish",
    "leaky_relu", "mish", "hard_silu", "hard_swish",
})


class ActivationBeforeLogitsLoss(Rule):
    """An activation applied to the final logits fed to a loss that expects raw logits."""

    code = "NN107"
    name = "activation-before-logits-loss"
    severity = Severity.WARNING
    scope = "statement"
    message = "an activation is applied to the logits fed to a loss that expects raw logits"
    frameworks = ("torch", "jax", "keras")
    triggers = ("cross_entropy", "CrossEntropy", "BCEWithLogits", "from_logits",
                "with_logits", "Crossentropy")
    needs = (Needs(roles=(R.LOSS_SOFTMAX_LOGITS, R.LOSS_SIGMOID_LOGITS,
                          R.LOSS_KERAS_FROM_LOGITS)),)

    def statement_local(self, ctx: FileContext) -> bool:
        """keras ``model.compile`` checks read every ``model.add`` of the file."""
        return super().statement_local(ctx) and "keras" not in ctx.frameworks

    def check(self, ctx: FileContext) -> None:
        report_loss_inputs(ctx, R.LOGITS_LOSSES, _ACTIVATION, _message)
        for compiled in keras_compiles(ctx):
            activation = keras_activation(compiled.last_layer)
            if (compiled.expects in R.LOGITS_LOSSES and compiled.from_logits is not None
                    and activation in _KERAS_ACTIVATIONS):
                ctx.report(compiled.from_logits, (
                    f"the model's last layer applies {activation}, but the loss is built "
                    f"with from_logits=True and expects raw logits: the activation clips or "
                    f"squashes them; remove the last layer's activation"))


def _message(producer: Producer, loss: LossCall) -> str:
    return (
        f"{describe(producer, 'activation')} is passed to {loss.name}, which expects raw "
        f"logits: an activation on the final layer clips or squashes them (after ReLU no "
        f"logit can be negative), so the model cannot express some predictions; remove it"
    )
