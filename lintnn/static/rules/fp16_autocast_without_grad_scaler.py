"""NN510: float16 autocast in training with no GradScaler."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import (
    argument,
    dotted_name,
    keyword,
    method_name,
    positional,
    string_value,
)

_FP16 = frozenset({"torch.float16", "torch.half"})


class Fp16AutocastWithoutGradScaler(Rule):
    """``torch.autocast(dtype=torch.float16)`` around training, and no ``GradScaler``."""

    code = "NN510"
    name = "fp16-autocast-without-grad-scaler"
    severity = Severity.WARNING
    message = (
        "float16 autocast in a training step with no GradScaler: small gradients underflow "
        "to zero in float16 and the model stops learning (or the loss turns NaN); scale "
        "the loss with torch.amp.GradScaler, or autocast to bfloat16"
    )
    frameworks = ("torch",)
    triggers = ("autocast",)
    absent = ("Scaler", "scale")
    needs = (Needs(callee_roles=(R.AUTOCAST,)), Needs(calls=("backward",)))

    def check(self, ctx: FileContext) -> None:
        if "GradScaler" in ctx.source or any(
            method_name(c) in ("scale", "unscale_") or _calls_loss_scaler(ctx, c)
            for c in ctx.index.calls
        ):
            return
        for with_node in ctx.index.withs:
            for item in with_node.items:
                call = item.item
                if type(call) is cst.Call and self._is_fp16_autocast(ctx, call) and \
                        _backward_in_scope(ctx, with_node):
                    ctx.report(call)

    def _is_fp16_autocast(self, ctx: FileContext, call: cst.Call) -> bool:
        qualname, entry = ctx.callee(call)
        if entry is None or R.AUTOCAST not in entry.roles:
            return False
        enabled = keyword(call, "enabled")
        if type(enabled) is cst.Name and enabled.value == "False":
            return False
        dtype = argument(call, 1 if qualname in ("torch.autocast", "torch.amp.autocast")
                         else None, "dtype")
        if dtype is not None:
            return ctx.qualname(dtype) in _FP16
        if qualname == "torch.cuda.amp.autocast":
            return True
        if qualname in ("torch.autocast", "torch.amp.autocast"):
            args = positional(call)
            device = string_value(keyword(call, "device_type") or (args[0] if args else None))
            return device == "cuda"
        return False


def _calls_loss_scaler(ctx: FileContext, call: cst.Call) -> bool:
    """``loss_scaler(loss, optimizer, ...)``: an object named as a scaler called with
    arguments (timm's ``NativeScaler``, a project's wrapper of ``GradScaler`` that scales,
    backpropagates and steps), not a framework function, not a class being built."""
    name = dotted_name(call.func)
    last = name.rsplit(".", 1)[-1] if name else ""
    return "scaler" in last.lower() and last[:1].islower() and bool(call.args) and \
        ctx.callee(call)[1] is None


def _backward_in_scope(ctx: FileContext, node: cst.CSTNode) -> bool:
    """A ``.backward()`` call in the same function (or module body) as ``node``."""
    scope = ctx.scope_of(node)
    return any(
        method_name(call) == "backward" and ctx.scope_of(call) is scope
        for call in ctx.index.calls
    )
