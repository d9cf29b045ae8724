"""NN102: log_softmax output fed to a loss that applies log_softmax itself."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.losses import (
    LossCall,
    Producer,
    describe,
    report_loss_inputs,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext

_LOG_SOFTMAX = frozenset({R.LOG_SOFTMAX})


class LogSoftmaxIntoCrossEntropy(Rule):
    """log_softmax output passed to a cross-entropy that applies log_softmax itself."""

    code = "NN102"
    name = "log-softmax-into-cross-entropy"
    severity = Severity.INFO
    scope = "statement"
    message = "log_softmax output passed to a loss that applies log_softmax itself"
    frameworks = ("torch", "jax", "keras")
    triggers = ("cross_entropy", "CrossEntropy")  # the log_softmax may be in another file
    needs = (Needs(roles=(R.LOSS_SOFTMAX_LOGITS, R.LOSS_KERAS_FROM_LOGITS)),)

    def check(self, ctx: FileContext) -> None:
        report_loss_inputs(ctx, frozenset({R.LOSS_SOFTMAX_LOGITS}), _LOG_SOFTMAX, _message)


def _message(producer: Producer, loss: LossCall) -> str:
    return (
        f"{describe(producer, 'log_softmax')} is passed to {loss.name}, which applies "
        f"log_softmax itself: harmless (log_softmax of log-probabilities changes nothing) "
        f"but redundant; pass the logits, or use the negative log-likelihood loss"
    )
