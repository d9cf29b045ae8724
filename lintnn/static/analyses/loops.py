"""Shared analysis for optimization-loop rules: the training events of each loop iteration.

A loop iteration is read as the ordered list of the events that make a training step:
``backward``, optimizer ``step``, ``zero_grad``, gradient clipping, scheduler ``step``.
Calls of functions defined in the same file (``train_step(...)``, ``self._step(...)``)
are inlined at their call site. Each event carries its *guard*, the if-branches taken
to reach it inside the iteration, so rules can tell an event that runs on every path
(its guard is a prefix of another's) from one that may not run at all; events inside
an inner loop are marked ``nested`` and left out of ordering questions.
"""

from __future__ import annotations

import ast
import enum
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.memo import subtree_memo
from lintnn.static.syntax.nodes import dotted_name, method_name, positional
from lintnn.static.syntax.visitor import cst_visitor, walk

_CLIP_FUNCTIONS = frozenset({
    "torch.nn.utils.clip_grad_norm_", "torch.nn.utils.clip_grad_value_",
    "torch.nn.utils.clip_grad.clip_grad_norm_", "torch.nn.utils.clip_grad.clip_grad_value_",
    "torch.nn.utils.clip_grad_norm", "torch.nn.utils.clip_grad.clip_grad_norm",
})
_CLIP_METHODS = frozenset({"clip_grad_norm_", "clip_grad_value_"})
_INLINE_DEPTH = 3

# One branch taken inside an iteration: (the If/Try/Match node, which branch).
Guard = tuple[tuple["cst.CSTNode", int], ...]


class EventKind(enum.Enum):
    BACKWARD = "backward"  # loss.backward(), scaler.scale(loss).backward()
    OPAQUE_BACKWARD = "opaque backward"  # accelerator.backward(loss), manual_backward
    STEP = "optimizer step"
    ZERO_GRAD = "zero_grad"
    CLIP = "gradient clipping"
    SCHEDULER_STEP = "scheduler step"


@dataclass(frozen=True)
class Event:
    """One training event, where it happens and on which object."""

    kind: EventKind
    node: cst.CSTNode  # the call (or ``p.grad = None`` statement)
    guard: Guard
    nested: bool  # inside a loop nested in the iteration
    receiver: str | None = None  # dotted name of the optimizer / scheduler / model
    has_arguments: bool = False  # step(closure), scheduler.step(metric)
    tensor: cst.BaseExpression | None = None  # what backward() is called on
    site: cst.CSTNode | None = None  # the call of a same-file helper it came from

    @property
    def anchor(self) -> cst.CSTNode:
        """Where to report: the event itself, or the helper call in the iteration."""
        return self.site or self.node


@dataclass(frozen=True)
class Iteration:
    """The events of one loop, in evaluation order."""

    loop: cst.For | cst.While
    events: tuple[Event, ...]

    def of(self, *kinds: EventKind, nested: bool | None = False) -> list[Event]:
        return [e for e in self.events
                if e.kind in kinds and (nested is None or e.nested == nested)]

    @property
    def is_training(self) -> bool:
        return bool(self.of(EventKind.BACKWARD, EventKind.OPAQUE_BACKWARD, EventKind.STEP))

    @property
    def uses_closure(self) -> bool:
        """``optimizer.step(closure)``: backward runs inside the closure (LBFGS)."""
        return any(e.has_arguments for e in self.of(EventKind.STEP, nested=None))


def runs_before(first: Event, second: Event) -> bool:
    """``first`` runs on every path that reaches ``second`` (same iteration)."""
    return second.guard[: len(first.guard)] == first.guard


def runs_before_on_condition(ctx: FileContext, loop: cst.For | cst.While, first: Event,
                             second: Event) -> bool:
    """``first`` runs on every path that reaches ``second``, reading two ``if`` statements
    of the loop with the same test as one condition (``if phase == "train":
    scheduler.step()`` ... ``if phase == "train": optimizer.step()``) when the test only
    compares names the loop body never rebinds: its value is the same all iteration."""
    if runs_before(first, second):
        return True
    if first.site is not None or second.site is not None:
        return False  # a helper's condition reads the helper's own names
    taken = {_condition(ctx, loop, node, branch) for node, branch in second.guard}
    return all(_condition(ctx, loop, node, branch) in taken for node, branch in first.guard)


def _condition(ctx: FileContext, loop: cst.For | cst.While, node: cst.CSTNode,
               branch: int) -> tuple[object, int]:
    """A guard step as a condition: an ``if`` of the loop whose test is stable in it by its
    test's code, any other branch by its node."""
    if type(node) is cst.If and _stable_test(loop, node.test):
        return ast.dump(ast.parse(ctx.code(node.test).strip(), mode="eval")), \
            branch
    return node, branch


@functools.cache
def _stable_nodes() -> tuple[type[cst.CSTNode], ...]:
    """The node types a stable test may hold (made on first use: no libcst at import)."""
    return (cst.Name, cst.SimpleString, cst.Integer, cst.Float, cst.Comparison,
            cst.ComparisonTarget, cst.BooleanOperation, cst.UnaryOperation,
            cst.BaseCompOp, cst.BaseBooleanOp, cst.Not, cst.Tuple, cst.Element,
            cst.LeftParen, cst.RightParen, cst.BaseParenthesizableWhitespace,
            cst.Comma)


def _stable_test(loop: cst.For | cst.While, test: cst.BaseExpression) -> bool:
    """The test reads names and constants only, and the loop body binds none of them."""
    names: set[str] = set()
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if not isinstance(node, _stable_nodes()):
            return False
        if type(node) is cst.Name:
            names.add(node.value)
        stack.extend(iter_children(node))
    rebound = {name for name, _ in bound_names(loop.body)}
    return bool(names) and not names & rebound


def compatible(a: Event, b: Event) -> bool:
    """Both events may run in the same iteration (not in exclusive branches)."""
    shorter = min(len(a.guard), len(b.guard))
    return a.guard[:shorter] == b.guard[:shorter]


def iterations(ctx: FileContext, outer: bool = False) -> list[Iteration]:
    """Every training loop of the file (a loop with a backward or optimizer step); with
    ``outer``, also the loops whose training happens in an inner loop (epoch loops)."""
    cached = ctx.__dict__.get("_training_iterations")
    if cached is None:
        cached = []
        for loop in ctx.index.loops:
            if ctx.index.enclosing(loop, (cst.Lambda,)) is not None:
                continue
            walker = _Walker(ctx, loop)
            iteration = Iteration(loop, tuple(walker.run()))
            if iteration.of(EventKind.BACKWARD, EventKind.OPAQUE_BACKWARD, EventKind.STEP,
                            nested=None):
                cached.append(iteration)
        ctx.__dict__["_training_iterations"] = cached
    return cached if outer else [i for i in cached if i.is_training]


def classify_step(ctx: FileContext, call: cst.Call) -> tuple[EventKind, str | None] | None:
    """Is ``x.step(...)`` an optimizer step or a scheduler step, and on what?"""
    receiver = call.func.value if type(call.func) is cst.Attribute else None
    if receiver is None:
        return None
    name = dotted_name(receiver)
    value = ctx.value(receiver)
    args = positional(call)
    if value is not None and value.kind is not Kind.REF and value.roles:
        if R.GRAD_SCALER in value.roles:
            return (EventKind.STEP, dotted_name(args[0])) if args else None
        if R.OPTIMIZER in value.roles:
            return EventKind.STEP, name
        if R.SCHEDULER in value.roles:
            return EventKind.SCHEDULER_STEP, name
        return None
    if value is not None and value.kind is Kind.INSTANCE:
        return None  # a known class that is neither: not ours
    last = (name or "").rsplit(".", 1)[-1].lower()
    if "scaler" in last and args:
        return EventKind.STEP, dotted_name(args[0])
    if "sched" in last:
        return EventKind.SCHEDULER_STEP, name
    if is_optimizer_name(last):
        return EventKind.STEP, name
    return None


_GRADIENT_FUNCTIONS = frozenset({"grad", "value_and_grad"})


def is_jax_gradient_call(ctx: FileContext, call: cst.Call) -> bool:
    """``jax.grad(...)`` / ``value_and_grad`` (also flax's and equinox's versions)."""
    qualname = ctx.qualname(call.func) or ""
    return qualname.split(".")[0] in ("jax", "flax", "equinox") and (
        qualname.rsplit(".", 1)[-1] in _GRADIENT_FUNCTIONS)


def _steps_wrapper(method: str, receiver: str | None) -> bool:
    """``optimizer.step_and_update_lr()``: an optimizer wrapper's own stepping method
    (a scheduled optimizer of a paper's code), on an object named as an optimizer."""
    words = method.lower().split("_")
    return receiver is not None and is_optimizer_name(receiver) and (
        words[0] == "step" or words[-1] == "step") and "zero" not in words


def is_optimizer_name(name: str) -> bool:
    """``optimizer``, ``opt``, ``optim_g``, ``d_opt``: how optimizers are usually named."""
    last = name.rsplit(".", 1)[-1].lower()
    return "optim" in last or last == "opt" or last.startswith("opt_") or last.endswith("_opt")


class _Walker:
    """Collects the events of one loop body, inlining same-file helpers."""

    def __init__(self, ctx: FileContext, loop: cst.For | cst.While) -> None:
        self.ctx = ctx
        self.loop = loop
        self.events: list[Event] = []
        self._stack: list[cst.FunctionDef] = []
        self._renames: list[dict[str, str]] = []

    def run(self) -> list[Event]:
        self._block(self.loop.body.body, (), False, None)
        return self.events

    def _block(self, body: Sequence[cst.CSTNode], guard: Guard, nested: bool,
               site: cst.CSTNode | None) -> None:
        for stmt in body:
            self._statement(stmt, guard, nested, site)

    def _suite(self, suite: cst.BaseSuite, guard: Guard, nested: bool,
               site: cst.CSTNode | None) -> None:
        self._block(suite.body, guard, nested, site)  # type: ignore[arg-type]

    def _statement(self, stmt: cst.CSTNode, guard: Guard, nested: bool,
                   site: cst.CSTNode | None) -> None:
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                self._expression_events(small, guard, nested, site)
                self._grad_reset(small, guard, nested, site)
        elif type(stmt) is cst.If:
            self._expression_events(stmt.test, guard, nested, site)
            self._suite(stmt.body, (*guard, (stmt, 0)), nested, site)
            if type(stmt.orelse) is cst.If:
                self._statement(stmt.orelse, (*guard, (stmt, 1)), nested, site)
            elif stmt.orelse is not None:
                self._suite(stmt.orelse.body, (*guard, (stmt, 1)), nested, site)
        elif type(stmt) in (cst.For, cst.While):
            header = stmt.iter if type(stmt) is cst.For else stmt.test
            self._expression_events(header, guard, nested, site)
            self._suite(stmt.body, guard, True, site)
            if stmt.orelse is not None:
                self._suite(stmt.orelse.body, guard, True, site)
        elif type(stmt) is cst.With:
            for item in stmt.items:
                self._expression_events(item.item, guard, nested, site)
            self._suite(stmt.body, guard, nested, site)
        elif type(stmt) is cst.Try:
            self._suite(stmt.body, guard, nested, site)
            for number, handler in enumerate(stmt.handlers, start=1):
                self._suite(handler.body, (*guard, (stmt, number)), nested, site)
            for tail in (stmt.orelse, stmt.finalbody):
                if tail is not None:
                    self._suite(tail.body, guard, nested, site)
        elif type(stmt) is cst.Match:
            for number, case in enumerate(stmt.cases):
                self._suite(case.body, (*guard, (stmt, number)), nested, site)

    def _grad_reset(self, small: cst.BaseSmallStatement, guard: Guard, nested: bool,
                    site: cst.CSTNode | None) -> None:
        """``p.grad = None`` and ``del p.grad`` zero the gradients too."""
        targets: list[cst.BaseExpression] = []
        if type(small) is cst.Assign and type(small.value) is cst.Name \
                and small.value.value == "None":
            targets = [t.target for t in small.targets]
        elif type(small) is cst.Del:
            targets = [small.target]
        if any(type(t) is cst.Attribute and t.attr.value == "grad" for t in targets):
            self.events.append(Event(EventKind.ZERO_GRAD, small, guard, nested, site=site))

    def _expression_events(self, node: cst.CSTNode, guard: Guard, nested: bool,
                           site: cst.CSTNode | None) -> None:
        for call in calls_in(node):
            event = self._classify(call, guard, nested, site)
            if event is not None:
                self.events.append(event)
                continue
            helper = self._helper(call)
            if helper is not None:
                self._stack.append(helper)
                self._renames.append(self._arguments(helper, call))
                body = helper.body.body if type(helper.body) is cst.IndentedBlock else ()
                self._block(body, guard, nested, site or call)
                self._renames.pop()
                self._stack.pop()

    def _arguments(self, helper: cst.FunctionDef, call: cst.Call) -> dict[str, str]:
        """The helper's parameters as the caller names them (``optimizer`` ->
        ``optimizer_simple``), so the events of an inlined helper name the caller's objects."""
        outer = self._renames[-1] if self._renames else {}
        graph = self.ctx.call_graph
        names: dict[str, str] = {}
        for param in (*helper.params.posonly_params, *helper.params.params,
                      *helper.params.kwonly_params):
            passed = graph.argument_for(helper, param, call)
            name = dotted_name(passed) if passed is not None else None
            if name is not None:
                names[param.name.value] = outer.get(name, name)
        return names

    def _renamed(self, name: str | None) -> str | None:
        """``name`` in the loop's own terms (through the inlined helpers' arguments)."""
        if name is None or not self._renames:
            return name
        head, dot, rest = name.partition(".")
        mapped = self._renames[-1].get(head)
        return (mapped + dot + rest) if mapped is not None else name

    def _classify(self, call: cst.Call, guard: Guard, nested: bool,
                  site: cst.CSTNode | None) -> Event | None:
        ctx = self.ctx
        name = method_name(call)
        qualname = ctx.qualname(call.func)
        receiver = call.func.value if type(call.func) is cst.Attribute else None
        receiver_name = dotted_name(receiver) if receiver is not None else None

        def event(kind: EventKind, **kw: object) -> Event:
            if "receiver" in kw:
                kw["receiver"] = self._renamed(kw["receiver"])  # type: ignore[arg-type]
            return Event(kind, call, guard, nested, site=site, **kw)  # type: ignore[arg-type]

        if qualname in _CLIP_FUNCTIONS or (qualname is None and name in _CLIP_METHODS):
            return event(EventKind.CLIP)
        if qualname == "torch.autograd.backward":
            return event(EventKind.BACKWARD, tensor=positional(call)[0] if call.args else None)
        if qualname is None and name == "backward" and receiver is not None:
            scaled = type(receiver) is cst.Call and method_name(receiver) == "scale"
            if receiver_name == "self" or (positional(call) and not scaled):
                return event(EventKind.OPAQUE_BACKWARD)
            tensor = receiver
            if scaled:
                inner = positional(receiver)  # type: ignore[arg-type]
                tensor = inner[0] if inner else None
            return event(EventKind.BACKWARD, tensor=tensor)
        if name == "manual_backward":
            return event(EventKind.OPAQUE_BACKWARD)
        if name == "zero_grad":
            return event(EventKind.ZERO_GRAD, receiver=receiver_name)
        if name in ("zero_", "fill_") and ".grad." in f"{receiver_name}.":
            return event(EventKind.ZERO_GRAD)
        if qualname is None and name is not None and name != "step" and _steps_wrapper(
                name, receiver_name):
            return event(EventKind.STEP, receiver=receiver_name)
        if qualname is None and name == "step":
            kind = classify_step(ctx, call)
            if kind is None:
                return None
            has_arguments = bool(call.args) and not (
                kind[0] is EventKind.STEP and kind[1] is not None and receiver_name != kind[1]
            )
            return event(kind[0], receiver=kind[1], has_arguments=has_arguments)
        return None

    def _helper(self, call: cst.Call) -> cst.FunctionDef | None:
        """A function of this file that ``call`` calls, if exactly one can be."""
        if len(self._stack) >= _INLINE_DEPTH:
            return None
        func = call.func
        candidates: list[cst.FunctionDef] = []
        if type(func) is cst.Name:
            candidates = free_functions(self.ctx).get(func.value, [])
        elif type(func) is cst.Attribute and type(func.value) is cst.Name \
                and func.value.value == "self":
            owner = self.ctx.index.enclosing_class(call)
            method = self.ctx.method(owner, func.attr.value) if owner is not None else None
            candidates = [method] if method is not None else []
        if len(candidates) != 1 or candidates[0] in self._stack:
            return None
        if self.ctx.index.is_inside(self.loop, candidates[0]) and not self._stack:
            return None  # the loop's own function (recursion)
        return candidates[0]


def calls_in(node: cst.CSTNode) -> Iterator[cst.Call]:
    """Calls in ``node`` with arguments before the call, skipping lambdas and definitions."""
    return iter(_calls_in(node))


@subtree_memo
def _calls_in(node: cst.CSTNode) -> tuple[cst.Call, ...]:
    collector = _CallCollector()
    walk(node, collector)
    return tuple(collector.calls)


@cst_visitor
class _CallCollector:
    def __init__(self) -> None:
        self.calls: list[cst.Call] = []

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return False

    def leave_Call(self, original_node: cst.Call) -> None:
        self.calls.append(original_node)


def free_functions(ctx: FileContext) -> dict[str, list[cst.FunctionDef]]:
    """Functions of the file that are not methods, by name (built once per file)."""
    found = ctx.__dict__.get("_free_functions")
    if found is None:
        found = ctx.__dict__["_free_functions"] = {}
        for function in ctx.index.functions:
            if ctx.index.enclosing_class(function) is None:
                found.setdefault(function.name.value, []).append(function)
    return found


def source_order(ctx: FileContext) -> SourceOrder:
    """Pre-order numbers that compare where nodes of the file are (``order[a] < order[b]``)."""
    return SourceOrder(ctx.index)


class SourceOrder:
    """``order[node]``: the node's pre-order number in the file (that of its nearest indexed
    ancestor for the few nodes the index skips, such as the names inside an import)."""

    def __init__(self, index) -> None:
        self.index = index

    def __getitem__(self, node: cst.CSTNode) -> int:
        order = self.index.order
        current: cst.CSTNode | None = node
        while current is not None:
            number = order.get(current)
            if number is not None:
                return number
            current = self.index.parents.get(current)
        return -1


@subtree_memo
def mentions(node: cst.CSTNode, name: str) -> bool:
    """``node`` contains the plain name ``name`` (outside attribute names)."""
    finder = _NameFinder(name)
    walk(node, finder)
    return finder.found


@cst_visitor
class _NameFinder:
    def __init__(self, name: str) -> None:
        self.name = name
        self.found = False

    def visit_Attribute(self, node: cst.Attribute) -> bool:
        walk(node.value, self)
        return False

    def visit_Name(self, node: cst.Name) -> None:
        if node.value == self.name:
            self.found = True


def bound_names(node: cst.CSTNode) -> Iterator[tuple[str, cst.CSTNode]]:
    """Every plain name bound in ``node`` (assignments, loop targets, ``as``), with where;
    not inside nested definitions, whose names are their own."""
    return iter(_bound_names(node))


@subtree_memo
def _bound_names(node: cst.CSTNode) -> tuple[tuple[str, cst.CSTNode], ...]:
    collector = _BindingCollector(node)
    walk(node, collector)
    return tuple(collector.bound)


@cst_visitor
class _BindingCollector:
    def __init__(self, root: cst.CSTNode) -> None:
        self.root = root
        self.bound: list[tuple[str, cst.CSTNode]] = []

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return node is self.root

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return node is self.root

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def _target(self, target: cst.BaseExpression, where: cst.CSTNode) -> None:
        if type(target) is cst.Name:
            self.bound.append((target.value, where))
        elif type(target) in (cst.Tuple, cst.List):
            for element in target.elements:
                self._target(element.value, where)
        elif type(target) is cst.StarredElement:
            self._target(target.value, where)

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._target(target.target, node)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._target(node.target, node)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._target(node.target, node)

    def visit_For(self, node: cst.For) -> None:
        self._target(node.target, node)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        self._target(node.target, node)

    def visit_AsName(self, node: cst.AsName) -> None:
        self._target(node.name, node)  # type: ignore[arg-type]

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._target(node.target, node)


def conditional_within(ctx: FileContext, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
    """Under an ``if``/``try`` between ``node`` and ``scope`` (a loop, a function): it
    does not run on every pass."""
    for ancestor in ctx.index.ancestors(node):
        if ancestor is scope:
            return False
        if type(ancestor) in (cst.If, cst.Else, cst.Try, cst.ExceptHandler):
            return True
    return False
