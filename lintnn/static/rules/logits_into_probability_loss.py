"""NN104: raw logits fed to a loss that expects probabilities."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.losses import (
    KERAS_PROBABILITY_LOSS_NAMES,
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

_LINEAR = frozenset({R.LINEAR_OUTPUT})


class LogitsIntoProbabilityLoss(Rule):
    """Raw logits (a linear layer's output) passed to a loss that expects probabilities."""

    code = "NN104"
    name = "logits-into-probability-loss"
    severity = Severity.ERROR
    scope = "statement"
    message = "raw logits passed to a loss that expects probabilities"
    frameworks = ("torch", "keras")
    triggers = ("BCELoss", "binary_cross_entropy", "crossentropy", "Crossentropy")
    needs = (Needs(roles=(R.LOSS_PROBABILITIES, R.LOSS_KERAS_FROM_LOGITS),
                   names=tuple(KERAS_PROBABILITY_LOSS_NAMES)),)

    def statement_local(self, ctx: FileContext) -> bool:
        """keras ``model.compile`` checks read every ``model.add`` of the file."""
        return super().statement_local(ctx) and "keras" not in ctx.frameworks

    def check(self, ctx: FileContext) -> None:
        report_loss_inputs(ctx, frozenset({R.LOSS_PROBABILITIES}), _LINEAR, _message)
        for compiled in keras_compiles(ctx):
            if (compiled.expects == R.LOSS_PROBABILITIES
                    and keras_activation(compiled.last_layer) == "linear"):
                ctx.report(compiled.from_logits or compiled.loss, (
                    "the model's last layer is a Dense without activation (it outputs "
                    "logits), but the loss expects probabilities (from_logits=False is the "
                    "default): build the loss with from_logits=True, or give the last layer "
                    "a softmax / sigmoid activation"))


def _message(producer: Producer, loss: LossCall) -> str:
    return (
        f"{describe(producer, 'linear layer')} is passed to {loss.name}, which expects "
        f"probabilities in [0, 1]: raw logits give a wrong loss or NaN; use the "
        f"with-logits loss (BCEWithLogitsLoss) on the logits"
    )
