"""NN403: a layer's bias directly followed by BatchNorm, which subtracts it again."""

from __future__ import annotations

import itertools

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.layers import (
    adjacent_layers,
    forwarded_keywords,
    reads_only_its_statement,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import keyword, positional, string_value

_BIASED = frozenset({R.LINEAR, R.CONV})
# Where torch layers take ``bias`` positionally; a call that reaches it is left alone.
_BIAS_POSITION = {"torch.nn.Linear": 2, "torch.nn.Bilinear": 3, "torch.nn.LazyLinear": 1}
_TORCH_CONV_BIAS = 7
# Keywords that, in a layer's ``**kwargs``, may remove the bias or put an activation after it.
_SET_ELSEWHERE = frozenset({"bias", "use_bias", "activation"})


class BiasBeforeBatchNorm(Rule):
    """Conv/Linear with a bias whose output goes straight into BatchNorm."""

    code = "NN403"
    name = "bias-before-batchnorm"
    severity = Severity.INFO
    scope = "statement"
    message = (
        "this layer's bias feeds BatchNorm directly, which subtracts the batch mean and "
        "cancels it: the bias is dead weight; build the layer with bias=False "
        "(use_bias=False)"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("BatchNorm",)
    needs = (Needs(roles=(R.BATCHNORM,)),)

    def statement_local(self, ctx: FileContext) -> bool:
        """A layer helper spread into a Sequential is judged where it is spread (a layer
        built with a function's ``**kwargs``, where that function is called, notes those
        calls as read)."""
        return super().statement_local(ctx) and reads_only_its_statement(ctx)

    def check(self, ctx: FileContext) -> None:
        reported: set[cst.CSTNode] = set()
        for call in ctx.index.calls:
            value = ctx.value(call) if type(call.func) in (cst.Name, cst.Attribute) else None
            if value is not None and value.kind is Kind.INSTANCE and R.SEQUENTIAL in value.roles:
                for before, after in itertools.pairwise(value.items):
                    if _is(after, R.BATCHNORM):
                        self._report(ctx, before, reported)
            elif type(call.func) in (cst.Name, cst.Attribute, cst.Call, cst.Subscript):
                layer = ctx.value(call.func)
                if not _is(layer, R.BATCHNORM):
                    continue
                args = positional(call)
                fed = ctx.value(args[0]) if args else None
                if fed is not None and fed.kind is Kind.RESULT and type(fed.node) is cst.Call:
                    self._report(ctx, ctx.value(fed.node.func), reported)
        for pair in adjacent_layers(ctx):  # seq.add_module(...) / layers.append(...)
            if _is(pair.after, R.BATCHNORM):
                self._report(ctx, pair.before, reported)

    def _report(self, ctx: FileContext, layer: Value | None, reported: set[cst.CSTNode]) -> None:
        if layer is None or layer.kind is not Kind.INSTANCE or not layer.roles & _BIASED:
            return
        built = layer.node
        if type(built) is cst.Call and built not in reported \
                and _has_bias(ctx, layer, built) \
                and not _activates(built):
            reported.add(built)
            ctx.report(built)


def _activates(built: cst.Call) -> bool:
    """``Dense(300, activation="relu")``: the activation sits between the bias and the
    BatchNorm, so the bias is not cancelled (``activation=None`` / ``"linear"`` is none)."""
    activation = keyword(built, "activation")
    if activation is None:
        return False
    if type(activation) is cst.Name and activation.value == "None":
        return False
    return string_value(activation) not in ("linear",)


def _has_bias(ctx: FileContext, layer: Value, built: cst.Call) -> bool:
    """True only when the layer surely has a bias (the default, or bias=True); a
    ``**kwargs`` passed on counts when no caller can put ``bias`` (or an activation) in."""
    if any(arg.star for arg in built.args):
        forwarded = forwarded_keywords(ctx, built)
        if forwarded is None or forwarded & _SET_ELSEWHERE:
            return False
    for name in ("bias", "use_bias"):
        flag = keyword(built, name)
        if flag is not None:
            return type(flag) is cst.Name and flag.value == "True"
    if layer.entry is not None and layer.entry.framework == "torch":
        limit = _BIAS_POSITION.get(layer.qualname or "", _TORCH_CONV_BIAS)
        return len(positional(built)) <= limit
    return True


def _is(value: Value | None, role: str) -> bool:
    return value is not None and value.kind is Kind.INSTANCE and role in value.roles
