"""NN106: a PyTorch softmax with an implicit dim, or dim=0 over a batch."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.shapes import indexed_rank, rank_of
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import argument, has_star_args, int_value, method_name

_NORMALIZERS = frozenset({R.SOFTMAX, R.LOG_SOFTMAX})
_RESHAPING = frozenset({"squeeze", "view", "reshape", "flatten", "permute", "transpose",
                        "unsqueeze", "t", "view_as", "reshape_as", "select", "mean", "sum"})


class SoftmaxWithoutDim(Rule):
    """``F.softmax(x)`` / ``nn.Softmax()`` without ``dim``, or ``dim=0`` on batched logits."""

    code = "NN106"
    name = "softmax-without-dim-or-over-batch"
    severity = Severity.WARNING
    scope = "statement"
    message = "softmax without dim, or over the batch dimension"
    frameworks = ("torch",)
    triggers = ("softmax", "Softmax", "softmin", "Softmin")
    needs = (Needs(frameworks=("torch",)), Needs(callee_roles=tuple(_NORMALIZERS)))

    def check(self, ctx: FileContext) -> None:
        if "torch" not in ctx.frameworks:
            return
        for call in ctx.index.calls:
            qualname, entry = ctx.callee(call)
            if (qualname is None or entry is None or entry.framework != "torch"
                    or not entry.roles & _NORMALIZERS or entry.dim is None
                    or has_star_args(call)):
                self._check_layer_call(ctx, call)
                continue
            name = qualname.rsplit(".", 1)[-1]
            dim = argument(call, entry.dim.position, entry.dim.keyword)
            if _implicit(dim):
                if entry.kind == "function":
                    self._check_implicit(ctx, call, name, argument(call, 0, "input"))
            elif int_value(dim) == 0 and (
                    _after_layer_in_sequential(ctx, call) if entry.kind == "class"
                    else _batched(ctx, argument(call, 0, "input"))):
                ctx.report(dim, (
                    f"{name} over dim=0 of a batch of scores: each class is normalized "
                    f"across the samples of the batch instead of each sample across its "
                    f"classes; use dim=-1 (or dim=1)"))

    def _check_layer_call(self, ctx: FileContext, call: cst.Call) -> None:
        """``act = nn.Softmax(); act(x)``: the implicit dim is decided by what it is given."""
        if type(call.func) not in (cst.Name, cst.Attribute):
            return
        layer = ctx.value(call.func)
        if layer is None or layer.kind is not Kind.INSTANCE or layer.entry is None or (
                layer.entry.framework != "torch" or not layer.roles & _NORMALIZERS
                or layer.entry.dim is None or type(layer.node) is not cst.Call):
            return
        built = layer.node
        if has_star_args(built) or not _implicit(
                argument(built, layer.entry.dim.position, layer.entry.dim.keyword)):
            return
        name = (layer.qualname or "Softmax").rsplit(".", 1)[-1]
        self._check_implicit(ctx, call, name, argument(call, 0, "input"))

    def _check_implicit(self, ctx: FileContext, call: cst.Call, name: str,
                        data: cst.BaseExpression | None) -> None:
        """Without ``dim`` PyTorch normalizes dim 0 of a 1-D or 3-D input (dim 1 otherwise):
        reported only where the input is known to have one or three dimensions; on the
        usual 2-D ``(batch, classes)`` input the implicit choice is the right one."""
        rank = rank_of(ctx, data) or indexed_rank(ctx, call)
        if rank == 3:
            ctx.report(call, (
                f"{name} without dim on a 3-D input: the implicit dim is 0, which normalizes "
                f"across the batch (or the sequence) instead of across the classes; pass "
                f"dim=-1"))
        elif rank == 1:
            ctx.report(call, (
                f"{name} without dim on a 1-D input: the implicit dim is 0, which is right "
                f"only if this is one sample's scores; if it is a batch of one score per "
                f"sample, the samples are normalized against each other; pass dim "
                f"explicitly"))


def _implicit(dim: cst.BaseExpression | None) -> bool:
    return dim is None or (type(dim) is cst.Name and dim.value == "None")


def _batched(ctx: FileContext, node: cst.BaseExpression | None) -> bool:
    """True when ``node`` is known to hold a batch: a layer or model output, or the
    ``logits`` attribute of a model's output object (``outputs.logits``)."""
    if node is None or type(node) is cst.Subscript or (
            type(node) is cst.Call and method_name(node) in _RESHAPING):
        return False  # ``logits.squeeze()``, ``logits[0]``: the batch axis may be gone
    value = ctx.value(node)
    if value is not None and value.kind is Kind.RESULT and (
            R.LINEAR_OUTPUT in value.roles or value.project_class is not None):
        return True
    # A bare name is not enough: ``for logits in per_sample: softmax(logits, dim=0)``.
    return type(node) is cst.Attribute and (
        node.attr.value == "logits" or node.attr.value.endswith("_logits"))


def _after_layer_in_sequential(ctx: FileContext, layer: cst.Call) -> bool:
    """``nn.Sequential(..., nn.Linear(8, 4), nn.Softmax(dim=0))``: a batch goes through it."""
    arg = ctx.index.parent(layer)
    sequential = ctx.index.parent(arg) if type(arg) is cst.Arg else None
    if type(sequential) is not cst.Call or arg.keyword is not None:  # type: ignore[union-attr]
        return False
    _, entry = ctx.callee(sequential)
    if entry is None or R.SEQUENTIAL not in entry.roles:
        return False
    position = sequential.args.index(arg)  # type: ignore[arg-type]
    if position == 0 or type(sequential.args[position - 1].value) is not cst.Call:
        return False
    _, before = ctx.callee(sequential.args[position - 1].value)  # type: ignore[arg-type]
    return before is not None and R.LINEAR_OUTPUT in before.roles
