"""Everything a rule can ask about one file, computed lazily and once."""

from __future__ import annotations

import builtins
from collections.abc import Callable
from dataclasses import InitVar, dataclass, field, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Protocol

import libcst as cst

from lintnn.diagnostics import Applicability, Severity
from lintnn.static import knowledge
from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Entry
from lintnn.static.syntax.callgraph import CallGraph
from lintnn.static.syntax.dataflow import Flow, Kind, Value, reconcile, same_values
from lintnn.static.syntax.demand import Bindings, NeedsFlow, demand_value
from lintnn.static.syntax.imports import ImportMap, canonical, dotted_name
from lintnn.static.syntax.index import IndexPieces, NodeIndex, iter_children
from lintnn.static.syntax.nodes import (
    has_star_args,
    is_self_attribute,
    method_name,
    names_in,
    target_names,
)
from lintnn.static.syntax.project import Requirement
from lintnn.static.syntax.reads import Reads
from lintnn.static.syntax.statements import Span, line_starts
from lintnn.static.syntax.structure import structure

# A parameter with one of these in its name is no model, whatever the file defines.
_NOT_MODELS = ("loss", "criterion", "metric", "fn", "func", "act", "optim", "opt", "sched",
               "loader", "data", "transform", "callback", "hook")
# The attributes of a class whose methods are being read (an empty dict, never filled).
_COMPUTING: dict[str, Value] = {}
# Methods that change which layers a container holds, or their order.
_GROWING_METHODS = frozenset({"add", "pop", "insert", "append", "extend", "add_module",
                              "register_module", "remove", "clear", "reverse", "sort",
                              "__setitem__", "__delitem__", "__iadd__"})
# Calls on a parameter that only a model receives.
_MODEL_METHODS = frozenset({"eval", "train", "parameters", "named_parameters", "forward",
                            "state_dict", "load_state_dict", "modules", "children",
                            "named_modules", "zero_grad"})


@cache
def _asked() -> cst.Name:
    """The marker of a method call that leaves a model's layers alone (``m.summary()``),
    made on first use: no libcst at import (:mod:`lintnn.static`)."""
    return cst.Name("asked")


def written_activation(expr: cst.BaseExpression,
                       assigned: Callable[[str], cst.BaseExpression | None]
                       ) -> frozenset[str]:
    """``1 / (1 + exp(-x))`` is a sigmoid, ``exp(x) / exp(x).sum(...)`` (or ``e / e.sum()``
    where ``e = exp(...)``) a softmax, whatever module ``exp`` comes from. ``assigned``
    gives the value last assigned to a name."""
    if not (type(expr) is cst.BinaryOperation and type(expr.operator) is cst.Divide):
        return frozenset()
    left, right = expr.left, expr.right
    if _number(left) == 1 and type(right) is cst.BinaryOperation and type(
            right.operator) is cst.Add and {_number(right.left), _number(right.right)} & {1} \
            and (_is_exp(right.left) or _is_exp(right.right)):
        return frozenset({R.SIGMOID})
    exponential = _is_exp(left) or (
        type(left) is cst.Name and _is_exp(assigned(left.value) or left))
    if exponential and _sums(right, left):
        return frozenset({R.SOFTMAX})
    return frozenset()


def _number(node: cst.BaseExpression) -> float | None:
    if type(node) in (cst.Integer, cst.Float):
        return float(node.value)
    return None


def _is_exp(node: cst.BaseExpression) -> bool:
    """``np.exp(x)``, ``torch.exp(-x)``, ``math.exp(x)``, ``x.exp()``."""
    return (type(node) is cst.Call and (dotted_name(node.func) or "").endswith("exp")) or (
        type(node) is cst.Call and type(node.func) is cst.Attribute
        and node.func.attr.value == "exp")


def _sums(node: cst.BaseExpression, numerator: cst.BaseExpression) -> bool:
    """``numerator.sum(...)`` or ``sum(numerator, ...)`` (any module's ``sum``; the same
    expression but for its layout)."""
    if type(node) is not cst.Call:
        return False
    if type(node.func) is cst.Attribute and node.func.attr.value == "sum":
        inner = node.func.value
        if structure(inner) == structure(numerator) or (
                type(inner) is cst.Call and _is_exp(inner) and _is_exp(numerator)):
            return True
    if (dotted_name(node.func) or "").endswith("sum") and node.args:
        inner = node.args[0].value
        return structure(inner) == structure(numerator) or (
            _is_exp(inner) and _is_exp(numerator))
    return False


class ReportingRule(Protocol):
    """What a finding keeps of the rule that reported it (every ``rules.base.Rule`` has it)."""

    code: str
    name: str
    severity: Severity
    message: str


@dataclass(frozen=True)
class NodeFix:
    """A fix as libcst node replacements; turned into text edits by the engine."""

    message: str
    replacements: tuple[tuple[cst.CSTNode, cst.CSTNode], ...]
    applicability: Applicability = Applicability.SAFE


@dataclass
class RawFinding:
    rule: ReportingRule
    node: cst.CSTNode
    message: str
    fix: NodeFix | None = None
    requires: tuple[Requirement, ...] = ()
    end_node: cst.CSTNode | None = None


@dataclass
class FileContext:
    """A parsed file, its imports and node index, dataflow on demand, and a report sink."""

    path: Path
    source: str
    module: cst.Module
    module_name: str = ""
    is_package: bool = False
    findings: list[RawFinding] = field(default_factory=list)
    current_rule: ReportingRule | None = None
    # The walks of the module's statements kept from an earlier context (an edited buffer).
    pieces: InitVar[IndexPieces | None] = None
    # The text of code that belongs to the program but could not be read (a notebook cell
    # IPython refuses): whatever the analysis finds missing may be there. A rule that
    # reports something missing names, in ``absent``, the words such code would contain.
    unread: tuple[str, ...] = ()
    # CPython's top-level statements of ``source``, when the caller parsed it with ``ast``
    # (the positions of findings read their first lines).
    statement_spans: list[Span] | None = None
    # The module was built from CPython's tree (:mod:`~lintnn.static.engine.from_ast`):
    # its trivia are defaults, so code rendered from it is not the code as written.
    light: bool = False

    def __post_init__(self, pieces: IndexPieces | None) -> None:
        # Set when the analysis rendered code from a ``light`` module: its answer may
        # depend on the formatting, and must come from libcst's own tree.
        self.read_formatting = False
        self.imports = ImportMap(self.module_name, self.is_package)
        self.index = NodeIndex.build(self.module, self.imports, pieces)
        roots = {q.split(".")[0] for q in self.imports.aliases.values()}
        self.frameworks = frozenset(
            knowledge.FRAMEWORK_OF_ROOT[r] for r in roots if r in knowledge.FRAMEWORK_OF_ROOT
        )
        self.local_classes = {c.name.value: c for c in self.index.classes
                              if self.index.enclosing_class(c) is None
                              and self.index.enclosing_function(c) is None}
        self.nested_classes = _nested_classes(self)
        self._nested_names = {id(c): q for q, c in self.nested_classes.items()}
        self._flows: dict[cst.CSTNode, Flow] = {}
        self._class_attrs: dict[cst.ClassDef, dict[str, Value]] = {}
        self._param_values: dict[cst.Param, Value | None] = {}
        self._bindings: dict[cst.FunctionDef, Bindings] = {}
        self._returned: dict[cst.FunctionDef, frozenset[str]] = {}
        self._models: dict[cst.FunctionDef, Value | None] = {}
        self._callees: dict[cst.Call, tuple[str | None, Entry | None]] = {}
        # What the analyses read beyond a statement (the language server's cache asks).
        self.reads = Reads()

    def release(self, shared: bool = True) -> None:
        """Break the reference cycles the analysis made, so that the parse tree is freed
        when the last reference to it goes rather than at the next full collection (a
        flow and a mode index refer back to their context, facts' frames to each other;
        the language server's worker collects rarely, ``lsp/worker.py``, and kept every
        tree it checked until then). Dropping the attributes is enough for the cycles
        through a context: a memo dict that a statement view shares (:mod:`~lintnn.
        static.engine.statement_cache`) goes with the last context holding it. ``shared``:
        also empty the facts' frames, which the views share (a view must not, while the
        check goes on). The context is unusable afterwards."""
        if shared:
            self.reads.release()
        self.__dict__.clear()

    def code(self, node: cst.CSTNode) -> str:
        """The code of ``node`` as written (as libcst renders it). On a ``light`` module,
        the code with default spacing, and the context marked ``read_formatting``."""
        if self.light:
            self.read_formatting = True
        return self.module.code_for_node(node)

    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets of the source's lines, as CPython counts them (see ``line_starts``)."""
        return line_starts(self.source)

    @cached_property
    def call_graph(self) -> CallGraph:
        """Calls of the file's own functions (of the whole file, also in a partial view)."""
        return CallGraph(self.index, self.reads)

    # Names ------------------------------------------------------------------------

    def qualname(self, node: cst.BaseExpression) -> str | None:
        """Canonical qualified name of an imported name or attribute chain."""
        return self.imports.resolve(node)

    def qualname_of_class(self, node: cst.BaseExpression) -> str | None:
        """Like :meth:`qualname`, also for classes defined at the top of this file."""
        resolved = self.imports.resolve(node)
        if resolved is not None:
            return resolved
        dotted = dotted_name(node)
        if dotted is not None and dotted in self.local_classes:
            return f"{self.module_name}.{dotted}" if self.module_name else dotted
        return self._star_imported_class(dotted)

    def _star_imported_class(self, name: str | None) -> str | None:
        """``Generator`` after ``from gan_architecture import *``: a capitalized name the
        file neither binds nor imports by name, from the last star import, when that is a
        module of the project (a framework's star import is left unresolved); a
        requirement on that class then holds only if the project defines it there."""
        if name is None or "." in name or not name[:1].isupper() or hasattr(builtins, name):
            return None
        module = self.imports.star_source(name)
        if module is None or module.split(".")[0] in knowledge.KNOWN_ROOTS or (
                knowledge.is_framework_name(module)):
            return None
        return f"{module}.{name}"

    def may_be_project_class(self, qualname: str) -> bool:
        """True for a class the project may define (so the project index may know it): a
        class of this file, whatever its case, or a capitalized name from elsewhere."""
        if qualname in self.nested_classes:
            return True
        last = qualname.rsplit(".", 1)[-1]
        if last in self.local_classes and qualname == self.class_qualname(self.local_classes[last]):
            return True
        root = qualname.split(".")[0]
        if root in knowledge.KNOWN_ROOTS or knowledge.is_framework_name(qualname):
            return False
        last = qualname.rsplit(".", 1)[-1]
        return last[:1].isupper()

    def entry(self, node: cst.BaseExpression) -> Entry | None:
        """Knowledge-base entry of a referenced function or class."""
        return knowledge.lookup(self.qualname(node))

    def callee(self, call: cst.Call) -> tuple[str | None, Entry | None]:
        """Qualified name and entry of what a call calls; methods by name as fallback
        (asked by most rules of most calls: answered once per call)."""
        found = self._callees.get(call)
        if found is None:
            found = self._callees[call] = self._callee(call)
        return found

    def _callee(self, call: cst.Call) -> tuple[str | None, Entry | None]:
        qualname = self.qualname(call.func)
        if qualname is not None:
            return qualname, knowledge.lookup(canonical(qualname))
        name = method_name(call)
        if name is not None:
            return None, knowledge.method(name, self.frameworks)
        return None, None

    @property
    def is_test_file(self) -> bool:
        """A unit-test module: tests pin weights, seeds, keys and data order on purpose,
        to assert exact numbers, so rules about those stay silent there."""
        name = self.path.name
        return (name.startswith("test_") or name.endswith("_test.py")
                or name == "conftest.py" or "tests" in self.path.parts[:-1])

    # Dataflow ---------------------------------------------------------------------

    def scope_of(self, node: cst.CSTNode) -> cst.FunctionDef | cst.Module:
        return self.index.enclosing_function(node) or self.module

    def module_flow(self) -> Flow:
        return self.flow(self.module)

    def flow(self, scope: cst.FunctionDef | cst.Module) -> Flow:
        flow = self._flows.get(scope)
        reads = self.reads
        if reads.frame is not None and type(scope) is not cst.Module:
            reads.note(scope)  # module-level values are keyed apart (their fingerprints)
            if flow is not None:
                reads.replay(("flow", scope))
        if flow is None:
            with reads.computing(("flow", scope)):
                attrs = None
                if type(scope) is cst.FunctionDef:
                    owner = self.index.enclosing_class(scope)
                    if owner is not None:
                        attrs = self.class_attributes(owner)
                flow = Flow(self, scope, attrs)
            if attrs is not _COMPUTING:  # a method's flow asked for while its class's
                self._flows[scope] = flow  # attributes are being read: made again later
        return flow

    def value(self, expr: cst.BaseExpression) -> Value | None:
        """What ``expr`` evaluates to at its place in the program, if known."""
        return self.flow(self.scope_of(expr)).value_of(expr)

    def passed_value(self, expr: cst.BaseExpression) -> Value | None:
        """:meth:`value` of an argument a call passes: where it can, from the bindings the
        argument reads alone (:mod:`~lintnn.static.syntax.demand`), not from its
        function's whole flow, so that what the answer is said to read (the language
        server's cache) is what it reads."""
        scope = self.scope_of(expr)
        if type(scope) is cst.FunctionDef:
            bindings = self._bindings.get(scope)
            if bindings is None:
                bindings = self._bindings[scope] = Bindings(scope)
            self.reads.note(scope)
            try:
                return demand_value(self, scope, expr, bindings)
            except NeedsFlow:
                pass
        return self.flow(scope).value_of(expr)

    def returned_roles(self, call: cst.Call) -> frozenset[str]:
        """What a function of this file returns, when every ``return`` agrees (``makes.*``
        roles): ``sigmoid(z)`` for a hand-written ``1 / (1 + exp(-z))``."""
        fn = self.call_graph.target(call)
        if fn is None or self.index.enclosing_class(fn) is not None:
            return frozenset()
        self.reads.note(fn)
        if fn in self._returned:
            self.reads.replay(("returned", fn))
            return self._returned[fn]
        self._returned[fn] = frozenset()  # recursion: unknown
        with self.reads.computing(("returned", fn)):
            self._returned[fn] = self._returned_roles(fn)
        return self._returned[fn]

    def _returned_roles(self, fn: cst.FunctionDef) -> frozenset[str]:
        found: frozenset[str] | None = None
        for node in self.index.within(self.index.returns, fn):
            if self.index.enclosing_function(node) is not fn or node.value is None:
                continue
            roles = written_activation(node.value, lambda name, at=node: (
                a.value if (a := self.last_assignment(name, at)) is not None else None))
            if not roles:
                value = self.flow(fn).value_of(node.value)
                roles = frozenset(r for r in value.roles if r.startswith("makes.")) \
                    if value is not None and value.kind is Kind.RESULT else frozenset()
            found = roles if found is None else found & roles
        return found or frozenset()

    def returned_model(self, call: cst.Call) -> Value | None:
        """The Sequential a builder function of this file returns, with its layers: every
        ``return`` gives back one local name, bound once, in the function's own body, to a
        Sequential (its layers known), then grown only by ``name.add(layer)``
        statements of that body (never under an ``if`` or in a loop) and otherwise only
        asked (``name.summary()``, ``name.compile(...)``). None when unsure."""
        fn = self.call_graph.target(call)
        if fn is None or self.index.enclosing_class(fn) is not None:
            return None
        self.reads.note(fn)
        if fn in self._models:
            self.reads.replay(("model", fn))
            return self._models[fn]
        self._models[fn] = None  # recursion: unknown
        with self.reads.computing(("model", fn)):
            self._models[fn] = self._returned_model(fn)
        return self._models[fn]

    def _returned_model(self, fn: cst.FunctionDef) -> Value | None:
        returned = returns_of(fn)
        body = fn.body.body if type(fn.body) is cst.IndentedBlock else ()
        own = {id(small) for line in body if type(line) is cst.SimpleStatementLine
               for small in line.body}
        if len(returned) != 1 or id(returned[0]) not in own \
                or type(returned[0].value) is not cst.Name:
            return None
        name = returned[0].value.value
        mentions = sorted((node for node in names_in(fn.body) if node.value == name and not (
            _names_an_attribute_or_keyword(self.index.parent(node), node))),
            key=lambda node: self.index.order.get(node, 0))
        flow = self.flow(fn)
        built: Value | None = None
        layers: list[Value | None] = []
        for node in mentions:
            parent = self.index.parent(node)
            if type(parent) is cst.Return and built is not None:
                continue
            if type(parent) is cst.AssignTarget and built is None:
                assign = self.index.parent(parent)
                if type(assign) is not cst.Assign or id(assign) not in own \
                        or len(assign.targets) != 1:
                    return None
                built = flow.value_of(assign.value)
                if built is None or built.kind is not Kind.INSTANCE \
                        or R.SEQUENTIAL not in built.roles:
                    return None
                layers = list(built.items)
                continue
            added = self._added_layer(node, parent, own) if built is not None else None
            if added is None:
                return None
            if added is not _asked():
                layers.append(flow.value_of(added))
        if built is None or not layers:
            return None
        return replace(built, items=tuple(layers))  # a layer not known is None

    def _added_layer(self, node: cst.Name, parent: cst.CSTNode | None,
                     own: set[int]) -> cst.BaseExpression | None:
        """The layer ``node.add(layer)`` adds, as a statement of its own; :func:`_asked` for a
        method that leaves the layers alone (``node.summary()``); None for anything else."""
        if not (type(parent) is cst.Attribute and parent.value is node):
            return None
        use = self.index.parent(parent)
        if not (type(use) is cst.Call and use.func is parent):
            return None
        if parent.attr.value not in _GROWING_METHODS:
            return _asked()
        statement = self.index.parent(use)
        if parent.attr.value != "add" or type(statement) is not cst.Expr \
                or id(statement) not in own or len(use.args) != 1 or use.args[0].star \
                or use.args[0].keyword is not None:
            return None
        return use.args[0].value

    def depends_on(self, node: cst.CSTNode) -> None:
        """What the rule being run finds depends on ``node``, which may be in another
        top-level statement (a class whose output it reads): a statement's view notes it,
        so that its cached findings are found again when that statement changes."""
        self.reads.note(node)

    def depends_on_mentions(self, name: str) -> None:
        """What the rule being run finds depends on every mention of ``name`` in the file
        (the uses of a function, wherever they are): a statement's view notes it, so that
        its cached findings are found again when a statement gains or loses one."""
        self.reads.note_mentions(name)

    @cached_property
    def _items(self) -> dict[str, tuple[Value | None, ...]]:
        """:meth:`returned_items` by class (made on first use: views make their own)."""
        return {}

    def returned_items(self, class_qualname: str) -> tuple[Value | None, ...]:
        """What each part of a file's class output is, when every ``return`` of its
        forward (``__call__``, ``call``) is a tuple of one length: ``return validity,
        label``. A part the returns disagree on is None; () when the output is no tuple."""
        class_def = self.class_named(class_qualname)
        if class_def is None:
            return ()
        self.depends_on(class_def)
        if class_qualname in self._items:
            return self._items[class_qualname]
        self._items[class_qualname] = ()  # recursion (forward reads its own output): none
        method = self.method(class_def, "forward", "__call__", "call")
        found = _tuple_parts(self, method) if method is not None else ()
        self._items[class_qualname] = found
        return found

    def part_value(self, value: Value | None) -> Value | None:
        """``value`` itself, or, for one part of a file class's tuple output, what the
        class's forward puts there (None when unknown)."""
        for _ in range(8):  # a part of a part ... of another class's output
            if value is None or value.part is None:
                return value
            class_qualname, position = value.part
            parts = self.returned_items(class_qualname)
            value = parts[position] if position < len(parts) else None
        return None

    def last_assignment(self, name: str, before: cst.CSTNode) -> cst.Assign | None:
        """The last ``name = ...`` (or ``..., name, ... = ...``) before ``before`` in its scope,
        in source order."""
        scope = self.scope_of(before)
        position = self.index.order.get(before, 0)
        best, best_at = None, -1
        for node in self.index.within(self.index.assignments, scope):
            at = self.index.order.get(node, 0)
            if best_at < at < position and self.scope_of(node) is scope and any(
                    name in target_names(t.target) for t in node.targets):
                best, best_at = node, at
        return best

    def assigned_value(self, name: str, before: cst.CSTNode) -> cst.BaseExpression | None:
        """The value of the last ``name = value`` before ``before`` in its scope, when that
        statement binds ``name`` alone (not ``a, name = ...`` nor ``a = name = ...``)."""
        assigned = self.last_assignment(name, before)
        if assigned is None or len(assigned.targets) != 1 or type(
                assigned.targets[0].target) is not cst.Name:
            return None
        return assigned.value

    # Parameters -------------------------------------------------------------------

    def parameter_value(self, fn: cst.FunctionDef, param: cst.Param) -> Value | None:
        """What ``param`` holds on every path into ``fn`` that the file shows.

        Every call of ``fn`` in the file must pass the same kind of value (its default when a
        call passes none). With no call in the file, the default; else, for a parameter used
        as a model (called, or put in a mode, or its parameters taken) outside any model
        class, the one model class the file defines: a script's ``train(model, loader)``
        trains the model that the script defines. None when unsure.
        """
        if param in self._param_values:
            self.reads.replay(("param", param))
            return self._param_values[param]
        self._param_values[param] = None  # a recursion (f calls g calls f) is unsure
        with self.reads.computing(("param", param)):
            value = self._resolve_parameter(fn, param)
        self._param_values[param] = value
        return value

    def _resolve_parameter(self, fn: cst.FunctionDef, param: cst.Param) -> Value | None:
        graph = self.call_graph
        callers = graph.callers(fn)
        self.reads.note(fn)  # its signature; ``callers`` noted each call
        if callers:
            values: list[Value | None] = []
            for call in callers:
                passed = graph.argument_for(fn, param, call)
                if passed is None and has_star_args(call):
                    return None
                values.append(self.passed_value(passed) if passed is not None
                              else self._default_value(fn, param))
            first = values[0]
            if first is None or any(v is None for v in values):
                return None
            if all(first.same_as(v) for v in values[1:]):
                return first
            distinct: list[Value] = []
            for value in values:
                if not any(value.same_as(d) for d in distinct):
                    distinct.append(value)  # type: ignore[arg-type]
            return Value(Kind.PARAM, node=param, candidates=tuple(distinct))
        default = self._default_value(fn, param)
        if default is not None:
            return default
        model = self.sole_model_class
        if model is not None and self._used_as_model(fn, param):
            return Value(Kind.INSTANCE, qualname=model, node=param, project_class=model)
        return None

    def _default_value(self, fn: cst.FunctionDef, param: cst.Param) -> Value | None:
        """The value of ``param``'s default, evaluated where ``fn`` is defined."""
        if param.default is None:
            return None
        outer = self.scope_of(fn)
        flow = self.flow(outer)
        if type(outer) is cst.Module:  # module-level names as the file leaves them
            return flow.eval(param.default, flow.final)
        return flow.eval(param.default, flow.before.get(self.index.statement_of(fn), {}))

    @cached_property
    def sole_model_class(self) -> str | None:
        """The qualified name of the one model class (a module with a forward) that the
        file defines at its top level, if it defines exactly one."""
        models = [c for c in self.local_classes.values()
                  if self.is_module_class(c) and self.method(c, "forward", "__call__", "call")]
        return self.class_qualname(models[0]) if len(models) == 1 else None

    def _used_as_model(self, fn: cst.FunctionDef, param: cst.Param) -> bool:
        owner = self.index.enclosing_class(fn)
        if owner is not None and self.is_module_class(owner):
            return False  # a layer's forward(x): its arguments are tensors
        name = param.name.value
        if any(word in name.lower() for word in _NOT_MODELS):
            return False
        for call in self.index.within(self.index.calls, fn):
            func = call.func
            if type(func) is cst.Name and func.value == name:
                return True
            if type(func) is cst.Attribute and type(func.value) is cst.Name and (
                func.value.value == name and func.attr.value in _MODEL_METHODS
            ):
                return True
        return False

    def class_attributes(self, class_def: cst.ClassDef) -> dict[str, Value]:
        """``self.x`` bindings that every method of the class agrees on."""
        reads = self.reads
        reads.note(class_def)
        cached = self._class_attrs.get(class_def)
        if cached is not None:
            reads.replay(("attributes", class_def))
            return cached
        self._class_attrs[class_def] = _COMPUTING  # guards against recursion
        with reads.computing(("attributes", class_def)):
            attrs = self._class_attributes(class_def)
        self._class_attrs[class_def] = attrs
        return attrs

    def _class_attributes(self, class_def: cst.ClassDef) -> dict[str, Value]:
        seen: dict[str, Value | None] = {}
        appended: dict[str, list[Value | None]] = {}
        for method in self.methods(class_def):
            flow = Flow(self, method, None)
            for name, value in flow.self_assignments:
                if name not in seen:
                    seen[name] = value
                elif seen[name] is not None:
                    seen[name] = reconcile(seen[name], value) if value is not None else None
            for name, layer in self._appends(method):
                appended.setdefault(name, []).append(flow.value_of(layer))
        # flax dataclass-style fields: ``dense: nn.Module = nn.Dense(4)``
        attrs = {k: v for k, v in seen.items() if v is not None}
        for name, values in appended.items():
            grown = _alike(values)
            if grown is not None and name in seen and name not in attrs and (
                    self._only_appended(class_def, name)):
                attrs[name] = same_values(grown)
        return attrs

    def _appends(self, method: cst.FunctionDef) -> list[tuple[str, cst.BaseExpression]]:
        """``self.fcs.append(fc)`` in ``method`` (not in functions inside it): (fcs, fc)."""
        found = []
        for call in self.index.within(self.index.calls, method):
            func = call.func
            if type(func) is cst.Attribute and func.attr.value == "append" and (
                    is_self_attribute(func.value)) and len(call.args) == 1 and (
                    not call.args[0].star and call.args[0].keyword is None) and (
                    self.index.enclosing_function(call) is method):
                found.append((func.value.attr.value, call.args[0].value))  # type: ignore[attr-defined]
        return found

    def _only_appended(self, class_def: cst.ClassDef, name: str) -> bool:
        """``self.<name>`` is made an empty list and then only appended to and read by
        index or iteration (``self.fcs[i](x)``, ``for fc in self.fcs``) in the class."""
        for node in _self_attributes(class_def, name):
            parent = self.index.parent(node)
            if type(parent) is cst.AssignTarget:
                assign = self.index.parent(parent)
                if not (type(assign) is cst.Assign and _empty_list(assign.value)):
                    return False
            elif not self._read_or_appended(node, parent):
                return False
        return True

    def _read_or_appended(self, node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
        if type(parent) is cst.Attribute:
            return parent.attr.value == "append"
        if type(parent) is cst.Subscript:
            return type(self.index.parent(parent)) not in (cst.AssignTarget, cst.Del, cst.AugAssign)
        return type(parent) is cst.For and parent.iter is node

    def methods(self, class_def: cst.ClassDef) -> list[cst.FunctionDef]:
        body = class_def.body.body if type(class_def.body) is cst.IndentedBlock else ()
        return [stmt for stmt in body if type(stmt) is cst.FunctionDef]

    def method(self, class_def: cst.ClassDef, *names: str) -> cst.FunctionDef | None:
        for fn in self.methods(class_def):
            if fn.name.value in names:
                return fn
        return None

    def class_qualname(self, class_def: cst.ClassDef) -> str:
        """``module.Name``; ``module.function.<locals>.Name`` for a class defined in a
        function (see :func:`_nested_classes`)."""
        nested = self._nested_names.get(id(class_def))
        if nested is not None:
            return nested
        name = class_def.name.value
        return f"{self.module_name}.{name}" if self.module_name else name

    def class_named(self, qualname: str) -> cst.ClassDef | None:
        """The class of this file whose :meth:`class_qualname` is ``qualname``."""
        nested = self.nested_classes.get(qualname)
        if nested is not None:
            return nested
        class_def = self.local_classes.get(qualname.rsplit(".", 1)[-1])
        return class_def if class_def is not None and (
            self.class_qualname(class_def) == qualname) else None

    @property
    def file_classes(self) -> list[cst.ClassDef]:
        """The classes the project index summarises: top-level ones, then those defined in
        a function."""
        return [*self.local_classes.values(), *self.nested_classes.values()]

    def is_module_class(self, class_def: cst.ClassDef) -> bool:
        """True when a base class is a framework module or any non-framework class."""
        for base in class_def.bases:
            value = self.qualname_of_class(base.value)
            if value is not None:
                entry = knowledge.lookup(value)
                if entry is not None and "module.base" in entry.roles:
                    return True
                if self.may_be_project_class(value):
                    return True
        return False

    # Reporting --------------------------------------------------------------------

    def report(
        self,
        node: cst.CSTNode,
        message: str | None = None,
        *,
        fix: NodeFix | None = None,
        requires: tuple[Requirement, ...] = (),
        end_node: cst.CSTNode | None = None,
    ) -> None:
        """Record a finding of the rule being run at ``node``.

        ``requires`` makes it conditional on facts about project classes, checked
        once the whole project is indexed.
        """
        assert self.current_rule is not None, "report() called outside a rule"
        if self.may_be_unread(getattr(self.current_rule, "absent", None)):
            return
        self.findings.append(
            RawFinding(self.current_rule, node, message or self.current_rule.message, fix,
                       tuple(requires), end_node)
        )

    def may_be_unread(self, words: tuple[str, ...] | None) -> bool:
        """Whether code the parser could not read (``unread``) may hold one of ``words``
        (``""``: anything)."""
        return words is not None and any(word in text for text in self.unread
                                         for word in words)

    def requirement(self, value: Value, fact: str, role: str) -> Requirement | None:
        """A requirement on the project class behind ``value``, or None if there is none."""
        if value.project_class is None:
            return None
        return Requirement(value.project_class, fact, role, str(self.path))

    @staticmethod
    def is_result(value: Value | None) -> bool:
        return value is not None and value.kind is Kind.RESULT


def _nested_classes(ctx: FileContext) -> dict[str, cst.ClassDef]:
    """The classes defined in a function (at any depth of its statements, in no class):
    ``def get_model(): class Net(nn.Module): ...; return Net()``, by a qualified name like
    Python's ``__qualname__`` (``module.get_model.<locals>.Net``), numbered from the second
    on where one name is made twice (a notebook that redefines ``get_model``). Values see
    them only in their function's flow, where their name is bound."""
    found: dict[str, cst.ClassDef] = {}
    index = ctx.index
    for class_def in index.classes:
        if index.enclosing_class(class_def) is not None:
            continue
        functions = [a.name.value for a in index.ancestors(class_def)
                     if type(a) is cst.FunctionDef]
        if not functions:
            continue
        path = ".<locals>.".join(reversed(functions))
        qualname = f"{path}.<locals>.{class_def.name.value}"
        if ctx.module_name:
            qualname = f"{ctx.module_name}.{qualname}"
        number, unique = 1, qualname
        while unique in found:
            number += 1
            unique = f"{qualname}#{number}"
        found[unique] = class_def
    return found


def _names_an_attribute_or_keyword(parent: cst.CSTNode | None, node: cst.Name) -> bool:
    """``node`` is the ``b`` of ``a.b`` or the keyword of ``f(b=...)``: no variable."""
    return (type(parent) is cst.Attribute and parent.attr is node) or (
        type(parent) is cst.Arg and parent.keyword is node)


def _tuple_parts(ctx: FileContext, method: cst.FunctionDef) -> tuple[Value | None, ...]:
    """The values every ``return a, b`` of ``method`` agrees on, part by part."""
    returned = [r.value for r in returns_of(method)]
    if not returned or not all(
            type(v) is cst.Tuple and not any(type(e) is cst.StarredElement
                                                 for e in v.elements)
            for v in returned):
        return ()
    if len({len(v.elements) for v in returned}) != 1:  # type: ignore[union-attr]
        return ()
    flow = ctx.flow(method)
    parts: list[Value | None] = []
    for position in range(len(returned[0].elements)):  # type: ignore[union-attr]
        values = [flow.value_of(v.elements[position].value) for v in returned]  # type: ignore[union-attr]
        first = values[0]
        parts.append(first if first is not None and all(
            first.same_as(v) for v in values[1:]) else None)
    return tuple(parts)


@cache
def _statement_parts() -> tuple[type[cst.CSTNode], ...]:
    """The nodes a return may sit in below a function (libcst is loaded on first use)."""
    return (cst.BaseSuite, cst.BaseStatement, cst.Else, cst.ExceptHandler,
            cst.ExceptStarHandler, cst.Finally, cst.MatchCase)


def returns_of(node: cst.CSTNode) -> list[cst.Return]:
    """The ``return`` statements of a function (not of the functions inside it), found
    in its own tree: a statement's view of the file indexes only that statement."""
    found: list[cst.Return] = []
    for child in (node.body,) if type(node) is cst.FunctionDef else iter_children(node):
        if type(child) is cst.Return:
            found.append(child)
        elif isinstance(child, _statement_parts()) and type(
                child) not in (cst.FunctionDef, cst.ClassDef):
            found.extend(returns_of(child))
    return found


def _self_attributes(class_def: cst.ClassDef, name: str) -> list[cst.Attribute]:
    """Every ``self.<name>`` in the class."""
    found: list[cst.Attribute] = []
    stack: list[cst.CSTNode] = [class_def.body]
    while stack:
        node = stack.pop()
        if type(node) is cst.Attribute and node.attr.value == name and (
                is_self_attribute(node)):
            found.append(node)
        stack.extend(iter_children(node))
    return found


def _empty_list(node: cst.BaseExpression) -> bool:
    """``[]`` or ``list()``, ``nn.ModuleList()`` with no argument."""
    if type(node) is cst.List:
        return not node.elements
    return type(node) is cst.Call and not node.args and (
        dotted_name(node.func) or "").rsplit(".", 1)[-1] in ("list", "ModuleList")


def _alike(values: list[Value | None]) -> Value | None:
    """The first of ``values`` when all are layers built the same way (one class, the same
    keyword arguments, as many positional ones), else None."""
    first = values[0] if values else None
    if first is None or first.kind is not Kind.INSTANCE or type(first.node) is not cst.Call:
        return None
    shape = _call_shape(first.node)
    for value in values[1:]:
        if value is None or not first.same_as(value) or type(value.node) is not cst.Call \
                or _call_shape(value.node) != shape:
            return None
    return first


def _call_shape(call: cst.Call) -> tuple[object, ...]:
    """How many positional arguments, whether starred, and the keyword arguments (their
    values as structures: the same expression whatever its layout)."""
    return (sum(arg.keyword is None for arg in call.args), any(arg.star for arg in call.args),
            tuple(sorted((arg.keyword.value, structure(arg.value)) for arg in call.args
                         if arg.keyword is not None)))
