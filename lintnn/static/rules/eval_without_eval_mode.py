"""NN201: evaluation code runs a model with dropout or batch norm in training mode."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.modes import (
    SETS_EVAL,
    Event,
    ModeIndex,
    calls_in_evaluation_code,
    evaluation_function,
    is_evaluation_name,
    is_no_grad_block,
    is_no_grad_function,
    is_stochastic_name,
    mode_dependence,
    mode_index,
    model_value,
    scope_of,
)
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import dotted_name, method_name
from lintnn.static.syntax.project import Requirement

# Hooks of frameworks that switch the mode themselves (Lightning, Keras, Ignite, ...).
_FRAMEWORK_HOOKS = ("validation_step", "test_step", "predict_step", "validation_epoch",
                    "on_validation", "on_test", "on_predict")
_SELF_MANAGING_ROOTS = ("lightning", "pytorch_lightning", "keras", "tensorflow", "ignite")
_MAX_DEPTH = 4
# The calls by which ``ModeIndex.trained_names`` knows a model is trained.
_TRAINING_CALLS = ("train", "zero_grad", "parameters", "named_parameters")


@dataclass(frozen=True)
class _Witness:
    """A path from the evaluation code up to where the model is known, with no eval()."""

    model: Value
    requirement: Requirement | None  # None: the model is known to hold dropout / BN


def _evaluation_unit_name(name: str) -> bool:
    """A function this rule can report as an evaluation (its ``needs``; a hook-named
    one too: the file may call it itself)."""
    return is_evaluation_name(name)


def _names_evaluation_data(word: str) -> bool:
    """An identifier that names validation / test data (``val_loader``, ``X_test``): a
    model call on such data is evaluation code (its ``needs``; a dotted name's words are
    its parts' words)."""
    return D.split_of(word) == D.EVAL


class EvalWithoutEvalMode(Rule):
    """Evaluation code calls a model that has dropout or batch norm without ``.eval()``."""

    code = "NN201"
    name = "eval-without-eval-mode"
    severity = Severity.ERROR
    message = ("evaluation runs a model with dropout or batch norm in training mode; "
               "call model.eval() before evaluating")
    frameworks = ("torch",)
    triggers = ("no_grad", "inference_mode", "eval", "val", "test", "predict", "infer",
                "holdout", "heldout")
    absent = ("eval", "train")
    # A finding needs an evaluation unit (a no_grad block or function, a function named
    # as evaluation: ``check``'s first part), or a model call on evaluation data whose
    # model the file trains (``_check_evaluation_data``: ``ModeIndex.trained_names`` asks
    # for ``.train()``, ``.zero_grad()`` or parameters given to an optimizer).
    needs = (Needs(frameworks=("torch",)),
             Needs(callee_roles=(R.NO_GRAD,), functions=_evaluation_unit_name,
                   words=_names_evaluation_data),
             Needs(callee_roles=(R.NO_GRAD,), functions=_evaluation_unit_name,
                   calls=_TRAINING_CALLS))

    def check(self, ctx: FileContext) -> None:
        if "torch" not in ctx.frameworks:
            return
        reported: set[cst.CSTNode] = set()
        for call in calls_in_evaluation_code(ctx):  # those outside hold no unit
            unit = _evaluation_unit(ctx, call)
            scope = scope_of(ctx, call)
            if unit is None or {unit, scope} & reported or _managed_by_framework(ctx, call):
                continue
            model_expr = _model_expression(call)
            if model_expr is None or _inside_module_class(ctx, model_expr):
                continue
            modes = mode_index(ctx)
            if type(unit) is not cst.FunctionDef and _part_of_training_step(ctx, modes, unit):
                continue
            witness = _first_witness(ctx, modes, call, model_expr)
            if witness is None:
                continue
            reported.add(unit)
            if type(scope) is cst.FunctionDef:
                reported.add(scope)  # one finding per evaluation function
            report_at = unit.name if type(unit) is cst.FunctionDef else unit
            _report(ctx, report_at, model_expr, witness)
        if not ctx.is_test_file:
            _check_evaluation_data(ctx, reported)


def _report(ctx: FileContext, at: cst.CSTNode, model_expr: cst.BaseExpression,
            witness: _Witness) -> None:
    where = dotted_name(model_expr) or "the model"
    message = (f"`{where}` (it has dropout or batch norm) runs here in training mode: "
               f"no `{where}.eval()` before this evaluation, here or in its caller; "
               f"dropout stays on and batch norm uses batch statistics")
    requires = (witness.requirement,) if witness.requirement else ()
    ctx.report(at, message, requires=requires)


def _check_evaluation_data(ctx: FileContext, reported: set[cst.CSTNode]) -> None:
    """Model calls on validation or test data outside any no_grad block or evaluation
    function (``model(X_val)`` after the step, ``for x, y in val_loader: model(x)`` in the
    training function, a submission loop after training): reported at the model call,
    once per loop, and never where a no_grad / named evaluation was reported already."""
    modes = mode_index(ctx)
    # Only a model the file trains: a bare ``nn.Dropout`` applied to the data is noise.
    trained = modes.trained_names()
    if not trained:
        return
    done = set(reported)
    for call in ctx.index.calls:
        model_expr = _model_expression(call)
        name = dotted_name(model_expr) if model_expr is not None else None
        if model_expr is None or name not in trained:
            continue  # checked first: the cheap part of the test below
        unit = _evaluation_data_unit(ctx, modes, call)
        if unit is None or unit in done or any(
                ctx.index.is_inside(unit, other) for other in reported) or (
                scope_of(ctx, call) in reported or _managed_by_framework(ctx, call)):
            continue
        if _inside_module_class(ctx, model_expr) or is_stochastic_name(name or "") or (
                _passed_to_unknown_before(ctx, modes, call, model_expr)):
            continue
        witness = _first_witness(ctx, modes, call, model_expr)
        if witness is None:
            continue
        done.add(unit)
        _report(ctx, call, model_expr, witness)


def _evaluation_data_unit(ctx: FileContext, modes: ModeIndex,
                          call: cst.Call) -> cst.CSTNode | None:
    """The loop over validation / test data (with no training step) that ``call`` runs
    in, or ``call`` itself when an argument names such data and no training step follows
    it in its loop iteration (a step after it: test-time adaptation, not evaluation)."""
    scope = scope_of(ctx, call)
    if _evaluation_unit(ctx, call) is not None or evaluation_function(ctx, call) is not None:
        return None
    if _in_stochastic_code(ctx, call):
        return None
    for loop in ctx.index.enclosing_loops(call):
        splits = {D.clear_split(n) for n in D.iterated_names(loop.iter)} \
            if type(loop) is cst.For else set()
        if D.EVAL in splits and D.TRAIN not in splits:
            trains = D.is_training_loop(ctx, loop) or any(
                Event.STEP in kinds for _, kinds in modes.call_events(loop))
            return None if trains else loop
    if not any(D.clear_split(D.data_name(arg.value)) == D.EVAL for arg in call.args):
        return None
    loops = ctx.index.enclosing_loops(call)
    region = loops[0] if loops else scope
    after = modes.position.get(call, 0)
    if any(Event.STEP in kinds and modes.position.get(node, 0) > after
           for node, kinds in modes.call_events(region)):
        return None
    return call


def _in_stochastic_code(ctx: FileContext, node: cst.CSTNode) -> bool:
    """Inside a function or class named for deliberate sampling (Monte-Carlo dropout)."""
    return any(type(a) in (cst.FunctionDef, cst.ClassDef) and is_stochastic_name(
        a.name.value) for a in ctx.index.ancestors(node))


# Callees that may take a model without changing its mode.
_MODE_NEUTRAL = frozenset({"print", "len", "type", "isinstance", "id", "str", "repr",
                           "getattr", "hasattr", "setattr", "vars", "dir"})


def _passed_to_unknown_before(ctx: FileContext, modes: ModeIndex, site: cst.Call,
                              model_expr: cst.BaseExpression) -> bool:
    """The model goes, before ``site`` in its scope, to a function whose body this file
    does not hold (``train(model, ...)`` imported from a project module, a library's
    fit): it may leave the model in eval mode, so the mode at ``site`` is unknown."""
    name = dotted_name(model_expr)
    if name is None:
        return True
    scope = scope_of(ctx, site)
    for call in modes.calls_in(scope):
        if call is site or not modes.before(call, site, scope) or (
                ctx.call_graph.target(call) is not None):
            continue
        if not any(dotted_name(arg.value) == name for arg in call.args):
            continue
        qualname, _ = ctx.callee(call)
        root = (qualname or dotted_name(call.func) or "").split(".")[0]
        if root != "torch" and (qualname or dotted_name(call.func)) not in _MODE_NEUTRAL:
            return True
    return False


def _evaluation_unit(ctx: FileContext, call: cst.Call) -> cst.CSTNode | None:
    """The no_grad block, or the evaluation function, that ``call`` runs in."""
    scope = scope_of(ctx, call)
    for ancestor in ctx.index.ancestors(call):
        if ancestor is scope:
            break
        if type(ancestor) is cst.With and is_no_grad_block(ctx, ancestor):
            return ancestor
    if type(scope) is cst.FunctionDef:
        if is_no_grad_function(ctx, scope):
            return scope
        named = evaluation_function(ctx, call)
        if named is scope:
            return scope
    return None


def _part_of_training_step(ctx: FileContext, modes: ModeIndex, block: cst.CSTNode) -> bool:
    """A no_grad block in the same loop iteration as a training step, or in the body of a
    function that runs one step, computes targets (GAN fakes, teacher outputs,
    pseudo-labels), not an evaluation; unless it reads evaluation data (``for x, y in
    test_loader``, ``model(X_val)``): use outweighs place."""
    loops = ctx.index.enclosing_loops(block)
    if _reads_eval_data(ctx, block):
        return False
    if not loops:  # a step function's body (``def D_train(x)``): a step outside its loops
        scope = scope_of(ctx, block)
        return type(scope) is cst.FunctionDef and any(
            Event.STEP in kinds and not ctx.index.enclosing_loops(node)
            and scope_of(ctx, node) is scope for node, kinds in modes.call_events(scope))
    innermost = loops[0]
    return any(Event.STEP in kinds and ctx.index.enclosing_loops(node)[:1] == [innermost]
               for node, kinds in modes.call_events(innermost))


def _reads_eval_data(ctx: FileContext, block: cst.CSTNode) -> bool:
    """The block iterates or passes data named as validation/test data."""
    loops = [*ctx.index.within(ctx.index.loops, block),
             *(c for c in D.nodes_of(ctx, cst.CompFor) if ctx.index.is_inside(c, block))]
    for loop in loops:
        if type(loop) in (cst.For, cst.CompFor) and any(
                D.clear_split(n) == D.EVAL for n in D.iterated_names(loop.iter)):
            return True
    for call in ctx.index.within(ctx.index.calls, block):
        if any(D.clear_split(D.data_name(arg.value)) == D.EVAL for arg in call.args):
            return True
    return False


def _managed_by_framework(ctx: FileContext, call: cst.Call) -> bool:
    for ancestor in ctx.index.ancestors(call):
        if type(ancestor) is cst.FunctionDef and _framework_hook(ctx, ancestor):
            return True
        if type(ancestor) is cst.ClassDef:
            for base in ancestor.bases:
                qualname = ctx.qualname_of_class(base.value) or ""
                if qualname.split(".")[0] in _SELF_MANAGING_ROOTS:
                    return True
    return False


def _framework_hook(ctx: FileContext, fn: cst.FunctionDef) -> bool:
    """A function named as a framework hook (``validation_step``), unless it is a plain
    function the file calls itself: a framework calls hooks as methods of its classes."""
    if not fn.name.value.startswith(_FRAMEWORK_HOOKS):
        return False
    return ctx.index.enclosing_class(fn) is not None or not ctx.call_graph.callers(fn)


def _model_expression(call: cst.Call) -> cst.BaseExpression | None:
    """``model`` in ``model(x)`` and ``model.forward(x)``."""
    if method_name(call) == "forward":
        return call.func.value  # type: ignore[attr-defined]
    if type(call.func) in (cst.Name, cst.Attribute):
        return call.func
    return None


def _inside_module_class(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """``self.encoder(x)`` inside a module follows the mode its owner is given."""
    root = expr
    while type(root) is cst.Attribute:
        root = root.value
    if not (type(root) is cst.Name and root.value == "self"):
        return False
    owner = ctx.index.enclosing_class(expr)
    return owner is not None and ctx.is_module_class(owner)


def _first_witness(ctx: FileContext, modes: ModeIndex, site: cst.Call,
                   expr: cst.BaseExpression) -> _Witness | None:
    """A path known to hold dropout / BN, or else one whose requirement names every
    other path's as alternatives (``validate(model)`` called on ``Net()`` and on
    ``NetDropout()``: the finding holds when any of them has such a layer)."""
    conditional: list[_Witness] = []
    for witness in _witnesses(ctx, modes, site, expr, None, 0):
        if witness.requirement is None:
            return witness
        conditional.append(witness)
    if not conditional:
        return None
    first, *others = conditional
    alternatives = tuple(dict.fromkeys(w.requirement for w in others
                                       if w.requirement != first.requirement))
    if not alternatives:
        return first
    return _Witness(first.model, replace(first.requirement, alternatives=alternatives))


def _witnesses(ctx: FileContext, modes: ModeIndex, site: cst.CSTNode,
               expr: cst.BaseExpression | None, known: Value | None,
               depth: int) -> Iterator[_Witness]:
    """Paths up the callers on which no ``eval()`` runs before ``site``."""
    scope = scope_of(ctx, site)
    if depth > _MAX_DEPTH or modes.sets_before(site, scope, SETS_EVAL):
        return
    value = known
    if value is None and expr is not None:
        value = model_value(ctx, expr)
        if value is None or value.kind not in (Kind.PARAM, Kind.INSTANCE):
            return
        if value.kind is not Kind.PARAM and _set_elsewhere(ctx, modes, expr):
            return
    if value is None:
        return
    parameter = _parameter_of(scope, value, expr) \
        if value.kind is Kind.PARAM and value.project_class is None else None
    if value.kind is Kind.PARAM and value.project_class is None and parameter is None:
        return  # a parameter's value that no parameter of this scope names: unknown
    callers = modes.callers(scope) if type(scope) is cst.FunctionDef else []
    if parameter is not None:
        for caller in callers:
            passed = ctx.call_graph.argument_for(scope, parameter, caller)  # type: ignore[arg-type]
            if passed is not None:
                yield from _witnesses(ctx, modes, caller, passed, None, depth + 1)
        return
    if not callers:
        witness = _witness(ctx, value)
        if witness is not None:
            yield witness
        return
    for caller in callers:
        yield from _witnesses(ctx, modes, caller, None, value, depth + 1)


def _parameter_of(scope: cst.CSTNode, value: Value,
                  expr: cst.BaseExpression | None) -> cst.Param | None:
    """The parameter of ``scope`` that ``value`` (a parameter's value) stands for: its
    node, or, for a value derived from it (``net = net.float()``), the parameter named by
    ``expr``."""
    if type(scope) is not cst.FunctionDef:
        return None
    params = [*scope.params.posonly_params, *scope.params.params, *scope.params.kwonly_params]
    if type(value.node) is cst.Param:
        return value.node if value.node in params else None
    name = dotted_name(expr) if expr is not None else None
    return next((p for p in params if p.name.value == name), None)


def _set_elsewhere(ctx: FileContext, modes: ModeIndex, expr: cst.BaseExpression) -> bool:
    """A global or ``self.`` model put in eval mode anywhere in the file (at load time,
    in ``__init__``): its mode at this point cannot be known from the code around it."""
    if type(expr) not in (cst.Name, cst.Attribute):
        return False  # ``evaluate(Net(), x)``: a fresh model
    name = dotted_name(expr)
    if name is None:
        return True
    scope = scope_of(ctx, expr)
    local = type(expr) is cst.Name and type(scope) is cst.FunctionDef and (
        name in ctx.flow(scope).local_names
    )
    if local:
        return False
    for node, kinds in modes.events:
        if kinds & SETS_EVAL and type(node) is cst.Call:
            receiver = node.func.value if type(node.func) is cst.Attribute else None
            if receiver is not None and dotted_name(receiver) in (name, None):
                return True
    return False


def _witness(ctx: FileContext, model: Value) -> _Witness | None:
    dependence = mode_dependence(ctx, model)
    return _Witness(model, dependence.requirement) if dependence is not None else None
