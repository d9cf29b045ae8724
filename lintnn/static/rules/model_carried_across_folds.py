"""NN310: one network object trained fold after fold of a cross-validation loop."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import splits
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, keyword, method_name, target_names

# Splitters whose folds are meant to continue one another (walk-forward validation).
_ORDERED_SPLITTERS = frozenset({"TimeSeriesSplit"})
# Calls on the model that put fresh or saved weights in it: a new start for the fold.
_RESETS = frozenset({"load_state_dict", "set_weights", "load_weights", "reset_parameters",
                     "apply", "init_weights", "reset_states_and_weights"})


class ModelCarriedAcrossFolds(Rule):
    """``for tr, va in kfold.split(X): model.fit(X[tr], ..., epochs=10)`` with ``model``
    built once, before the loop: fold 2 starts from the weights fold 1 ended with."""

    code = "NN310"
    name = "model-carried-across-folds"
    severity = Severity.WARNING
    message = (
        "`{name}` is trained in every fold of this cross-validation loop but built once, "
        "outside it: each fold continues from the weights of the folds before, which "
        "already trained on this fold's validation rows, so the fold scores are leaked "
        "and the folds are not independent; build (or re-initialise) the model inside the "
        "loop, at the start of each fold"
    )
    frameworks = ("torch", "keras")
    triggers = (".split(",)
    needs = (Needs(roles=(R.SPLITTER,)),)

    def check(self, ctx: FileContext) -> None:
        for loop in ctx.index.loops:
            if type(loop) is not cst.For or splits.fold_splitter(ctx, loop) in (
                    None, *_ORDERED_SPLITTERS):
                continue
            for name, first_use in _carried_models(ctx, loop):
                ctx.report(first_use, self.message.format(name=name))


def _carried_models(ctx: FileContext, loop: cst.For) -> list[tuple[str, cst.CSTNode]]:
    """The models trained in ``loop`` that every fold shares, with the first statement
    of the loop that reads each (an alias ``model = net`` included)."""
    found: list[tuple[str, cst.CSTNode]] = []
    aliases = _aliases(ctx, loop)
    for name in _trained_in(ctx, loop):
        origin = aliases.get(name, name)
        if origin is None or _rebuilt_in(ctx, loop, name) or (
                origin != name and _rebuilt_in(ctx, loop, origin)):
            continue
        if _rebuilds_on_fit(ctx, origin, loop):
            continue
        if _reset_in(ctx, loop, {name, origin}):
            continue
        first = _first_read(ctx, loop, origin)
        if first is not None and all(origin != seen for seen, _ in found):
            found.append((origin, first))
    return found


def _trained_in(ctx: FileContext, loop: cst.For) -> list[str]:
    """Models trained in the loop: ``m.fit(..., epochs=n)`` (keras: a fit continues from
    the current weights; scikit-learn's refits from scratch and takes no ``epochs``), or
    a network whose ``.parameters()`` an optimizer stepped in the loop's passes holds."""
    names: list[str] = []
    for call in ctx.index.within(ctx.index.calls, loop):
        if method_name(call) == "fit" and keyword(call, "epochs") is not None:
            owner = dotted_name(call.func.value)  # type: ignore[attr-defined]
            if owner is not None and "." not in owner and owner not in names:
                names.append(owner)
    passes = [inner for inner in D.descendants(ctx, loop, cst.For)
              if inner is not loop and D.is_training_loop(ctx, inner)]
    if not passes:
        return names
    for call in ctx.index.within(ctx.index.calls, loop):
        if method_name(call) in ("parameters", "named_parameters"):
            owner = dotted_name(call.func.value)  # type: ignore[attr-defined]
            if owner is not None and "." not in owner and _feeds_optimizer(ctx, call):
                names.append(owner)
        elif any(ctx.index.is_inside(call, p) for p in passes):
            called = _called_network(call)
            if called is not None and _is_network(ctx, called):
                names.append(called.value)
    return list(dict.fromkeys(names))


def _called_network(call: cst.Call) -> cst.Name | None:
    """``model(x)`` or ``model.forward(x)``: the name called."""
    if type(call.func) is cst.Name:
        return call.func
    if method_name(call) == "forward" and type(call.func.value) is cst.Name:  # type: ignore[attr-defined]
        return call.func.value  # type: ignore[attr-defined]
    return None


def _is_network(ctx: FileContext, name: cst.Name) -> bool:
    """A model instance: a project class, an ``nn.Module``/keras model, a Sequential."""
    value = ctx.value(name)
    return value is not None and value.is_instance and (
        value.project_class is not None or value.has(R.MODULE_BASE, R.SEQUENTIAL))


def _rebuilds_on_fit(ctx: FileContext, name: str, loop: cst.For) -> bool:
    """scikit-learn wrappers of a keras builder (``KerasClassifier(build_fn=...)``) build
    a new network on every ``fit``."""
    value = ctx.assigned_value(name, loop)
    return type(value) is cst.Call and any(
        word in (dotted_name(value.func) or "") for word in ("KerasClassifier", "KerasRegressor"))


def _feeds_optimizer(ctx: FileContext, parameters: cst.Call) -> bool:
    for ancestor in ctx.index.ancestors(parameters):
        if type(ancestor) is cst.Call:
            value = ctx.value(ancestor)
            if value is not None and value.has(R.OPTIMIZER):
                return True
        if isinstance(ancestor, cst.BaseStatement):
            return False
    return False


def _aliases(ctx: FileContext, loop: cst.For) -> dict[str, str | None]:
    """Names bound in the loop: ``model = net`` / ``model = net.to(dev)`` -> ``net`` (the
    same object), anything else -> None (a new value each fold)."""
    out: dict[str, str | None] = {}
    for assign in D.descendants(ctx, loop, cst.Assign):
        for target in D.target_names(assign):
            out[target] = _same_object(assign.value) if target not in out else None
    for inner in D.descendants(ctx, loop, cst.For):
        if inner is loop:
            continue
        kept = _iterated_name(inner.iter)  # ``for model in models``: one of the same objects
        for target in target_names(inner.target):
            out[target] = kept if target not in out else None
    return out


def _iterated_name(expr: cst.BaseExpression) -> str | None:
    """``models``, ``enumerate(models)``, ``zip(models, names)``: the list of objects the
    loop walks, when a plain name; None for a list built in place (new objects)."""
    if type(expr) is cst.Name:
        return expr.value
    if type(expr) is cst.Call and (dotted_name(expr.func) or "") in ("enumerate", "zip") \
            and expr.args:
        return _iterated_name(expr.args[0].value)
    return None


def _same_object(value: cst.BaseExpression) -> str | None:
    """``net`` or ``net.to(device)`` / ``net.cuda()``: the name of the object kept."""
    if type(value) is cst.Name:
        return value.value
    if type(value) is cst.Call and method_name(value) in ("to", "cuda", "cpu"):
        return _same_object(value.func.value)  # type: ignore[attr-defined]
    return None


def _rebuilt_in(ctx: FileContext, loop: cst.For, name: str) -> bool:
    """``name`` bound in the loop to a new object (``model = Net()``, ``build()``,
    ``copy.deepcopy(base)``), not to a model it already names (``model = model.cuda()``,
    ``model = net``)."""
    return any(name in D.target_names(assign) and _same_object(assign.value) is None
               for assign in D.descendants(ctx, loop, cst.Assign))


def _reset_in(ctx: FileContext, loop: cst.For, names: set[str]) -> bool:
    """Fresh or saved weights put into the model in the loop (``model.load_state_dict``,
    ``model.set_weights(initial)``, ``model.apply(init)``, ``layer.reset_parameters()``
    on any of its layers)."""
    for call in ctx.index.within(ctx.index.calls, loop):
        if method_name(call) not in _RESETS:
            continue
        owner = dotted_name(call.func.value) or ""  # type: ignore[attr-defined]
        if owner.split(".")[0] in names or method_name(call) == "reset_parameters":
            return True
    return False


def _first_read(ctx: FileContext, loop: cst.For, name: str) -> cst.CSTNode | None:
    """The first statement of the loop's body that reads ``name``."""
    for node in D.descendants(ctx, loop.body, cst.Name):
        if node.value == name:
            return ctx.index.statement_of(node)
    return None
