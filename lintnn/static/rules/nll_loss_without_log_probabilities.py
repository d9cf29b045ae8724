"""NN103: a negative log-likelihood loss fed probabilities or raw logits."""

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

_WRONG_INPUTS = R.PROBABILITIES | {R.LINEAR_OUTPUT}
_WHAT = {R.SOFTMAX: "softmax", R.SIGMOID: "sigmoid", R.LINEAR_OUTPUT: "linear layer"}


class NllLossWithoutLogProbabilities(Rule):
    """NLLLoss / F.nll_loss fed probabilities or raw logits instead of log-probabilities."""

    code = "NN103"
    name = "nll-loss-without-log-probabilities"
    severity = Severity.ERROR
    scope = "statement"
    message = "the negative log-likelihood loss is not fed log-probabilities"
    frameworks = ("torch",)
    triggers = ("nll_loss", "NLLLoss")
    needs = (Needs(roles=(R.LOSS_LOG_PROBABILITIES,)),)

    def check(self, ctx: FileContext) -> None:
        report_loss_inputs(ctx, frozenset({R.LOSS_LOG_PROBABILITIES}), _WRONG_INPUTS, _message)


def _message(producer: Producer, loss: LossCall) -> str:
    source = describe(producer, _WHAT[producer.role])
    if producer.role == R.LINEAR_OUTPUT:
        problem = "raw logits"
        remedy = "apply log_softmax first, or use CrossEntropyLoss on the logits"
    else:
        problem = "probabilities"
        remedy = "use log_softmax instead of softmax, or CrossEntropyLoss on the logits"
    return (
        f"{source} is passed to {loss.name}, which expects log-probabilities: on "
        f"{problem} it computes a meaningless loss (it only negates and picks the target "
        f"entry); {remedy}"
    )
