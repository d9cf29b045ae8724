"""NN101: softmax or sigmoid output fed to a loss that applies it itself."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.losses import (
    LossCall,
    Producer,
    describe,
    keras_compiles,
    keras_project_compiles,
    producers,
    report_loss_inputs,
    report_producer,
)
from lintnn.static.analyses.project_losses import (
    LOSS_METHOD_WORDS,
    names_a_loss_method,
    passed_loss_calls,
    passed_loss_requirement,
    project_loss_feeds,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.keras import PROBABILITY_ACTIVATIONS
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext, NodeFix
from lintnn.static.syntax.nodes import argument, method_name, positional

_WHAT = {R.SOFTMAX: "softmax", R.SIGMOID: "sigmoid"}
_APPLIES = {R.LOSS_SOFTMAX_LOGITS: "log-softmax", R.LOSS_SIGMOID_LOGITS: "a sigmoid"}


class ProbabilitiesIntoLogitsLoss(Rule):
    """Probabilities (softmax/sigmoid output) passed to a loss that expects logits."""

    code = "NN101"
    name = "probabilities-into-logits-loss"
    severity = Severity.ERROR
    scope = "statement"
    message = "probabilities passed to a loss that expects logits"
    frameworks = ("torch", "jax", "keras")
    # The losses' names, not the activations': the softmax may be in another file; and
    # the names of a project class's loss method (``disc.get_loss(...)``).
    triggers = ("cross_entropy", "CrossEntropy", "with_logits", "WithLogits", "from_logits",
                *LOSS_METHOD_WORDS)
    # A known loss expecting logits (``report_loss_inputs``, Keras' ``compile``); a call of
    # a project class's loss method (``disc.get_loss(p)``: ``_check_project_loss_methods``);
    # or a call of what a function received (``self.criterion(p, y)``: the value of the
    # callee is a parameter, bound to a name or an attribute: ``_check_passed_losses``).
    needs = (Needs(roles=(R.LOSS_SOFTMAX_LOGITS, R.LOSS_SIGMOID_LOGITS,
                          R.LOSS_KERAS_FROM_LOGITS), called=names_a_loss_method,
                   called_bound=True),)
    fixable = True

    def statement_local(self, ctx: FileContext) -> bool:
        """keras ``model.compile`` checks read every ``model.add`` of the file."""
        return super().statement_local(ctx) and "keras" not in ctx.frameworks

    def check(self, ctx: FileContext) -> None:
        report_loss_inputs(ctx, R.LOGITS_LOSSES, R.PROBABILITIES, self._message, self._fix)
        self._check_project_loss_methods(ctx)
        self._check_passed_losses(ctx)
        self._check_keras_compile(ctx)

    def _check_passed_losses(self, ctx: FileContext) -> None:
        """``self.criterion(probs, y)`` with ``criterion`` a parameter: a caller in another
        file passes a loss that expects logits (``Trainer(model, nn.CrossEntropyLoss())``)."""
        for loss in passed_loss_calls(ctx):
            for position, arg in enumerate(positional(loss.call)):
                for producer in producers(ctx, ctx.value(arg), R.PROBABILITIES):
                    model = (producer.requirement,) if producer.requirement else ()
                    what = _WHAT[producer.role]
                    ctx.report(loss.call, (
                        f"{describe(producer, what)} is passed to `{loss.name}`, a loss "
                        f"that a caller of {loss.function.rsplit('.', 1)[-1]} passes in and "
                        f"that expects logits: it applies the {what} again, the gradients "
                        f"vanish; pass the logits"),
                        requires=(passed_loss_requirement(loss, position, R.LOGITS_LOSSES,
                                                          str(ctx.path)), *model))

    def _check_project_loss_methods(self, ctx: FileContext) -> None:
        """``disc.get_loss(disc(x))``: the method (in another file) feeds its argument to
        a loss that expects logits."""
        for feed in project_loss_feeds(ctx, R.LOGITS_LOSSES, R.PROBABILITIES):
            what = _WHAT[feed.producer.role]
            ctx.report(feed.call, (
                f"{describe(feed.producer, what)} is passed to {feed.method}(), which hands "
                f"it to a loss that expects logits and applies the {what} itself: the loss "
                f"sees a double {what} and the gradients vanish; pass the logits"),
                requires=feed.requires)

    def _message(self, producer: Producer, loss: LossCall) -> str:
        what = _WHAT[producer.role]
        return (
            f"{describe(producer, what)} is passed to {loss.name}, which applies "
            f"{_APPLIES[loss.expects]} itself: the loss sees a double {what} and the "
            f"gradients vanish; pass the logits"
        )

    def _fix(self, ctx: FileContext, loss: LossCall) -> NodeFix | None:
        """Drop a softmax written inline in the loss call: ``CE(softmax(z), y)`` -> ``CE(z, y)``."""
        node = loss.prediction
        value = ctx.value(node) if type(node) is cst.Call else None
        if value is None or value.node is not node:
            return None
        if method_name(node) in ("softmax", "sigmoid") and not ctx.qualname(node.func):
            inner = node.func.value  # type: ignore[attr-defined]
        elif _makes_probabilities(ctx, node):  # type: ignore[arg-type]
            inner = argument(node, 0, "input") or argument(node, 0, "x")  # type: ignore[arg-type]
        else:
            return None  # ``model(x)``: the softmax is inside the model
        if inner is None:
            return None
        return NodeFix("pass the logits to the loss", ((node, inner),))

    # keras: model ending in softmax compiled with from_logits=True -----------------

    def _check_keras_compile(self, ctx: FileContext) -> None:
        for compiled in keras_compiles(ctx):
            if compiled.expects not in R.LOGITS_LOSSES or compiled.from_logits is None:
                continue
            made = compiled.last_layer.roles & frozenset(PROBABILITY_ACTIVATIONS.values())
            if made:
                ctx.report(compiled.from_logits, (
                    f"the model's last layer already applies {_WHAT[sorted(made)[0]]}, but "
                    f"the loss is built with from_logits=True and applies it again; drop the "
                    f"activation of the last layer or set from_logits=False"))
        for project in keras_project_compiles(ctx):
            if project.expects not in R.LOGITS_LOSSES or project.from_logits is None:
                continue
            for producer in producers(ctx, project.output, R.PROBABILITIES):
                report_producer(ctx, project.from_logits, producer, (
                    f"{describe(producer, _WHAT[producer.role])} goes to a loss built with "
                    f"from_logits=True, which applies {_WHAT[producer.role]} again; drop the "
                    f"activation of the last layer or set from_logits=False"))


def _makes_probabilities(ctx: FileContext, call: cst.Call) -> bool:
    """``F.softmax(z, 1)``, ``torch.sigmoid(z)``: a function that makes the probabilities
    from its first argument (not a model or layer that ends in one)."""
    _, entry = ctx.callee(call)
    return entry is not None and entry.kind == "function" and bool(entry.roles & R.PROBABILITIES)
