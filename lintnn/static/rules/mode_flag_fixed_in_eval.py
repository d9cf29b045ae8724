"""NN204: a flax / keras mode flag fixed to its training value where the model evaluates."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.modes import defined_in_test, evaluation_function, is_stochastic_name
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import bool_value, dotted_name, keyword_arg, method_name

# Mode flags and the value that means "training" for each.
TRAINING_VALUE = {
    "deterministic": False,
    "use_running_average": False,
    "train": True,
    "training": True,
    "is_training": True,
}
_APPLY_NAMES = frozenset({"apply", "apply_fn"})
_LAYER_ROLES = frozenset({R.DROPOUT, R.BATCHNORM})


class ModeFlagFixedInEval(Rule):
    """``train=True`` / ``deterministic=False`` where the model is evaluated or built."""

    code = "NN204"
    name = "mode-flag-fixed-in-eval"
    severity = Severity.WARNING
    message = "mode flag fixed to its training value in evaluation code"
    frameworks = ("jax", "keras")
    triggers = tuple(f"{flag}=" for flag in TRAINING_VALUE)
    needs = (Needs(frameworks=("jax", "keras")), Needs(names=tuple(TRAINING_VALUE)))

    def check(self, ctx: FileContext) -> None:
        if not ctx.frameworks & {"jax", "keras"}:
            return
        for call in ctx.index.calls:
            flag = _training_flag(call)
            if flag is None:
                continue
            if _is_layer(ctx, call):
                self._check_layer(ctx, call, flag)
            elif _applies_model(ctx, call):
                function = evaluation_function(ctx, call)
                if function is not None:
                    ctx.report(flag, (
                        f"`{_code(flag)}` in `{function.name.value}`, which evaluates: the "
                        f"model runs with dropout on and updates or uses batch statistics, "
                        f"so the evaluation is noisy and wrong; pass the evaluation value "
                        f"(`{_eval_value(flag)}`)"))

    def _check_layer(self, ctx: FileContext, call: cst.Call, flag: cst.Arg) -> None:
        """``nn.Dropout(0.5, deterministic=False)`` inside a module: never switched off."""
        owner = ctx.index.enclosing_class(call)
        if owner is None or is_stochastic_name(owner.name.value) or not ctx.is_module_class(owner):
            return
        if defined_in_test(ctx, owner):
            return
        for ancestor in ctx.index.ancestors(call):
            if isinstance(ancestor, cst.FunctionDef) and is_stochastic_name(ancestor.name.value):
                return
        ctx.report(flag, (
            f"`{_code(flag)}` is hard-coded in {owner.name.value}: the layer behaves as in "
            f"training also when the model is evaluated; take the flag as an argument of "
            f"the module (e.g. `train: bool`) and pass it through"))


def _training_flag(call: cst.Call) -> cst.Arg | None:
    for name, training in TRAINING_VALUE.items():
        arg = keyword_arg(call, name)
        if arg is not None and bool_value(arg.value) is training:
            return arg
    return None


def _is_layer(ctx: FileContext, call: cst.Call) -> bool:
    """A dropout / batch-norm layer built or called with the flag."""
    _, entry = ctx.callee(call)
    if entry is not None:
        return entry.kind == "class" and bool(entry.roles & _LAYER_ROLES)
    value = ctx.value(call.func)
    return value is not None and value.kind is Kind.INSTANCE and bool(value.roles & _LAYER_ROLES)


def _applies_model(ctx: FileContext, call: cst.Call) -> bool:
    """``model.apply(params, x, ...)``, ``state.apply_fn(...)``, ``model(x, ...)``."""
    if method_name(call) in _APPLY_NAMES:
        return True
    name = dotted_name(call.func)
    if name is not None and name.rsplit(".", 1)[-1] in _APPLY_NAMES:
        return True
    if name == "self":
        return True
    value = ctx.value(call.func)
    return value is not None and (
        value.kind is Kind.PARAM or (value.kind is Kind.INSTANCE and value.entry is None)
        or (value.kind is Kind.INSTANCE and value.has(R.MODULE_BASE))
    )


def _code(arg: cst.Arg) -> str:
    return f"{arg.keyword.value}={bool_value(arg.value)}"  # type: ignore[union-attr]


def _eval_value(arg: cst.Arg) -> str:
    name = arg.keyword.value  # type: ignore[union-attr]
    return f"{name}={not TRAINING_VALUE[name]}"
