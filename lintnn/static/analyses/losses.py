"""Shared analysis for loss rules: which calls are losses, and what they are fed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Entry
from lintnn.static.syntax.context import FileContext, NodeFix, returns_of, written_activation
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    is_self_attribute,
    keyword,
    keyword_arg,
    method_name,
    string_value,
    target_names,
)
from lintnn.static.syntax.project import ANY_ARGUMENT, PART, PASSING, RETURNS, Requirement

LOSS_ROLES = frozenset({
    R.LOSS_SOFTMAX_LOGITS, R.LOSS_SIGMOID_LOGITS, R.LOSS_PROBABILITIES,
    R.LOSS_LOG_PROBABILITIES, R.LOSS_KERAS_FROM_LOGITS,
})


@dataclass(frozen=True)
class LossCall:
    """A call that computes a loss, with what kind of prediction it expects."""

    call: cst.Call
    entry: Entry
    expects: str  # one of the loss.* roles; keras losses resolved by their from_logits
    prediction: cst.BaseExpression | None
    name: str  # the loss as the user would name it, for messages


def loss_calls(ctx: FileContext) -> list[LossCall]:
    """Every loss computation in the file: ``F.cross_entropy(p, y)``, ``criterion(p, y)``."""
    found = []
    for call in ctx.index.calls:
        loss = loss_call(ctx, call)
        if loss is not None:
            found.append(loss)
    return found


def loss_call(ctx: FileContext, call: cst.Call) -> LossCall | None:
    qualname, entry = ctx.callee(call)
    constructor: cst.Call | None = call
    if entry is not None and entry.kind == "function" and entry.roles & LOSS_ROLES:
        name = (qualname or "").rsplit(".", 1)[-1]
    else:
        if not _may_be_instance(call.func):
            return None
        value = ctx.value(call.func)
        if value is None or value.kind is not Kind.INSTANCE or value.entry is None:
            return None
        entry = value.entry
        if not entry.roles & LOSS_ROLES:
            return None
        name = (value.qualname or "").rsplit(".", 1)[-1]
        constructor = value.node if type(value.node) is cst.Call else None
    expects = _expects(entry, constructor)
    if expects is None:
        return None
    prediction = argument(call, entry.prediction.position, entry.prediction.keyword) \
        if entry.prediction else None
    return LossCall(call, entry, expects, prediction, name)


def computes_a_loss(ctx: FileContext, call: cst.Call) -> bool:
    """``call`` computes a known loss, a classification (:func:`loss_call`) or a regression
    one (``F.mse_loss(p, y)``, ``nn.L1Loss()(p, y)``)."""
    if loss_call(ctx, call) is not None:
        return True
    _, entry = ctx.callee(call)
    if entry is not None and entry.kind == "function":
        return R.LOSS_REGRESSION in entry.roles
    value = ctx.value(call.func) if _may_be_instance(call.func) else None
    return value is not None and value.kind is Kind.INSTANCE and value.has(R.LOSS_REGRESSION)


def _may_be_instance(func: cst.BaseExpression) -> bool:
    return type(func) in (cst.Name, cst.Attribute, cst.Call)


def instance_expects(value: Value | None) -> str | None:
    """What kind of prediction a loss object expects (``nn.CrossEntropyLoss()``: logits
    for a softmax), or None if ``value`` is not a known loss object."""
    if value is None or value.kind is not Kind.INSTANCE or value.entry is None or not (
            value.entry.roles & LOSS_ROLES):
        return None
    return _expects(value.entry, value.node if type(value.node) is cst.Call else None)


# Methods that give back the loss object they are called on (``nn.NLLLoss().to(device)``).
_SAME_OBJECT_METHODS = frozenset({"to", "cuda", "cpu", "float", "double", "half", "train",
                                  "eval"})


def constructor_of(instance: Value) -> cst.Call | None:
    """The call that built a loss object (``nn.CrossEntropyLoss(reduction="sum")``), seen
    through the methods that return it (``.to(device)``, ``.cuda()``)."""
    node = instance.node
    while type(node) is cst.Call and method_name(node) in _SAME_OBJECT_METHODS:
        node = node.func.value  # type: ignore[attr-defined]
    return node if type(node) is cst.Call else None


def loss_reduction(constructor: cst.Call) -> str:
    """How a loss object reduces over the batch: ``mean`` (the default), ``sum``,
    ``none``; ``?`` when an argument may say otherwise (a variable, ``**kwargs``, the
    legacy ``size_average``/``reduce``)."""
    if any(arg.star for arg in constructor.args) or keyword(
            constructor, "size_average") is not None or keyword(constructor, "reduce") is not None:
        return "?"
    reduction = keyword(constructor, "reduction")
    if reduction is None:
        return "mean"
    return string_value(reduction) or "?"


def _expects(entry: Entry, constructor: cst.Call | None) -> str | None:
    if R.LOSS_KERAS_FROM_LOGITS not in entry.roles:
        return next(iter(entry.roles & LOSS_ROLES))
    if constructor is None:
        return None
    from_logits = bool_value(keyword(constructor, "from_logits"))
    if keyword(constructor, "from_logits") is not None and from_logits is None:
        return None  # from_logits=some_variable: unknown
    binary = "binary" in (dotted_name(constructor.func) or "").lower()
    if from_logits:
        return R.LOSS_SIGMOID_LOGITS if binary else R.LOSS_SOFTMAX_LOGITS
    return R.LOSS_PROBABILITIES


def made_by(value: Value | None, roles: frozenset[str]) -> str | None:
    """The role among ``roles`` that produced ``value`` (``makes.softmax``...), if known."""
    if value is None or value.kind is not Kind.RESULT:
        return None
    hit = value.roles & roles
    return next(iter(sorted(hit))) if hit else None


# What a prediction is known to be ------------------------------------------------


@dataclass(frozen=True)
class Producer:
    """What made a prediction: a role, known here or required of a project model."""

    role: str
    requirement: Requirement | None = None  # None: known in this file
    model: str | None = None  # the project model's class name, for messages
    name: str | None = None  # what made it here (``relu``, ``Linear``), for messages


def producers(ctx: FileContext, value: Value | None, roles: frozenset[str]) -> list[Producer]:
    """The roles among ``roles`` that may have produced ``value``.

    A role known in this file is certain (one producer, no requirement). For the output
    of a project model each candidate role comes with a requirement on that model's
    forward; the engine keeps a finding only if the project index satisfies it.
    """
    across = _project_part_producers(ctx, value, roles)
    if across is not None:
        return across
    value = ctx.part_value(value)
    if value is None or value.kind is not Kind.RESULT:
        return []
    if value.candidates:
        return _candidate_producers(ctx, value, roles)
    local = made_by(value, roles)
    if local is not None:
        name = value.qualname.rsplit(".", 1)[-1] if value.qualname else None
        return [Producer(local, name=name)]
    written = made_by(_file_model_output(ctx, value), roles)
    if written is not None:
        return [Producer(written, name=value.project_class.rsplit(".", 1)[-1])]  # type: ignore[union-attr]
    found = []
    for role in sorted(roles):
        requirement = ctx.requirement(value, RETURNS, returns_role(role, _model_call(ctx, value)))
        if requirement is not None:
            model = value.project_class.rsplit(".", 1)[-1]  # type: ignore[union-attr]
            found.append(Producer(role, requirement, model))
    return found


def _project_part_producers(ctx: FileContext, value: Value | None,
                            roles: frozenset[str]) -> list[Producer] | None:
    """One part of another file's class output (``logits, hidden = model(x)``): each role
    is required of that part (``makes.relu@0``). None for anything else."""
    if value is None or value.part is None:
        return None
    class_qualname, position = value.part
    if ctx.class_named(class_qualname) is not None:
        return None  # read here (``FileContext.part_value``)
    whole = Value(Kind.RESULT, node=value.node, project_class=class_qualname)
    call = _model_call(ctx, whole)
    found = []
    for role in sorted(roles):
        requirement = ctx.requirement(whole, RETURNS,
                                      returns_role(f"{role}{PART}{position}", call))
        if requirement is not None:
            found.append(Producer(role, requirement, class_qualname.rsplit(".", 1)[-1]))
    return found


def _candidate_producers(ctx: FileContext, value: Value,
                         roles: frozenset[str]) -> list[Producer]:
    """The output of a parameter its callers give different models: a role that one of
    them produces is a bug on that caller's path (one producer per role, its requirement
    satisfied by any of the models)."""
    found = []
    names = sorted({(c.project_class or c.qualname or "?").rsplit(".", 1)[-1]
                    for c in value.candidates})
    model = f"the model its callers pass ({' or '.join(names)})"
    for role in sorted(roles):
        each = [producers(ctx, candidate, frozenset({role})) for candidate in value.candidates]
        hits = [p for group in each for p in group]
        if not hits:
            continue
        local = [p for p in hits if p.requirement is None]
        if local:
            found.append(Producer(role, None, model, local[0].name))
            continue
        first, *rest = [p.requirement for p in hits]
        requirement = Requirement(first.class_qualname, first.fact, first.role,  # type: ignore[union-attr]
                                  first.near, tuple(rest))  # type: ignore[union-attr, arg-type]
        found.append(Producer(role, requirement, model))
    return found


def _file_model_output(ctx: FileContext, value: Value, depth: int = 0) -> Value | None:
    """What a plain class of this file outputs, read from its ``__call__`` / ``forward``:
    a written activation (``return exp(x) / exp(x).sum(1, keepdim=True)``), or, for a
    hand-written Sequential (``for layer in self.layers: x = layer(x)`` then ``return x``),
    the output of the last layer of the list its instance was built with."""
    if depth > 4 or value.project_class is None or value.candidates:
        return None
    class_def = ctx.class_named(value.project_class)
    if class_def is None:
        return None
    ctx.depends_on(class_def)
    method = ctx.method(class_def, "forward", "__call__")
    returned = returns_of(method) if method is not None else []
    if method is None or len(returned) != 1 or returned[0].value is None:
        return None
    roles = written_activation(returned[0].value, lambda name: None)
    if roles:
        return Value(Kind.RESULT, roles=roles, node=value.node)
    last = _last_chained_layer(ctx, class_def, method, _instance_called(ctx, value))
    if last is None or last.kind is not Kind.INSTANCE:
        return None
    if last.project_class is not None:
        return _file_model_output(ctx, Value(Kind.RESULT, node=value.node,
                                             project_class=last.project_class), depth + 1) \
            if _built_by(last) else None
    made = frozenset(r for r in last.roles if r.startswith("makes."))
    return Value(Kind.RESULT, qualname=last.qualname, roles=made, node=value.node)


def returns_role(role: str, call: cst.Call | None) -> str:
    """The RETURNS ``role`` as ``call`` asks it (None: a call not known): with what it
    passes, by keyword or position (``makes.softmax|return_features,#1``), so that a class
    whose flagged returns were left out (``ClassSummary.returns_unless``) tells a call that
    passes the flag."""
    if call is None:
        return role + PASSING + ANY_ARGUMENT
    passed = []
    for position, arg in enumerate(call.args):
        if arg.star:
            passed.append(ANY_ARGUMENT)
        elif arg.keyword is not None:
            passed.append(arg.keyword.value)
        else:
            passed.append(f"#{position}")
    return role + PASSING + ",".join(passed) if passed else role


def _model_call(ctx: FileContext, output: Value) -> cst.Call | None:
    """The call of the model that made ``output`` (see :func:`_instance_called`)."""
    found = _called(ctx, output)
    return found[0] if found is not None else None


def _instance_called(ctx: FileContext, output: Value) -> Value | None:
    """The instance whose call made ``output``, followed back through indexing and
    tensor methods (``y_pred[rows, labels]``, ``model(x).squeeze()``)."""
    found = _called(ctx, output)
    return found[1] if found is not None else None


def _called(ctx: FileContext, output: Value) -> tuple[cst.Call, Value] | None:
    """The call that made ``output`` and the instance it called."""
    node = output.node
    for _ in range(8):
        if type(node) is cst.Subscript:
            inner = ctx.value(node.value)
        elif type(node) is cst.Call and type(node.func) is cst.Attribute and not (
                is_self_attribute(node.func)) and ctx.qualname(node.func) is None:
            inner = ctx.value(node.func.value)  # ``.squeeze()`` on the output
            callee = ctx.value(node.func)
            if callee is not None and callee.project_class == output.project_class:
                return node, callee  # ``self.model(x)``
        elif type(node) is cst.Call:
            callee = ctx.value(node.func)
            return (node, callee) if callee is not None and (
                callee.project_class == output.project_class) else None
        else:
            return None
        if inner is None or inner.project_class != output.project_class:
            return None
        node = inner.node
    return None


def _built_by(instance: Value) -> bool:
    return type(instance.node) is cst.Call


def _last_chained_layer(ctx: FileContext, class_def: cst.ClassDef, method: cst.FunctionDef,
                        instance: Value | None) -> Value | None:
    """The last layer an instance of a hand-written Sequential applies: its output method
    is exactly ``for layer in self.<list>: x = layer(x)`` and ``return x``, ``__init__``
    sets ``self.<list> = <parameter>``, and the instance was built with a list literal."""
    body = method.body.body if type(method.body) is cst.IndentedBlock else ()
    params = method.params.params
    if instance is None or instance.kind is not Kind.INSTANCE or len(body) != 2 \
            or len(params) != 2 or type(instance.node) is not cst.Call:
        return None
    loop, end = body
    flowing = params[1].name.value
    if not (type(loop) is cst.For and loop.orelse is None and type(
            loop.target) is cst.Name and _returns_name(end, flowing)):
        return None
    attribute = loop.iter.attr.value if is_self_attribute(loop.iter) else None  # type: ignore[attr-defined]
    step = loop.body.body if type(loop.body) is cst.IndentedBlock else ()
    if attribute is None or len(step) != 1 or not _applies(step[0], loop.target.value, flowing):
        return None
    ctx.depends_on(instance.node)  # the list of layers it was built with
    layers = _constructor_argument(ctx, class_def, attribute, instance.node)
    if type(layers) not in (cst.List, cst.Tuple) or not layers.elements or type(
            layers.elements[-1]) is cst.StarredElement:
        return None
    return ctx.value(layers.elements[-1].value)


def _returns_name(statement: cst.CSTNode, name: str) -> bool:
    small = statement.body[0] if type(statement) is cst.SimpleStatementLine \
        and len(statement.body) == 1 else None
    return type(small) is cst.Return and type(small.value) is cst.Name \
        and small.value.value == name


def _applies(statement: cst.CSTNode, layer: str, flowing: str) -> bool:
    """``x = layer(x)``: the one statement of the loop."""
    small = statement.body[0] if type(statement) is cst.SimpleStatementLine \
        and len(statement.body) == 1 else None
    if type(small) is not cst.Assign or len(small.targets) != 1:
        return False
    target, value = small.targets[0].target, small.value
    return type(target) is cst.Name and target.value == flowing and type(
        value) is cst.Call and type(value.func) is cst.Name and value.func.value == layer \
        and len(value.args) == 1 and type(value.args[0].value) is cst.Name \
        and value.args[0].value.value == flowing and not value.args[0].star


def _constructor_argument(ctx: FileContext, class_def: cst.ClassDef, attribute: str,
                          built: cst.Call) -> cst.BaseExpression | None:
    """What ``built`` passes for the ``__init__`` parameter stored once as ``self.<attribute>``
    and never assigned again in the class."""
    init = ctx.method(class_def, "__init__")
    if init is None:
        return None
    stores = [a for a in ctx.index.within(ctx.index.assignments, class_def)
              if any(is_self_attribute(t.target, attribute) for t in a.targets)]
    if len(stores) != 1 or ctx.index.enclosing_function(stores[0]) is not init \
            or type(stores[0].value) is not cst.Name:
        return None
    param = next((p for p in init.params.params if p.name.value == stores[0].value.value), None)
    if param is None or any(arg.star for arg in built.args):
        return None
    position = init.params.params.index(param) - 1  # ``self`` is not passed
    return argument(built, position, param.name.value) if position >= 0 else None


def describe(producer: Producer, what: str) -> str:
    """``"softmax output"`` or ``"the output of Net, which ends in a softmax,"``."""
    if producer.model is None:
        return f"{producer.name or what} output"
    article = "an" if what[:1] in "aeiou" else "a"
    return f"the output of {producer.model}, which ends in {article} {what},"


def report_producer(ctx: FileContext, node: cst.CSTNode, producer: Producer, message: str,
                    fix: NodeFix | None = None) -> None:
    """Report at ``node``: now if the producer is known here, else on its requirement."""
    if producer.requirement is None:
        ctx.report(node, message, fix=fix)
    else:
        ctx.report(node, message, requires=(producer.requirement,))


def report_loss_inputs(
    ctx: FileContext,
    expects: frozenset[str],
    roles: frozenset[str],
    message: Callable[[Producer, LossCall], str],
    fix: Callable[[FileContext, LossCall], NodeFix | None] | None = None,
) -> None:
    """The common shape of the loss-input rules: report every loss expecting one of
    ``expects`` whose prediction one of ``roles`` made (here or in a project model)."""
    for loss in loss_calls(ctx):
        if loss.expects not in expects or loss.prediction is None:
            continue
        for producer in producers(ctx, ctx.value(loss.prediction), roles):
            local_fix = fix(ctx, loss) if fix is not None and producer.requirement is None \
                else None
            report_producer(ctx, loss.call, producer, message(producer, loss), local_fix)


# Keras: model.compile(loss=...) -------------------------------------------------------

# String losses that compile to a from_logits=False loss (they expect probabilities).
KERAS_PROBABILITY_LOSS_NAMES = frozenset({
    "categorical_crossentropy", "sparse_categorical_crossentropy", "binary_crossentropy",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
})


@dataclass(frozen=True)
class KerasCompile:
    """``model.compile(loss=...)`` on a Sequential whose layers are known."""

    call: cst.Call
    loss: cst.BaseExpression  # the loss argument
    expects: str | None  # a loss.* role; None when the loss is unknown
    from_logits: cst.Arg | None  # the ``from_logits=`` argument of the loss, if written
    last_layer: Value  # the Sequential's last layer (an instance)


@dataclass(frozen=True)
class ProjectCompile:
    """``model.compile(loss=...)`` on an instance of a project model class (a subclassed
    ``keras.Model``): what its ``call`` returns is asked of the project index."""

    call: cst.Call
    expects: str | None
    from_logits: cst.Arg | None
    output: Value  # a result of the project class, for :func:`producers`


def keras_project_compiles(ctx: FileContext) -> list[ProjectCompile]:
    """Every ``model.compile(..., loss=...)`` whose model is a project class instance."""
    found = []
    for call, model_expr, loss_arg in _compiles(ctx):
        model = ctx.value(model_expr)
        if model is None or model.kind is not Kind.INSTANCE or model.project_class is None:
            continue
        expects, from_logits = _keras_loss(ctx, loss_arg)
        output = Value(Kind.RESULT, node=call, project_class=model.project_class)
        found.append(ProjectCompile(call, expects, from_logits, output))
    return found


def keras_compiles(ctx: FileContext) -> list[KerasCompile]:
    """Every ``model.compile(..., loss=...)`` whose model's last layer is known."""
    found = []
    for call, model_expr, loss_arg in _compiles(ctx):
        last = _last_layer(ctx, model_expr)
        if last is None:
            continue
        expects, from_logits = _keras_loss(ctx, loss_arg)
        found.append(KerasCompile(call, loss_arg, expects, from_logits, last))
    return found


def _compiles(ctx: FileContext) -> list[tuple[cst.Call, cst.BaseExpression, cst.BaseExpression]]:
    """(call, model, loss) of every Keras ``model.compile(..., loss=...)``."""
    if "keras" not in ctx.frameworks:
        return []
    found = []
    for call in ctx.index.calls:
        if method_name(call) == "compile" and type(call.func) is cst.Attribute:
            loss_arg = argument(call, 1, "loss")
            if loss_arg is not None:
                found.append((call, call.func.value, loss_arg))
    return found


def _keras_loss(ctx: FileContext,
                loss: cst.BaseExpression) -> tuple[str | None, cst.Arg | None]:
    name = string_value(loss)
    if name is not None:
        return (R.LOSS_PROBABILITIES if name in KERAS_PROBABILITY_LOSS_NAMES else None), None
    value = ctx.value(loss)
    if value is None or value.entry is None or R.LOSS_KERAS_FROM_LOGITS not in value.entry.roles:
        return None, None
    if value.kind is Kind.REF:  # loss=keras.losses.categorical_crossentropy
        return R.LOSS_PROBABILITIES, None
    if value.kind is not Kind.INSTANCE or type(value.node) is not cst.Call:
        return None, None
    return _expects(value.entry, value.node), keyword_arg(value.node, "from_logits")


def _last_layer(ctx: FileContext, model: cst.BaseExpression) -> Value | None:
    """The last layer of a Sequential built in one call and never ``.add``-ed to, or of a
    functional ``keras.Model(inputs, outputs)`` whose ``outputs`` one layer call made."""
    value = ctx.value(model)
    if value is None or value.kind is not Kind.INSTANCE:
        return None
    if value.qualname in KERAS_FUNCTIONAL_MODELS and type(value.node) is cst.Call:
        return _output_layer(ctx, value.node)
    if R.SEQUENTIAL not in value.roles:
        return None
    if not value.items or value.items[-1] is None or value.items[-1].kind is not Kind.INSTANCE:
        return None
    if _grown(ctx, model):
        return None
    return value.items[-1]


KERAS_FUNCTIONAL_MODELS = frozenset({"keras.Model", "keras.models.Model"})


def _output_layer(ctx: FileContext, model_call: cst.Call) -> Value | None:
    """``outputs = layers.Dense(10)(x)``: the layer instance whose call made the output.

    None for several outputs (a list or dict), or an output not made by a layer call."""
    outputs = argument(model_call, 1, "outputs")
    if outputs is None:
        return None
    produced = ctx.value(outputs)
    if produced is None or produced.kind is not Kind.RESULT \
            or type(produced.node) is not cst.Call:
        return None
    layer = ctx.value(produced.node.func)
    if layer is None or layer.kind is not Kind.INSTANCE or layer.entry is None \
            or layer.entry.framework != "keras":
        return None
    return layer


def _grown(ctx: FileContext, model: cst.BaseExpression) -> bool:
    """True when the file calls ``model.add(...)`` / ``model.pop()``: the layers change
    (not counting a function's own local ``model``: ``def build(): model = ...``)."""
    name = dotted_name(model)
    if name is None:
        return True
    here = ctx.scope_of(model)
    for call in ctx.index.calls:
        func = call.func
        if (type(func) is cst.Attribute and func.attr.value in ("add", "pop")
                and dotted_name(func.value) == name) and not _local_elsewhere(
                ctx, call, name, here):
            return True
    return False


def _local_elsewhere(ctx: FileContext, call: cst.Call, name: str,
                     here: cst.CSTNode) -> bool:
    """``call`` sits in a function other than ``here`` that binds ``name`` itself."""
    scope = ctx.scope_of(call)
    if scope is here or type(scope) is not cst.FunctionDef or "." in name:
        return False
    return any(ctx.scope_of(a) is scope and any(name in target_names(t.target)
                                                 for t in a.targets)
               for a in ctx.index.within(ctx.index.assignments, scope))


def keras_activation(layer: Value) -> str | None:
    """The activation of a keras ``Dense`` instance: a name, ``"linear"`` when none.

    None when the layer is not a Dense or its activation is not a literal.
    """
    if R.KERAS_DENSE not in layer.roles or type(layer.node) is not cst.Call:
        return None
    node = argument(layer.node, 1, "activation")
    if node is None or (type(node) is cst.Name and node.value == "None"):
        return "linear"
    return string_value(node)


# What turns a loss tensor into a plain number for logging (``loss.item()``, ``float(loss)``).
_TO_NUMBER_METHODS = frozenset({"item", "detach", "cpu", "numpy", "tolist"})


def _first_item_of_data(value: cst.BaseExpression) -> bool:
    """``x.data[0]``: how PyTorch 0.3 and older read a 0-d loss as a number."""
    if not (type(value) is cst.Subscript and len(value.slice) == 1
            and type(value.value) is cst.Attribute and value.value.attr.value == "data"):
        return False
    index = value.slice[0].slice
    return type(index) is cst.Index and type(index.value) is cst.Integer \
        and index.value.value == "0"


def strip_to_number(value: cst.BaseExpression,
                    reductions: frozenset[str] = frozenset()) -> cst.BaseExpression:
    """``loss`` in ``loss.item()``, ``float(loss)``, ``loss.detach().cpu()``, ``loss.data``,
    ``loss.data[0]``;
    also through the argument-free ``reductions`` a caller counts as the same value
    (``loss.sum().item()`` with ``{"sum"}``)."""
    methods = _TO_NUMBER_METHODS | reductions
    while True:
        if type(value) is cst.Call and method_name(value) in methods and not value.args:
            value = value.func.value  # type: ignore[attr-defined]
        elif type(value) is cst.Call and dotted_name(value.func) == "float" \
                and len(value.args) == 1:
            value = value.args[0].value
        elif type(value) is cst.Attribute and value.attr.value == "data":
            value = value.value
        elif _first_item_of_data(value):  # ``loss.data[0]``: PyTorch <= 0.3's ``.item()``
            value = value.value.value  # type: ignore[attr-defined]
        else:
            return value


_MAX_LOSS_DEPTH = 4


def batch_loss(ctx: FileContext, value: cst.BaseExpression, loop: cst.CSTNode,
               depth: int = 0) -> bool:
    """``value`` (read through ``.item()``, ``float()``, ``.data``) is a loss that ``loop``
    computes on each pass: a known loss call (:func:`computes_a_loss`), a sum of losses,
    or a name bound in the loop to one, or that the loop calls ``.backward()`` on."""
    value = strip_to_number(value)
    if depth > _MAX_LOSS_DEPTH:
        return False
    if type(value) is cst.BinaryOperation and type(value.operator) is cst.Add:
        return batch_loss(ctx, value.left, loop, depth + 1) and batch_loss(
            ctx, value.right, loop, depth + 1)
    if type(value) is cst.Call:
        return computes_a_loss(ctx, value)
    if type(value) is not cst.Name:
        return False
    assign = ctx.last_assignment(value.value, value)
    if assign is None or not ctx.index.is_inside(assign, loop):
        return False
    if _backpropagated(ctx, value.value, loop):
        return True
    bound = ctx.assigned_value(value.value, value)
    return bound is not None and batch_loss(ctx, bound, loop, depth + 1)


def _backpropagated(ctx: FileContext, name: str, loop: cst.CSTNode) -> bool:
    """The loop calls ``name.backward()``."""
    return any(method_name(call) == "backward" and dotted_name(call.func.value) == name
               for call in ctx.index.within(ctx.index.calls, loop)
               if type(call.func) is cst.Attribute)
