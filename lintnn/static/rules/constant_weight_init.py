"""NN402: layer weights initialized to one constant (all units identical)."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.knowledge import lookup
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import (
    argument,
    dotted_name,
    float_value,
    keyword,
    method_name,
    string_value,
)

_WEIGHTED = frozenset({R.LINEAR, R.CONV, R.EMBEDDING, R.KERAS_DENSE})
_NORMS = frozenset({R.NORM, R.BATCHNORM})
_TORCH_INIT = {"torch.nn.init.zeros_": 0.0, "torch.nn.init.ones_": 1.0,
               "torch.nn.init.constant_": None, "torch.nn.init.zeros": 0.0,
               "torch.nn.init.ones": 1.0, "torch.nn.init.constant": None}
_HIDDEN_ACTIVATIONS = frozenset({"relu", "relu6", "elu", "selu", "gelu", "tanh", "swish",
                                 "silu", "leaky_relu", "mish"})
_KERAS_INIT_NAMES = {"zeros": 0.0, "ones": 1.0, "Zeros": 0.0, "Ones": 1.0}


# The arguments that give a Keras or flax layer its initial weights.
_INITIALIZER_KEYWORDS = ("kernel_initializer", "embeddings_initializer", "kernel_init",
                         "embedding_init")


class ConstantWeightInit(Rule):
    """Weights of Linear/Conv/Embedding layers set to a constant."""

    code = "NN402"
    name = "constant-weight-init"
    severity = Severity.WARNING
    scope = "statement"
    message = (
        "layer weights initialized to a constant: every unit of the layer computes the "
        "same output and receives the same gradient, so they never become different "
        "(with zeros and ReLU, they never learn at all); use a random initializer"
    )
    frameworks = ("torch", "jax", "keras")
    triggers = ("zeros_", "ones_", "constant_", "fill_(", "zero_(", "initializer", "kernel_init",
                "embedding_init")
    needs = (Needs(calls=(*(q.rsplit(".", 1)[-1] for q in _TORCH_INIT), "fill_", "zero_"),
                   names=_INITIALIZER_KEYWORDS),)

    def check(self, ctx: FileContext) -> None:
        if ctx.is_test_file:
            return  # tests set constant weights on purpose, to compute expected outputs
        for call in ctx.index.calls:
            found = _torch_weight_constant(ctx, call)
            if found is not None:
                layer, value = found
                self._check_torch(ctx, call, layer, value)
            else:
                self._check_initializer_argument(ctx, call)

    def _check_torch(self, ctx: FileContext, call: cst.Call, layer: cst.BaseExpression,
                     value: float | None) -> None:
        roles, generic = _layer_kind(ctx, call, layer)
        if not roles or any(r & _NORMS for r in roles) or not all(r & _WEIGHTED for r in roles):
            return
        if not generic and _single_unit(ctx.value(layer)):
            return
        if value is None:
            return
        if value != 0.0 or generic:
            ctx.report(call)

    def _check_initializer_argument(self, ctx: FileContext, call: cst.Call) -> None:
        """keras ``kernel_initializer="ones"``, flax ``kernel_init=initializers.ones``."""
        # The keywords first: the value of every call of the file is not asked for.
        inits = [init for name in _INITIALIZER_KEYWORDS
                 if (init := keyword(call, name)) is not None]
        if not inits:
            return
        built = ctx.value(call)
        if built is None or built.kind is not Kind.INSTANCE or not built.roles & _WEIGHTED:
            return
        if _single_unit(built):
            return
        for init in inits:
            value = _initializer_constant(ctx, _assigned_value(ctx, init, call))
            if value is None:
                continue
            activation = string_value(keyword(call, "activation"))
            if value != 0.0 or activation in _HIDDEN_ACTIVATIONS:
                ctx.report(init)


def _single_unit(layer: Value | None) -> bool:
    """A layer with one output unit (``Dense(1)``, ``nn.Linear(64, 1)``): no two units to
    be alike, and its input weights still diverge through their different inputs."""
    built = layer.node if layer is not None else None
    if type(built) is not cst.Call or layer is None:
        return False
    torch = layer.entry is not None and layer.entry.framework == "torch"
    size = argument(built, 1, "out_features") if torch else argument(built, 0, "units")
    if torch and size is None:
        size = keyword(built, "out_channels") or keyword(built, "embedding_dim")
    if not torch and size is None:
        size = keyword(built, "filters") or keyword(built, "features")
    return float_value(size) == 1.0


def _torch_weight_constant(ctx: FileContext,
                           call: cst.Call) -> tuple[cst.BaseExpression, float | None] | None:
    """``nn.init.zeros_(m.weight)``, ``m.weight.data.fill_(1)``: (the layer ``m``, the value)."""
    qualname = ctx.qualname(call.func)
    if qualname in _TORCH_INIT:
        tensor = argument(call, 0, "tensor")
        value = _TORCH_INIT[qualname]
        if value is None:
            value = float_value(argument(call, 1, "val"))
    elif qualname is None and method_name(call) in ("fill_", "zero_"):
        tensor = call.func.value  # type: ignore[attr-defined]
        value = 0.0 if method_name(call) == "zero_" else float_value(argument(call, 0, "value"))
    else:
        return None
    if type(tensor) is cst.Attribute and tensor.attr.value == "data":
        tensor = tensor.value
    if type(tensor) is cst.Attribute and tensor.attr.value == "weight":
        return tensor.value, value
    return None


def _layer_kind(ctx: FileContext, call: cst.Call,
                layer: cst.BaseExpression) -> tuple[list[frozenset[str]], bool]:
    """The roles of each class the layer may be, and whether the init is generic
    (``if isinstance(m, nn.Linear)``: every such layer of the model gets it)."""
    name = dotted_name(layer)
    for ancestor in ctx.index.ancestors(call):
        if type(ancestor) in (cst.FunctionDef, cst.ClassDef, cst.Lambda):
            break
        if type(ancestor) is not cst.If or not ctx.index.is_inside(call, ancestor.body):
            continue
        classes = _isinstance_classes(ancestor.test, name)
        if classes is not None:
            roles = []
            for cls in classes:
                entry = lookup(ctx.qualname_of_class(cls))
                roles.append(entry.roles if entry is not None else frozenset())
            return roles, True
    value = ctx.value(layer)
    if value is not None and value.kind is Kind.INSTANCE and value.roles:
        return [value.roles], False
    return [], False


def _isinstance_classes(test: cst.BaseExpression,
                        name: str | None) -> list[cst.BaseExpression] | None:
    if not (type(test) is cst.Call and dotted_name(test.func) == "isinstance"
            and len(test.args) == 2 and dotted_name(test.args[0].value) == name):
        return None
    classes = test.args[1].value
    if type(classes) is cst.Tuple:
        return [element.value for element in classes.elements]
    return [classes]


def _assigned_value(ctx: FileContext, expr: cst.BaseExpression,
                    at: cst.CSTNode) -> cst.BaseExpression:
    """``init`` in ``Dense(5, kernel_initializer=init)`` with ``init = initializers.Ones()``
    assigned before it in the same scope: that value; else ``expr`` itself."""
    if type(expr) is not cst.Name:
        return expr
    value = ctx.assigned_value(expr.value, at)
    return expr if value is None else value


def _initializer_constant(ctx: FileContext, init: cst.BaseExpression) -> float | None:
    """The constant an initializer argument fills with, if it is one."""
    text = string_value(init)
    if text is not None:
        return _KERAS_INIT_NAMES.get(text)
    target = init.func if type(init) is cst.Call else init
    qualname = ctx.qualname(target) or ""
    if "initializers" not in qualname:
        return None
    last = qualname.rsplit(".", 1)[-1]
    if last in ("zeros", "Zeros", "zeros_init"):
        return 0.0
    if last in ("ones", "Ones", "ones_init"):
        return 1.0
    if last in ("constant", "Constant") and type(init) is cst.Call:
        return float_value(argument(init, 0, "value"))
    return None
