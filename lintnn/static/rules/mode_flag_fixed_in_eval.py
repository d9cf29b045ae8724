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
_FUNCTIONAL_MODELS = frozenset({"keras.Model", "keras.models.Model"})


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
                if "keras" in ctx.frameworks:
                    self._check_default(ctx, call)
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

    def _check_default(self, ctx: FileContext, call: cst.Call) -> None:
        """``bn_block(x)`` in a function that builds a Keras functional ``Model``, where
        ``bn_block(x, training=True)`` passes its flag to a BatchNorm / Dropout layer: the
        default's training value is baked into the graph that evaluate / predict run."""
        found = _omits_defaulted_flag(ctx, call)
        if found is None:
            return
        block, param = found
        builder = ctx.index.enclosing_function(call)
        if builder is None or not _builds_functional_model(ctx, builder) or (
                is_stochastic_name(builder.name.value)):
            return
        if any(_omits_defaulted_flag(ctx, other) for other in ctx.index.within(
                ctx.index.calls, builder) if ctx.index.order[other] < ctx.index.order[call]):
            return  # one finding per builder: its first such call
        flag = param.name.value
        ctx.report(call, (
            f"`{block.name.value}(...)` is called without `{flag}`, so its Dropout / "
            f"BatchNorm layers get `{flag}={TRAINING_VALUE[flag]}` (the default) baked "
            f"into the functional model built in `{builder.name.value}`: `evaluate` and "
            f"`predict` then run them as in training; leave the flag unset (`None`) so "
            f"Keras switches it, or pass it through"))

    def _check_layer(self, ctx: FileContext, call: cst.Call, flag: cst.Arg) -> None:
        """``nn.Dropout(0.5, deterministic=False)`` inside a module: never switched off."""
        owner = ctx.index.enclosing_class(call)
        if owner is None or is_stochastic_name(owner.name.value) or not ctx.is_module_class(owner):
            return
        if defined_in_test(ctx, owner):
            return
        for ancestor in ctx.index.ancestors(call):
            if type(ancestor) is cst.FunctionDef and is_stochastic_name(ancestor.name.value):
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


def _defaulted_flag(ctx: FileContext, fn: cst.FunctionDef) -> cst.Param | None:
    """The parameter of ``fn`` named as a mode flag, defaulting to its training value,
    that ``fn`` passes as that flag to a Dropout / BatchNorm layer call."""
    cache: dict[cst.FunctionDef, cst.Param | None] = ctx.__dict__.setdefault(
        "_nn204_defaulted", {})
    if fn not in cache:
        cache[fn] = _find_defaulted_flag(ctx, fn)
    return cache[fn]


def _find_defaulted_flag(ctx: FileContext, fn: cst.FunctionDef) -> cst.Param | None:
    for param in (*fn.params.params, *fn.params.kwonly_params):
        flag = param.name.value
        if flag not in TRAINING_VALUE or param.default is None or (
                bool_value(param.default) is not TRAINING_VALUE[flag]):
            continue
        for call in ctx.index.within(ctx.index.calls, fn):
            arg = keyword_arg(call, flag)
            if arg is not None and type(arg.value) is cst.Name and (
                    arg.value.value == flag) and _is_layer(ctx, call) and (
                    ctx.index.enclosing_function(call) is fn):
                return param
    return None


def _builds_functional_model(ctx: FileContext, fn: cst.FunctionDef) -> bool:
    """``fn`` calls ``keras.Model(inputs, outputs)`` (a functional graph)."""
    for call in ctx.index.within(ctx.index.calls, fn):
        qualname, _ = ctx.callee(call)
        if qualname in _FUNCTIONAL_MODELS and any(
                arg.keyword is None or arg.keyword.value in ("inputs", "outputs")
                for arg in call.args):
            return True
    return False


def _omits_defaulted_flag(ctx: FileContext, call: cst.Call
                          ) -> tuple[cst.FunctionDef, cst.Param] | None:
    """The plain function of this file ``call`` calls and its :func:`_defaulted_flag`,
    when ``call`` leaves that flag to its default."""
    block = ctx.call_graph.target(call)
    if block is None or ctx.index.enclosing_class(block) is not None:
        return None
    param = _defaulted_flag(ctx, block)
    if param is None or ctx.call_graph.passes(block, param, call):
        return None
    return block, param
