"""NN105: log taken of a softmax / sigmoid output instead of the fused log-variant."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.losses import (
    describe,
    producers,
    report_producer,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext, NodeFix
from lintnn.static.syntax.dataflow import Value
from lintnn.static.syntax.imports import canonical
from lintnn.static.syntax.nodes import argument, method_name, positional

# The numerically stable fused form of each (qualified) softmax / sigmoid.
_LOG_VARIANT = {
    "torch.nn.functional.softmax": "torch.nn.functional.log_softmax",
    "torch.softmax": "torch.log_softmax",
    "torch.special.softmax": "torch.special.log_softmax",
    "torch.sigmoid": "torch.nn.functional.logsigmoid",
    "torch.nn.functional.sigmoid": "torch.nn.functional.logsigmoid",
    "torch.special.expit": "torch.nn.functional.logsigmoid",
    "jax.nn.softmax": "jax.nn.log_softmax",
    "jax.nn.sigmoid": "jax.nn.log_sigmoid",
    "jax.scipy.special.softmax": "jax.nn.log_softmax",
    "jax.scipy.special.expit": "jax.nn.log_sigmoid",
    "flax.linen.softmax": "flax.linen.log_softmax",
    "flax.linen.sigmoid": "flax.linen.log_sigmoid",
    "flax.nnx.softmax": "flax.nnx.log_softmax",
    "flax.nnx.sigmoid": "flax.nnx.log_sigmoid",
    "tensorflow.nn.softmax": "tensorflow.nn.log_softmax",
    "tensorflow.math.softmax": "tensorflow.math.log_softmax",
    "tensorflow.nn.sigmoid": "tensorflow.math.log_sigmoid",
    "tensorflow.math.sigmoid": "tensorflow.math.log_sigmoid",
    "tensorflow.sigmoid": "tensorflow.math.log_sigmoid",
    "keras.ops.softmax": "keras.ops.log_softmax",
    "keras.ops.sigmoid": "keras.ops.log_sigmoid",
}
# Only the natural log has a fused equivalent (log2 / log10 are still flagged).
_NATURAL_LOGS = frozenset({
    "torch.log", "jax.numpy.log", "tensorflow.math.log", "tensorflow.log", "keras.ops.log",
})
_WHAT = {R.SOFTMAX: "softmax", R.SIGMOID: "sigmoid"}


class LogOfSoftmax(Rule):
    """``log(softmax(x))`` instead of ``log_softmax(x)``: unstable, -inf and NaN gradients."""

    code = "NN105"
    name = "log-of-softmax"
    severity = Severity.WARNING
    scope = "statement"
    message = "log of a softmax: use log_softmax"
    frameworks = ("torch", "jax", "keras")
    triggers = ("log",)
    needs = (Needs(callee_roles=(R.LOG,), bare_calls=("log",)),)
    fixable = True

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            found = _log_argument(ctx, call)
            if found is None:
                continue
            argument_node, natural = found
            value = ctx.value(argument_node)
            for producer in producers(ctx, value, R.PROBABILITIES):
                what = _WHAT[producer.role]
                source = describe(producer, what)
                if producer.model is None:
                    source = f"the {source}"
                message = (
                    f"log of {source.rstrip(',')}: when the {what} underflows to 0 the "
                    f"log is -inf and the gradients NaN; use log_{what}, which computes the "
                    f"same value stably")
                fix = _fix(ctx, call, argument_node, value) \
                    if natural and producer.requirement is None else None
                report_producer(ctx, call, producer, message, fix)


def _log_argument(ctx: FileContext, call: cst.Call) -> tuple[cst.BaseExpression, bool] | None:
    """What a log call takes the log of, and whether it is the natural log."""
    qualname = ctx.qualname(call.func)
    if qualname is None:
        # ``probs.log()``: a tensor method (no import behind the receiver).
        if method_name(call) == "log" and not call.args:
            return call.func.value, True  # type: ignore[attr-defined]
        return None
    _, entry = ctx.callee(call)
    if entry is None or R.LOG not in entry.roles:
        return None
    node = argument(call, 0, "input") or argument(call, 0, "x")
    if node is None:
        return None
    return node, canonical(qualname) in _NATURAL_LOGS and len(call.args) == 1


def _fix(ctx: FileContext, log_call: cst.Call, inner: cst.BaseExpression,
         value: Value | None) -> NodeFix | None:
    """``torch.log(F.softmax(x, 1))`` -> ``F.log_softmax(x, 1)`` when written inline."""
    if value is None or type(inner) is not cst.Call or value.node is not inner:
        return None
    qualname = ctx.qualname(inner.func)
    if qualname is None:
        # ``x.softmax(-1).log()`` -> ``x.log_softmax(-1)`` (tensors have no logsigmoid).
        if method_name(inner) != "softmax":
            return None
        func: cst.BaseExpression | None = inner.func.with_changes(  # type: ignore[attr-defined]
            attr=cst.Name("log_softmax"))
    else:
        target = _LOG_VARIANT.get(canonical(qualname))
        if target is None or (R.SIGMOID in value.roles and not _single_input(inner)):
            return None
        func = _reference(ctx, inner.func, qualname, target)
    if func is None:
        return None
    return NodeFix("use the fused log-variant", ((log_call, inner.with_changes(func=func)),))


def _single_input(call: cst.Call) -> bool:
    return len(call.args) == 1 and len(positional(call)) == 1


def _reference(ctx: FileContext, written: cst.BaseExpression, qualname: str,
               target: str) -> cst.BaseExpression | None:
    """An expression naming ``target`` through the imports the file already has."""
    module, _, name = target.rpartition(".")
    if type(written) is cst.Attribute and canonical(qualname).rpartition(".")[0] == module:
        return written.with_changes(attr=cst.Name(name))  # same module: swap the name
    best: str | None = None
    for local, imported in ctx.imports.aliases.items():
        if local in ctx.imports.shadowed:
            continue
        imported = canonical(imported)
        if imported == target:
            dotted = local
        elif target.startswith(imported + "."):
            dotted = local + target[len(imported):]
        else:
            continue
        if best is None or len(dotted) < len(best):
            best = dotted
    return cst.parse_expression(best) if best is not None else None
