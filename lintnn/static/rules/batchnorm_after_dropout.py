"""NN401: a BatchNorm layer directly after a Dropout layer."""

from __future__ import annotations

import itertools

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.layers import (
    adjacent_layers,
    fed_value,
    reads_only_its_statement,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import dotted_name, method_name, positional

_DROPOUT_OUTPUT = frozenset({R.DROPOUT, R.FUNCTIONAL_DROPOUT})


class BatchNormAfterDropout(Rule):
    """BatchNorm fed directly by Dropout: its statistics differ between training and eval."""

    code = "NN401"
    name = "batchnorm-after-dropout"
    severity = Severity.WARNING
    scope = "statement"
    message = (
        "BatchNorm directly after Dropout: dropout shifts the variance BatchNorm learns in "
        "training, so the running statistics are wrong at evaluation; put Dropout after "
        "BatchNorm (or drop one of them)"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("BatchNorm", "BatchNormalization")
    needs = (Needs(roles=(R.BATCHNORM,)), Needs(roles=tuple(_DROPOUT_OUTPUT)))

    def statement_local(self, ctx: FileContext) -> bool:
        """A layer helper spread into a Sequential is judged where it is spread."""
        return super().statement_local(ctx) and reads_only_its_statement(ctx)

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            _, entry = ctx.callee(call)
            if entry is not None and R.SEQUENTIAL in entry.roles:
                self._check_sequence(ctx, ctx.value(call))
            elif type(call.func) in (cst.Name, cst.Attribute, cst.Call):
                self._check_call_order(ctx, call)
        self._check_keras_add(ctx)
        reported = {ctx.index.statement_of(f.node) for f in ctx.findings
                    if f.rule is self}
        for pair in adjacent_layers(ctx):  # layers.append(...) / seq.add_module(...)
            node = pair.after.node
            if _is(pair.before, R.DROPOUT) and _is(pair.after, R.BATCHNORM) and (
                    node is not None and ctx.index.statement_of(node) not in reported):
                reported.add(ctx.index.statement_of(node))
                ctx.report(node)

    def _check_sequence(self, ctx: FileContext, sequential: Value | None) -> None:
        if sequential is None or sequential.kind is not Kind.INSTANCE:
            return
        for before, after in zip(sequential.items, sequential.items[1:], strict=False):
            if _is(before, R.DROPOUT) and _is(after, R.BATCHNORM) and after.node is not None:
                ctx.report(after.node)

    def _check_call_order(self, ctx: FileContext, call: cst.Call) -> None:
        """``x = self.bn(self.drop(x))``, or the same over two statements, in forward (pure
        reshapes between them included)."""
        layer = ctx.value(call.func)
        if not _is(layer, R.BATCHNORM):
            return
        args = positional(call)
        fed = fed_value(ctx, args[0]) if args else None
        if fed is not None and fed.kind is Kind.RESULT and fed.entry is not None and (
            fed.entry.roles & _DROPOUT_OUTPUT
        ):
            ctx.report(call)

    def _check_keras_add(self, ctx: FileContext) -> None:
        """``model.add(Dropout(...))`` right before ``model.add(BatchNormalization())``."""
        if "keras" not in ctx.frameworks:
            return
        adds = []
        for call in ctx.index.calls:
            if method_name(call) != "add" or type(call.func) is not cst.Attribute:
                continue
            args = positional(call)
            if len(args) != 1:
                continue
            statement = ctx.index.statement_of(call)
            line = ctx.index.parent(statement)
            adds.append((call, dotted_name(call.func.value), ctx.value(args[0]), line))
        for first, second in itertools.pairwise(adds):
            (_, receiver, layer, line), (call, next_receiver, next_layer, next_line) = first, second
            if receiver is None or receiver != next_receiver:
                continue
            if _is(layer, R.DROPOUT) and _is(next_layer, R.BATCHNORM) and _consecutive(
                ctx, line, next_line
            ):
                ctx.report(call)


def _consecutive(ctx: FileContext, first: cst.CSTNode | None, second: cst.CSTNode | None) -> bool:
    """Two statement lines that follow each other in the same block."""
    block = ctx.index.parent(first) if first is not None else None
    if block is None or block is not ctx.index.parent(second):
        return False
    body = list(getattr(block, "body", ()))
    try:
        return body.index(second) == body.index(first) + 1
    except ValueError:
        return False


def _is(value: Value | None, role: str) -> bool:
    return value is not None and value.kind is Kind.INSTANCE and role in value.roles
