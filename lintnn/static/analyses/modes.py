"""Shared analysis for train/eval mode rules: where the mode is set, where training steps
happen, which code evaluates, and who calls a function.

Everything is ordered by the pre-order position of nodes in the file (the order in which
:class:`NodeIndex` met them), which is source order. A mode change this analysis cannot
read (``model.train(flag)``, a helper named ``eval_mode``, a local function that switches
modes) counts as *both* modes, so every rule built on it stays silent when unsure.
"""

from __future__ import annotations

import bisect
import enum
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    method_name,
    target_names,
)
from lintnn.static.syntax.project import CONTAINS, Requirement

_EVAL_WORDS = frozenset({
    "eval", "evaluate", "evaluation", "evaluating", "validate", "validation", "valid", "val",
    "predict", "prediction", "predictions", "inference", "infer", "testing",
})
_TRAIN_WORDS = frozenset({"train", "training", "fit", "update", "loss", "optimize", "step_fn"})
# Deliberate stochastic inference (Monte-Carlo dropout) keeps the training flags on purpose.
_STOCHASTIC_WORDS = frozenset({"mc", "montecarlo", "uncertainty", "bayes", "bayesian",
                               "stochastic", "sample", "sampling"})
_OPTIMIZER_NAME = re.compile(r"(^|_)(opt|optim|optimizer|optimiser)s?(_|$)|optimizer", re.I)
_OPTIMIZER_CALL = re.compile(r"Optimizer|^(SGD|Adam|AdamW|RMSprop|Adagrad|Adadelta|LBFGS|"
                             r"Lion|Adafactor|NAdam|RAdam|Adamax|SparseAdam)$|clip_grad")


@functools.lru_cache(maxsize=4096)  # asked for every function around every call
def _words(name: str) -> tuple[str, ...]:
    return tuple(w for w in re.split(r"_+|(?<=[a-z])(?=[A-Z])", name.lower()) if w)


def is_evaluation_name(name: str) -> bool:
    """``evaluate``, ``val_epoch``, ``run_test``, ``predict``; not pytest's ``test_*``."""
    words = _words(name)
    if not words or _STOCHASTIC_WORDS & set(words):
        return False
    if _EVAL_WORDS & set(words):
        return True
    if "test" in words:
        return words[0] != "test" or name in ("test", "test_step", "test_epoch", "test_loop")
    return False


def _is_mode_helper(name: str) -> bool:
    """``eval_mode``, ``set_mode``, ``freeze_bn``, ``evaluating``: may switch the mode."""
    return any(w.startswith(("eval", "freeze")) or w in ("mode", "modes") for w in _words(name))


def is_training_name(name: str) -> bool:
    return bool(_TRAIN_WORDS & set(_words(name)))


def is_stochastic_name(name: str) -> bool:
    """Monte-Carlo dropout and sampling code keeps dropout on on purpose."""
    words = _words(name)
    return bool(_STOCHASTIC_WORDS & set(words)) or any(
        w.startswith(("mcdropout", "montecarlo")) for w in words)




class Event(enum.Enum):
    """What a call (or an assignment to ``.training``) does to the mode, or to the model."""

    EVAL = "eval"  # model.eval(), model.train(False)
    TRAIN = "train"  # model.train(), model.train(True)
    UNKNOWN = "unknown"  # model.train(flag), model.training = x, eval_mode(model), helpers
    STEP = "step"  # loss.backward(), optimizer.step(), or a local function that does one
    UPDATE = "update"  # optimizer.step() / scaler.step(optimizer): the weights change


SETS_EVAL = frozenset({Event.EVAL, Event.UNKNOWN})
SETS_TRAIN = frozenset({Event.TRAIN, Event.UNKNOWN})


@dataclass
class ModeIndex:
    """Mode events of one file, in source order, and the file's local functions."""

    ctx: FileContext
    position: dict[cst.CSTNode, int] = field(default_factory=dict)
    events: list[tuple[cst.CSTNode, frozenset[Event]]] = field(default_factory=list)
    exits: list[cst.CSTNode] = field(default_factory=list)  # break / return / raise
    _effects: dict[cst.FunctionDef, frozenset[Event]] = field(default_factory=dict)
    _kinds: dict[cst.Call, frozenset[Event]] = field(default_factory=dict)
    _scope_events: dict[cst.CSTNode, list[tuple[cst.CSTNode, frozenset[Event]]]] = field(
        default_factory=dict)
    # The calls inside each function, loop, branch and with-block (one walk up per call).
    _members: dict[cst.CSTNode, list[cst.Call]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index = self.ctx.index
        self.position = index.order  # pre-order numbers: compare where nodes are
        for node in index.parents:
            kind = type(node)  # exact types: isinstance on libcst's ABCs is slow
            if kind is cst.Break or kind is cst.Return or kind is cst.Raise:
                self.exits.append(node)
            elif kind is cst.Assign and any(
                type(t.target) is cst.Attribute and t.target.attr.value == "training"
                for t in node.targets
            ):
                self.events.append((node, frozenset({Event.UNKNOWN})))
        top: list[cst.Call] = []
        containers = (cst.FunctionDef, cst.For, cst.While, cst.If, cst.With)
        for call in index.calls:
            kinds = self._direct(call)
            if kinds:
                self.events.append((call, kinds))
            in_function = False
            for ancestor in index.ancestors(call):
                if isinstance(ancestor, containers):
                    self._members.setdefault(ancestor, []).append(call)
                    in_function = in_function or type(ancestor) is cst.FunctionDef
            if not in_function:
                top.append(call)
        self._members[self.ctx.module] = top
        self.events.sort(key=lambda item: self.position.get(item[0], -1))
        # Events that are not calls, and their positions: found per scope by bisection.
        self._other_events = [e for e in self.events if type(e[0]) is not cst.Call]
        self._other_positions = [self.position.get(e[0], -1) for e in self._other_events]

    # What one call does -----------------------------------------------------------

    def _direct(self, call: cst.Call) -> frozenset[Event]:
        name = method_name(call)
        if name == "eval" and not call.args:
            return frozenset({Event.EVAL})
        if name == "train":
            flag = argument(call, 0, "mode")
            if flag is None:
                return frozenset({Event.TRAIN})
            value = bool_value(flag)
            if value is None:
                return frozenset({Event.UNKNOWN})
            return frozenset({Event.TRAIN if value else Event.EVAL})
        if name == "backward":
            return frozenset({Event.STEP})
        if name == "step" and (
            self._is_optimizer(call.func.value)  # type: ignore[attr-defined]
            or any(self._is_optimizer(arg.value) for arg in call.args)
        ):
            return frozenset({Event.STEP, Event.UPDATE})
        return frozenset()

    def _is_optimizer(self, expr: cst.BaseExpression) -> bool:
        value = self.ctx.value(expr)
        if value is not None and R.OPTIMIZER in value.roles:
            return True
        dotted = dotted_name(expr)
        return dotted is not None and bool(_OPTIMIZER_NAME.search(dotted.rsplit(".", 1)[-1]))

    def kinds(self, call: cst.Call, depth: int = 0) -> frozenset[Event]:
        """What a call does, also through local functions and mode helpers."""
        cached = self._kinds.get(call)
        if cached is None:
            cached = self._kinds[call] = self._kinds_of(call, depth)
        return cached

    def _kinds_of(self, call: cst.Call, depth: int) -> frozenset[Event]:
        direct = self._direct(call)
        if direct:
            return direct
        local = self.local_function(call)
        if local is not None:
            return self.effects(local, depth + 1)
        _, entry = self.ctx.callee(call)
        if entry is not None and R.NO_GRAD in entry.roles:
            return frozenset()
        name = dotted_name(call.func)
        if name is not None and _is_mode_helper(name.rsplit(".", 1)[-1]):
            return frozenset({Event.UNKNOWN})
        return frozenset()

    def effects(self, fn: cst.FunctionDef, depth: int = 0) -> frozenset[Event]:
        """Every event a local function may cause (mode changes, training steps)."""
        cached = self._effects.get(fn)
        if cached is not None:
            return cached
        if depth > 3:
            return frozenset()
        self._effects[fn] = frozenset()  # recursion guard
        found: set[Event] = set()
        for call in self._members.get(fn, ()):
            found |= self.kinds(call, depth)
        for node, kinds in self.events:
            if type(node) is not cst.Call and self.ctx.index.is_inside(node, fn):
                found |= kinds
        result = frozenset(found)
        self._effects[fn] = result
        return result

    # Local functions and their callers -------------------------------------------

    def local_function(self, call: cst.Call) -> cst.FunctionDef | None:
        """The function of this file a call calls: ``helper(...)`` or ``self.method(...)``."""
        return self.ctx.call_graph.target(call)

    def callers(self, fn: cst.FunctionDef) -> list[cst.Call]:
        """Calls of ``fn`` in this file (outside ``fn`` itself)."""
        return self.ctx.call_graph.callers(fn)

    def call_events(self, scope: cst.CSTNode) -> Iterator[tuple[cst.CSTNode, frozenset[Event]]]:
        """Events of a scope, local functions and helpers included."""
        cached = self._scope_events.get(scope)
        if cached is None:
            cached = [(call, kinds) for call in self.calls_in(scope)
                      if (kinds := self.kinds(call))]
            cached += self._other_events_in(scope)
            self._scope_events[scope] = cached
        return iter(cached)

    def calls_in(self, scope: cst.CSTNode) -> list[cst.Call]:
        """Calls inside a function, loop, ``if`` or ``with`` (the module: outside functions)."""
        return self._members.get(scope, [])

    def _other_events_in(self, scope: cst.CSTNode) -> list[tuple[cst.CSTNode, frozenset[Event]]]:
        if type(scope) is cst.Module:
            return [e for e in self._other_events if self.in_scope(e[0], scope)]
        first, last = self.ctx.index.span(scope)
        low = bisect.bisect_left(self._other_positions, first)
        return self._other_events[low:bisect.bisect_right(self._other_positions, last)]

    def in_scope(self, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
        if type(scope) is cst.Module:
            return self.ctx.index.enclosing_function(node) is None
        return self.ctx.index.is_inside(node, scope)

    def before(self, node: cst.CSTNode, site: cst.CSTNode, scope: cst.CSTNode) -> bool:
        """``node`` runs before ``site``: earlier in the source, or in a loop around both."""
        if self.position.get(node, 0) < self.position.get(site, 0):
            return True
        return any(self.ctx.index.is_inside(node, loop)
                   for loop in self.ctx.index.enclosing_loops(site)
                   if self.in_scope(loop, scope))

    def sets_before(self, site: cst.CSTNode, scope: cst.CSTNode, wanted: frozenset[Event]) -> bool:
        """Some event of ``wanted`` may run before ``site`` in ``scope``."""
        return any(kinds & wanted and self.before(node, site, scope)
                   for node, kinds in self.call_events(scope))

    def between(self, start: cst.CSTNode, end: cst.CSTNode, scope: cst.CSTNode,
                wanted: frozenset[Event]) -> bool:
        low, high = self.position.get(start, 0), self.position.get(end, 0)
        return any(kinds & wanted and low < self.position.get(node, 0) < high
                   for node, kinds in self.call_events(scope) if node is not start)

    # Which objects are trained ----------------------------------------------------

    def trained_names(self) -> frozenset[str]:
        """Dotted names of objects the file trains: their parameters go to an optimizer or
        a gradient clip, or they get ``.train()`` / ``.zero_grad()`` calls."""
        names: set[str] = set()
        for call in self.ctx.index.calls:
            name = method_name(call)
            receiver = dotted_name(call.func.value) if type(call.func) is cst.Attribute \
                else None
            if receiver is None:
                continue
            trains = name in ("train", "zero_grad") and Event.EVAL not in self._direct(call)
            if trains or (name in ("parameters", "named_parameters")
                          and self._given_to_optimizer(call)):
                names.add(receiver)
        return frozenset(names)

    def _given_to_optimizer(self, call: cst.Call) -> bool:
        for ancestor in self.ctx.index.ancestors(call):
            if type(ancestor) is cst.Call:
                qualname, entry = self.ctx.callee(ancestor)
                if entry is not None and R.OPTIMIZER in entry.roles:
                    return True
                name = qualname or dotted_name(ancestor.func) or ""
                if name.startswith("torch.optim.") or _OPTIMIZER_CALL.search(
                    name.rsplit(".", 1)[-1]
                ):
                    return True
            if isinstance(ancestor, cst.BaseStatement):
                return False
        return False


def mode_index(ctx: FileContext) -> ModeIndex:
    """The file's :class:`ModeIndex`, built once and shared by every mode rule."""
    cached = getattr(ctx, "_mode_index", None)
    if cached is None:
        cached = ModeIndex(ctx)
        ctx._mode_index = cached  # type: ignore[attr-defined]
    return cached


def evals_of_trained_models(modes: ModeIndex) -> list[tuple[cst.Call, str]]:
    """``(model.eval() call, "model")`` for each eval() on an object the file trains."""
    trained = modes.trained_names()
    found = []
    for node, kinds in modes.events:
        if Event.EVAL in kinds and type(node) is cst.Call:
            model = receiver_name(node)
            if model is not None and model in trained:
                found.append((node, model))
    return found


def helper_evals_of_trained_models(modes: ModeIndex) -> list[tuple[cst.Call, str, cst.Call]]:
    """``(helper call, "model", eval() call)`` for each call of a function of this file that
    leaves an object the file trains in eval mode (``val_acc = evaluate(model, loader)``,
    where ``evaluate`` starts with ``model.eval()`` and never switches back)."""
    trained = modes.trained_names()
    ctx = modes.ctx
    found = []
    for call in ctx.index.calls:
        fn = ctx.call_graph.target(call)
        if fn is None:
            continue
        eval_call = leaves_in_eval(modes, fn)
        if eval_call is None:
            continue
        model = receiver_name(eval_call)
        param = _parameter_named(fn, model)
        if param is not None:
            passed = ctx.call_graph.argument_for(fn, param, call)
            model = dotted_name(passed) if passed is not None else None
        if model is not None and model in trained:
            found.append((call, model, eval_call))
    return found


def leaves_in_eval(modes: ModeIndex, fn: cst.FunctionDef) -> cst.Call | None:
    """The ``eval()`` call that is ``fn``'s last mode change, when it always runs (a
    statement of the function's own body) and nothing after it may switch modes."""
    changes = [(node, kinds) for node, kinds in modes.call_events(fn)
               if kinds & (SETS_EVAL | SETS_TRAIN)]
    if not changes:
        return None
    node, kinds = max(changes, key=lambda item: modes.position.get(item[0], -1))
    if kinds != frozenset({Event.EVAL}) or type(node) is not cst.Call:
        return None
    statement = modes.ctx.index.statement_of(node)
    body = modes.ctx.index.parent(statement)
    if type(body) is cst.SimpleStatementLine:
        statement, body = body, modes.ctx.index.parent(body)
    return node if body is fn.body else None


def _parameter_named(fn: cst.FunctionDef, name: str | None) -> cst.Param | None:
    for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if param.name.value == name:
            return param
    return None


def receiver_name(call: cst.Call) -> str | None:
    """``model`` for ``model.eval()``, ``self.net`` for ``self.net.train()``."""
    if type(call.func) is cst.Attribute:
        return dotted_name(call.func.value)
    return None


def is_no_grad_block(ctx: FileContext, node: cst.With) -> bool:
    """``with torch.no_grad():`` / ``with torch.inference_mode():``."""
    for item in node.items:
        if type(item.item) is cst.Call:
            _, entry = ctx.callee(item.item)
            if entry is not None and R.NO_GRAD in entry.roles:
                return True
    return False


def is_no_grad_function(ctx: FileContext, fn: cst.FunctionDef) -> bool:
    """A function decorated with ``@torch.no_grad()`` or ``@torch.inference_mode()``."""
    for decorator in fn.decorators:
        target = decorator.decorator
        target = target.func if type(target) is cst.Call else target
        qualname = ctx.qualname(target)
        entry = ctx.entry(target) if qualname else None
        if entry is not None and R.NO_GRAD in entry.roles:
            return True
    return False


def calls_in_evaluation_code(ctx: FileContext) -> list[cst.Call]:
    """The calls, in source order, inside a no_grad block or inside a function that is
    no_grad or named as evaluation code: every call an evaluation unit (such a block, or
    such a function as its nearest) may hold, and fewer to look at than all of them."""
    index = ctx.index
    units = [*(w for w in index.withs if is_no_grad_block(ctx, w)),
             *(fn for fn in index.functions
               if is_evaluation_name(fn.name.value) or is_no_grad_function(ctx, fn))]
    if not units:
        return []
    inside = {id(call) for unit in units for call in index.within(index.calls, unit)}
    return [call for call in index.calls if id(call) in inside]


def dominates(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """``first`` always runs before ``second`` when both are reached: its statement sits
    in a block that contains ``second`` (not in a branch or loop of its own)."""
    statement = ctx.index.statement_of(first)
    block = ctx.index.parent(statement)
    if type(block) is cst.SimpleStatementLine:
        block = ctx.index.parent(block)
    return block is not None and ctx.index.is_inside(second, block)


def chosen_by_branch(ctx: FileContext, modes: ModeIndex, call: cst.Call) -> bool:
    """``if phase == "train": model.train() else: model.eval()``: the mode follows a
    condition that the analysis cannot correlate with the later training step."""
    for ancestor in ctx.index.ancestors(call):
        if type(ancestor) in (cst.FunctionDef, cst.For, cst.While):
            return False
        if type(ancestor) is cst.If and any(
            kinds & SETS_TRAIN and not _in_same_branch(ctx, node, call, ancestor)
            for node, kinds in modes.call_events(ancestor)
        ):
            return True
    return False


def _in_same_branch(ctx: FileContext, a: cst.CSTNode, b: cst.CSTNode, node: cst.If) -> bool:
    return ctx.index.is_inside(a, node.body) == ctx.index.is_inside(b, node.body)


def defined_in_test(ctx: FileContext, class_def: cst.ClassDef) -> bool:
    """A class defined inside a ``test_*`` function: a fixture that exercises framework
    behaviour on purpose (a layer that forces training mode to test the flag)."""
    return any(type(a) is cst.FunctionDef and a.name.value.startswith("test")
               for a in ctx.index.ancestors(class_def))


def scope_of(ctx: FileContext, node: cst.CSTNode) -> cst.FunctionDef | cst.Module:
    return ctx.index.enclosing_function(node) or ctx.module


def evaluation_function(ctx: FileContext, node: cst.CSTNode) -> cst.FunctionDef | None:
    """The nearest enclosing function that is named as evaluation code, unless a nearer
    one is named as training code (``def evaluate(): def loss_fn(...): ...``)."""
    for ancestor in ctx.index.ancestors(node):
        if type(ancestor) is cst.FunctionDef:
            name = ancestor.name.value
            if is_evaluation_name(name):
                return ancestor
            if is_training_name(name) or is_stochastic_name(name):
                return None
        elif type(ancestor) is cst.ClassDef and is_stochastic_name(ancestor.name.value):
            return None
    return None


# Mode-dependent models -------------------------------------------------------------------

_MODE_DEPENDENT = frozenset({R.DROPOUT, R.BATCHNORM})


@dataclass(frozen=True)
class ModeDependence:
    """Why a model behaves differently in train and eval mode (it holds dropout or batch
    norm): known here, or required of a project class once every file is read."""

    model: Value
    requirement: Requirement | None  # None: known in this file


def mode_dependence(ctx: FileContext, model: Value | None,
                    depth: int = 0) -> ModeDependence | None:
    """How ``model`` is known to depend on its mode; None when it is not known to (a
    model without dropout and batch norm computes the same in both modes)."""
    if model is None or depth > _FACTORY_DEPTH:
        return None
    if model.kind is Kind.PARAM:
        requirement = ctx.requirement(model, CONTAINS, R.MODE_DEPENDENT)
        return ModeDependence(model, requirement) if requirement else None
    if model.kind is not Kind.INSTANCE:
        return None
    if model.roles & _MODE_DEPENDENT:
        return ModeDependence(model, None)
    if R.SEQUENTIAL in model.roles:
        layers = _sequential_layers(model)
        for position, item in enumerate(model.items):
            if item is None and position < len(layers):
                item = factory_result(ctx, layers[position], depth + 1)  # ``conv_block(3, 64)``
            found = mode_dependence(ctx, item, depth + 1) if item is not None else None
            if found is not None:
                return found
        return None
    requirement = ctx.requirement(model, CONTAINS, R.MODE_DEPENDENT)
    return ModeDependence(model, requirement) if requirement else None


def receiver_dependence(ctx: FileContext, call: cst.Call) -> ModeDependence | None:
    """:func:`mode_dependence` of the model whose method ``call`` calls (``model.eval()``)."""
    if type(call.func) is not cst.Attribute:
        return None
    return mode_dependence(ctx, ctx.value(call.func.value))


# Models built by a function of the file ---------------------------------------------------

_FACTORY_DEPTH = 4
_PASSTHROUGH = frozenset({"to", "cuda", "cpu", "float", "double", "half", "train"})


def model_value(ctx: FileContext, expr: cst.BaseExpression) -> Value | None:
    """``ctx.value(expr)``, or, for a name the dataflow cannot follow, the model a function
    of this file builds and returns: ``model, loss_fn, opt = get_model()`` where
    ``get_model`` ends in ``return model, loss_fn, optimizer``."""
    return ctx.value(expr) or _factory_name(ctx, expr, 0)


def _factory_name(ctx: FileContext, expr: cst.BaseExpression, depth: int) -> Value | None:
    """The value a local function's return gives ``expr`` (a plain name), bound by an
    assignment that always runs before ``expr`` in its scope."""
    if type(expr) is not cst.Name or depth > _FACTORY_DEPTH:
        return None
    assign = ctx.last_assignment(expr.value, expr)
    if assign is not None and ctx.index.is_inside(expr, assign):
        assign = ctx.last_assignment(expr.value, assign)  # ``model = fit(model)``: the one before
    if assign is None or len(assign.targets) != 1 or not dominates(ctx, assign, expr) or (
            _rebound_in_loop(ctx, expr, assign)):
        return None
    target = assign.targets[0].target
    if type(target) is cst.Name:
        position = None
    elif type(target) in (cst.Tuple, cst.List) and all(
            type(el) is cst.Element and type(el.value) is cst.Name
            for el in target.elements):
        names = [el.value.value for el in target.elements]  # type: ignore[attr-defined]
        if names.count(expr.value) != 1:
            return None
        position = names.index(expr.value)
    else:
        return None
    call = _unwrap(assign.value)
    if type(call) is not cst.Call:
        return None
    width = len(target.elements) if position is not None else None  # type: ignore[union-attr]
    return factory_result(ctx, call, depth + 1, position, width)


def _rebound_in_loop(ctx: FileContext, name: cst.Name, assign: cst.Assign) -> bool:
    """``name`` is assigned again in a loop around it (after it: the next iteration's).
    A loop around both that ``assign`` (dominating ``name``) binds in every iteration
    cuts the question short: only the loops inside it can carry another binding."""
    loops = ctx.index.enclosing_loops(name)
    binding = next((i for i, loop in enumerate(loops) if ctx.index.is_inside(assign, loop)), None)
    if binding is not None:
        loops = loops[:binding]
    return any(ctx.index.is_inside(node, loops[-1]) and any(
        name.value in target_names(t.target) for t in node.targets)
        for node in ctx.index.assignments) if loops else False


def factory_result(ctx: FileContext, call: cst.BaseExpression, depth: int = 0,
                   position: int | None = None, width: int | None = None) -> Value | None:
    """The instance a call of a plain function of this file returns (part ``position`` of
    a ``width``-tuple), when every ``return`` of the function agrees on it."""
    call = _unwrap(call)
    if type(call) is not cst.Call or depth > _FACTORY_DEPTH:
        return None
    fn = ctx.call_graph.target(call)
    if fn is None or ctx.index.enclosing_class(fn) is not None:
        return None
    found: Value | None = None
    returns = [r for r in ctx.index.within(ctx.index.returns, fn)
               if ctx.index.enclosing_function(r) is fn]
    for node in returns:
        returned = node.value
        if position is not None:
            if type(returned) not in (cst.Tuple, cst.List) or len(returned.elements) != width:
                return None
            returned = returned.elements[position].value
        if returned is None:
            return None
        value = ctx.value(returned) or _factory_name(ctx, returned, depth + 1) or (
            factory_result(ctx, returned, depth + 1))
        if value is not None and value.kind is Kind.PARAM:
            value = _passed_through(ctx, fn, call, value, depth + 1)
        if value is None or value.kind is not Kind.INSTANCE or (
                found is not None and not found.same_as(value)):
            return None
        found = found or value
    return found


def _passed_through(ctx: FileContext, fn: cst.FunctionDef, call: cst.Call, value: Value,
                    depth: int) -> Value | None:
    """The model a function returns unchanged (``return model`` of its parameter: ``model =
    train(model, loader)``): the instance ``call`` passes for that parameter."""
    param = value.node
    if type(param) is not cst.Param or depth > _FACTORY_DEPTH:
        return None
    passed = ctx.call_graph.argument_for(fn, param, call)
    if passed is None:
        return None
    found = ctx.value(passed) or _factory_name(ctx, passed, depth + 1)
    return found if found is not None and found.kind is Kind.INSTANCE else None


def _unwrap(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``build()`` for ``build().to(device)``."""
    while type(expr) is cst.Call and type(expr.func) is cst.Attribute and (
            expr.func.attr.value in _PASSTHROUGH):
        expr = expr.func.value
    return expr


def _sequential_layers(model: Value) -> list[cst.BaseExpression]:
    """The positional layers of the ``nn.Sequential(...)`` call that built ``model``."""
    node = _unwrap(model.node) if isinstance(model.node, cst.BaseExpression) else None
    if type(node) is not cst.Call or any(arg.star for arg in node.args):
        return []
    return [arg.value for arg in node.args if arg.keyword is None]
