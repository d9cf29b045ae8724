"""NN101: softmax or sigmoid output fed to a loss that applies it itself."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.context import FileContext, NodeFix
from lintnn.static.dataflow import Kind, Value
from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.keras import PROBABILITY_ACTIVATIONS
from lintnn.static.losses import LossCall, loss_calls
from lintnn.static.nodes import argument, bool_value, keyword_arg, method_name
from lintnn.static.project import RETURNS
from lintnn.static.rule import Rule

_WHAT = {R.SOFTMAX: "softmax", R.SIGMOID: "sigmoid"}
_APPLIES = {R.LOSS_SOFTMAX_LOGITS: "log-softmax", R.LOSS_SIGMOID_LOGITS: "a sigmoid"}


class ProbabilitiesIntoLogitsLoss(Rule):
    """Probabilities (softmax/sigmoid output) passed to a loss that expects logits."""

    code = "NN101"
    name = "probabilities-into-logits-loss"
    severity = Severity.ERROR
    message = "probabilities passed to a loss that expects logits"
    frameworks = ("torch", "jax", "keras")
    # The loss must be in the file; the softmax may be in another one.
    triggers = ("CrossEntropy", "cross_entropy", "WithLogits", "with_logits", "from_logits")
    fixable = True

    def check(self, ctx: FileContext) -> None:
        for loss in loss_calls(ctx):
            if loss.expects in R.LOGITS_LOSSES and loss.prediction is not None:
                self._check_prediction(ctx, loss)
        self._check_keras_compile(ctx)

    def _check_prediction(self, ctx: FileContext, loss: LossCall) -> None:
        value = ctx.value(loss.prediction)  # type: ignore[arg-type]
        if value is None or value.kind is not Kind.RESULT:
            return
        made = value.roles & R.PROBABILITIES
        if made:
            role = sorted(made)[0]
            ctx.report(loss.call, self._message(role, loss), fix=self._fix(ctx, loss, value))
            return
        for role in sorted(R.PROBABILITIES):
            requirement = ctx.requirement(value, RETURNS, role)
            if requirement is not None:
                model = value.project_class.rsplit(".", 1)[-1]  # type: ignore[union-attr]
                ctx.report(loss.call, self._message(role, loss, model), requires=(requirement,))

    def _message(self, role: str, loss: LossCall, model: str | None = None) -> str:
        what = _WHAT[role]
        source = f"the output of {model}, which ends in a {what}," if model else f"{what} output"
        return (
            f"{source} is passed to {loss.name}, which applies {_APPLIES[loss.expects]} "
            f"itself: the loss sees a double {what} and the gradients vanish; pass the logits"
        )

    def _fix(self, ctx: FileContext, loss: LossCall, value: Value) -> NodeFix | None:
        """Drop a softmax written inline in the loss call: ``CE(softmax(z), y)`` -> ``CE(z, y)``."""
        node = loss.prediction
        if not isinstance(node, cst.Call) or value.node is not node:
            return None
        if method_name(node) in ("softmax", "sigmoid") and not ctx.qualname(node.func):
            inner = node.func.value  # type: ignore[attr-defined]
        else:
            inner = argument(node, 0, "input") or argument(node, 0, "x")
        if inner is None:
            return None
        return NodeFix("pass the logits to the loss", ((node, inner),))

    # keras: model ending in softmax compiled with from_logits=True -----------------

    def _check_keras_compile(self, ctx: FileContext) -> None:
        if "keras" not in ctx.frameworks:
            return
        for call in ctx.index.calls:
            if method_name(call) != "compile" or not isinstance(call.func, cst.Attribute):
                continue
            loss_arg = argument(call, 1, "loss")
            loss_value = ctx.value(loss_arg) if loss_arg is not None else None
            if loss_value is None or loss_value.kind is not Kind.INSTANCE:
                continue
            if R.LOSS_KERAS_FROM_LOGITS not in loss_value.roles:
                continue
            constructor = loss_value.node
            if not isinstance(constructor, cst.Call):
                continue
            from_logits = keyword_arg(constructor, "from_logits")
            if from_logits is None or bool_value(from_logits.value) is not True:
                continue
            model = ctx.value(call.func.value)
            role = _keras_output_role(model)
            if role is not None:
                ctx.report(from_logits, (
                    f"the model's last layer already applies {_WHAT[role]}, but the loss is "
                    f"built with from_logits=True and applies it again; drop the activation "
                    f"of the last layer or set from_logits=False"))


def _keras_output_role(model: Value | None) -> str | None:
    if model is None or model.kind is not Kind.INSTANCE or R.SEQUENTIAL not in model.roles:
        return None
    if not model.items or model.items[-1] is None:
        return None
    made = model.items[-1].roles & frozenset(PROBABILITY_ACTIVATIONS.values())
    return sorted(made)[0] if made else None
