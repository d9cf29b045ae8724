"""A light, sound-where-it-can-be dataflow: what each name holds at each statement.

Within one function (or the module body), statements are walked in order and every
name is bound to a :class:`Value` describing what produced it: a softmax, an instance
of a loss class, a call of a model, a parameter. Branches merge by keeping only what
all paths agree on, so a fact reported by a rule holds on every path. Anything the
walk cannot follow evaluates to ``None``: rules stay silent on ``None``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import libcst as cst

from lintnn.static import knowledge
from lintnn.static.knowledge import roles as R
from lintnn.static.knowledge.base import Entry
from lintnn.static.syntax.index import NodeIndex
from lintnn.static.syntax.nodes import is_self_attribute, positional, string_value, target_names

# Methods that return their receiver (``model.to(device)``, ``x.float()``).
_PASSTHROUGH_METHODS = frozenset(
    {"to", "cuda", "cpu", "float", "double", "half", "bfloat16", "train", "eval",
     "requires_grad_", "contiguous", "clone", "detach", "type_as"}
)


# Methods of a tensor that only rearrange its elements: what made them still describes them.
_RESHAPING_METHODS = frozenset(
    {"squeeze", "unsqueeze", "view", "reshape", "flatten", "permute", "transpose",
     "contiguous", "view_as", "reshape_as", "t"}
)


# The qualname of a container whose values are all alike (``items[0]`` is one of them).
_SAME_VALUES = "<same values>"


class Kind(enum.Enum):
    REF = "ref"  # a reference to a function or class (not called)
    INSTANCE = "instance"  # an object built by calling a class
    RESULT = "result"  # the result of calling a function or an instance
    PARAM = "param"  # a function parameter


@dataclass(frozen=True)
class Value:
    """What the analysis knows about one value.

    ``roles`` describe the value itself (``makes.softmax`` for a softmax output;
    the class entry's roles for an instance). ``project_class`` names a class that the
    knowledge base does not know (the user's model): facts about it come from the
    project index, as requirements resolved once every file has been read.
    """

    kind: Kind
    qualname: str | None = None
    entry: Entry | None = None
    roles: frozenset[str] = frozenset()
    node: cst.CSTNode | None = None
    items: tuple[Value | None, ...] = ()
    project_class: str | None = None
    # A parameter whose callers pass different values: each of them (all known), and for
    # the result of calling it, each of their outputs. A bug any one of them causes is real.
    candidates: tuple[Value, ...] = ()
    # One part of a project class's tuple output (``validity, label = disc(x)``): the
    # class and the position, resolved on demand (``FileContext.part_value``).
    part: tuple[str, int] | None = None

    def has(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_instance(self) -> bool:
        return self.kind is Kind.INSTANCE

    def same_as(self, other: Value | None) -> bool:
        """Equal up to the producing node (used when branches merge)."""
        return other is not None and (
            self.kind, self.qualname, self.roles, self.project_class, self.items,
            self.candidates, self.part,
        ) == (other.kind, other.qualname, other.roles, other.project_class, other.items,
              other.candidates, other.part)


Env = Mapping[str, Value]


def merge(a: Env, b: Env) -> dict[str, Value]:
    """Keep a binding only when both paths agree on it (see :func:`reconcile`)."""
    out: dict[str, Value] = {}
    for key, value in a.items():
        other = b.get(key)
        if other is value:
            out[key] = value
        elif other is not None:
            agreed = reconcile(value, other)
            if agreed is not None:
                out[key] = agreed
    return out


def _is_main_guard(stmt: cst.If) -> bool:
    """``if __name__ == "__main__":`` with no ``else``."""
    test = stmt.test
    if stmt.orelse is not None or type(test) is not cst.Comparison or len(
            test.comparisons) != 1 or type(test.comparisons[0].operator) is not cst.Equal:
        return False
    sides = (test.left, test.comparisons[0].comparator)
    names = [s.value for s in sides if type(s) is cst.Name]
    texts = [s.evaluated_value for s in sides if type(s) is cst.SimpleString]
    return names == ["__name__"] and texts == ["__main__"]


def _script_merge(before: Env, guarded: Env, elsewhere: set[str]) -> dict[str, Value]:
    """After a main guard: a name the guard alone binds has its value (a function reading
    it runs only once the script has bound it, or fails); the others merge as usual."""
    out = merge(guarded, before)
    for key, value in guarded.items():
        if key not in before and key not in elsewhere:
            out[key] = value
    return out


def reconcile(a: Value, b: Value) -> Value | None:
    """What two paths agree a name holds: the same value; or, where one path reloads a
    checkpoint (``net = torch.load(path)``) and the other builds the model
    (``net = ResNet()``), that model: a script reloads what it saved, the same kind of
    model, and the opaque side cannot contradict it. None when they disagree."""
    if a.same_as(b):
        return a
    for model, other in ((a, b), (b, a)):
        if model.kind is Kind.INSTANCE and other.kind is Kind.RESULT and (
                R.CHECKPOINT in other.roles):
            return model
    return None


class FileFacts(Protocol):
    """What dataflow reads of its file (``context.FileContext`` provides it)."""

    index: NodeIndex
    frameworks: frozenset[str]
    local_classes: dict[str, cst.ClassDef]
    nested_classes: dict[str, cst.ClassDef]

    def class_qualname(self, class_def: cst.ClassDef) -> str: ...

    def qualname_of_class(self, node: cst.BaseExpression) -> str | None: ...

    def module_flow(self) -> Flow: ...

    def may_be_project_class(self, qualname: str) -> bool: ...

    def parameter_value(self, fn: cst.FunctionDef, param: cst.Param) -> Value | None: ...

    def returned_roles(self, call: cst.Call) -> frozenset[str]: ...

    def returned_model(self, call: cst.Call) -> Value | None: ...


class Flow:
    """Environment before every statement of one scope (function or module body)."""

    def __init__(
        self,
        ctx: FileFacts,
        scope: cst.FunctionDef | cst.Module,
        class_attrs: Mapping[str, Value] | None = None,
    ) -> None:
        self.ctx = ctx
        self.scope = scope
        self.class_attrs = class_attrs or {}
        self.before: dict[cst.CSTNode, Env] = {}
        self.local_names: set[str] = set()
        self.self_assignments: list[tuple[str, Value | None]] = []
        env: dict[str, Value] = {}
        if type(scope) is cst.FunctionDef:
            env = self._parameters(scope)
            self.final = self._block(scope.body.body, env)  # type: ignore[arg-type]
        else:
            self.final = self._block(scope.body, env)

    # Parameters -----------------------------------------------------------------

    def _parameters(self, fn: cst.FunctionDef) -> dict[str, Value]:
        env: dict[str, Value] = {}
        params = fn.params
        for param in (*params.posonly_params, *params.params, *params.kwonly_params):
            name = param.name.value
            self.local_names.add(name)
            env[name] = self._parameter(fn, param)
        for star in (params.star_arg, params.star_kwarg):
            if type(star) is cst.Param:
                self.local_names.add(star.name.value)
        return env

    def _parameter(self, fn: cst.FunctionDef, param: cst.Param) -> Value:
        """What ``param`` holds on entry: what the callers pass, else a parameter (of its
        annotated class, if any)."""
        annotated = None
        if param.annotation is not None:
            annotated = self.ctx.qualname_of_class(param.annotation.annotation)
        project = annotated if annotated and not knowledge.lookup(annotated) else None
        # ``model: nn.Module`` says little: what the callers pass says more.
        passed = None if project else self.ctx.parameter_value(fn, param)
        if passed is not None:
            return passed
        return Value(Kind.PARAM, qualname=annotated, node=param, project_class=project)

    # Statements -----------------------------------------------------------------

    def _block(self, body: Sequence[cst.CSTNode], env: dict[str, Value]) -> dict[str, Value]:
        for stmt in body:
            env = self._statement(stmt, env)
        return env

    def _suite(self, suite: cst.BaseSuite, env: dict[str, Value]) -> dict[str, Value]:
        return self._block(suite.body, env)  # type: ignore[arg-type]

    def _statement(self, stmt: cst.CSTNode, env: dict[str, Value]) -> dict[str, Value]:
        self.before[stmt] = env
        if type(stmt) is cst.SimpleStatementLine:
            for small in stmt.body:
                self.before[small] = env
                env = self._small(small, env)
            return env
        if type(stmt) is cst.If:
            then = self._suite(stmt.body, env)
            other = self._orelse(stmt.orelse, env)
            if type(self.scope) is cst.Module and _is_main_guard(stmt):
                return _script_merge(env, then, self._bound_outside(stmt))
            return merge(then, other)
        if type(stmt) in (cst.For, cst.While):
            inner = dict(env)
            if type(stmt) is cst.For:
                inner = self._bind_target(stmt.target, None, inner)
            first = self._suite(stmt.body, inner)
            # Second pass: the body's start also sees what the previous iteration left.
            second_start = merge(inner, first)
            if type(stmt) is cst.For:
                second_start = self._bind_target(stmt.target, None, second_start)
            end = self._suite(stmt.body, second_start)
            after = merge(env, end)
            if stmt.orelse is not None:
                after = merge(after, self._suite(stmt.orelse.body, after))
            return after
        if type(stmt) is cst.With:
            for item in stmt.items:
                if item.asname is not None:
                    env = self._bind_target(item.asname.name, self.eval(item.item, env), env)
            return self._suite(stmt.body, env)
        if type(stmt) is cst.Try:
            body = self._suite(stmt.body, env)
            out = body
            for handler in stmt.handlers:
                start = merge(env, body)
                if handler.name is not None:
                    start = self._bind_target(handler.name.name, None, start)
                out = merge(out, self._suite(handler.body, start))
            if stmt.orelse is not None:
                out = merge(out, self._suite(stmt.orelse.body, body))
            if stmt.finalbody is not None:
                out = self._suite(stmt.finalbody.body, out)
            return out
        if type(stmt) in (cst.FunctionDef, cst.ClassDef):
            self.local_names.add(stmt.name.value)
            out = dict(env)
            out.pop(stmt.name.value, None)
            if type(stmt) is cst.ClassDef and type(self.scope) is cst.Module:
                reference = self._reference(stmt.name)
                if reference is not None:
                    out[stmt.name.value] = reference
            elif type(stmt) is cst.ClassDef:  # ``class Net(nn.Module)`` inside ``get_model``
                qualname = self.ctx.class_qualname(stmt)
                if qualname in self.ctx.nested_classes:
                    out[stmt.name.value] = Value(Kind.REF, qualname=qualname, node=stmt.name)
            return out
        if type(stmt) is cst.Match:
            out: dict[str, Value] | None = None
            for case in stmt.cases:
                branch = self._suite(case.body, env)
                out = branch if out is None else merge(out, branch)
            return merge(env, out) if out is not None else env
        return env

    def _bound_outside(self, guard: cst.If) -> set[str]:
        """Names the file binds outside ``guard``, in any scope (``global`` too): by ``=``,
        a ``for`` target, ``with ... as``, ``def``/``class``, and every imported name."""
        index = self.ctx.index
        names = set(index.imports.aliases)
        for assign in index.assignments:
            if not index.is_inside(assign, guard):
                for target in assign.targets:
                    names.update(target_names(target.target))
        for loop in index.loops:
            if type(loop) is cst.For and not index.is_inside(loop, guard):
                names.update(target_names(loop.target))
        for with_ in index.withs:
            if not index.is_inside(with_, guard):
                names.update(name for item in with_.items if item.asname is not None
                             for name in target_names(item.asname.name))
        for definition in (*index.functions, *index.classes):
            if not index.is_inside(definition, guard):
                names.add(definition.name.value)
        return names

    def _orelse(self, orelse: cst.If | cst.Else | None, env: dict[str, Value]) -> dict[str, Value]:
        if orelse is None:
            return env
        if type(orelse) is cst.If:
            return self._statement(orelse, env)
        return self._suite(orelse.body, env)

    def _small(self, small: cst.BaseSmallStatement, env: dict[str, Value]) -> dict[str, Value]:
        if type(small) is cst.Assign:
            value = self.eval(small.value, env)
            for target in small.targets:
                env = self._bind_target(target.target, value, env, source=small.value)
            return env
        if type(small) is cst.AnnAssign:
            value = self.eval(small.value, env) if small.value is not None else None
            return self._bind_target(small.target, value, env)
        if type(small) is cst.AugAssign:
            return self._bind_target(small.target, None, env)
        if type(small) in (cst.Global, cst.Nonlocal):
            return env
        return env

    def _bind_target(
        self,
        target: cst.BaseExpression,
        value: Value | None,
        env: Mapping[str, Value],
        source: cst.BaseExpression | None = None,
    ) -> dict[str, Value]:
        out = dict(env)
        if type(target) in (cst.Tuple, cst.List):
            values: list[Value | None] = [None] * len(target.elements)
            if type(source) in (cst.Tuple, cst.List) and len(source.elements) == len(
                target.elements
            ):
                values = [self.eval(el.value, env) for el in source.elements]
            elif value is not None and value.kind is Kind.RESULT and not any(
                    type(el) is cst.StarredElement for el in target.elements):
                values = _parts(value, len(target.elements))  # ``out, hidden = self.rnn(x)``
            for element, element_value in zip(target.elements, values, strict=True):
                out = self._bind_target(element.value, element_value, out)
            return out
        if type(target) is cst.StarredElement:
            return self._bind_target(target.value, None, out)
        if type(target) is cst.Name:
            self.local_names.add(target.value)
            key = target.value
        elif is_self_attribute(target):
            key = f"self.{target.attr.value}"  # type: ignore[attr-defined]
            self.self_assignments.append((target.attr.value, value))  # type: ignore[attr-defined]
        else:
            return out
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
        return out

    # Expressions ----------------------------------------------------------------

    def env_at(self, node: cst.CSTNode) -> Env:
        """The environment in force where ``node`` (an expression) is evaluated."""
        stmt = self.ctx.index.statement_of(node)
        while stmt is not None and stmt not in self.before:
            stmt = self.ctx.index.parent(stmt)  # type: ignore[assignment]
        return self.before.get(stmt, {}) if stmt is not None else {}

    def value_of(self, node: cst.BaseExpression) -> Value | None:
        return self.eval(node, self.env_at(node))

    def eval(self, node: cst.BaseExpression | None, env: Env) -> Value | None:
        if node is None:
            return None
        if type(node) is cst.Name:
            return self._name(node.value, env)
        if type(node) is cst.Attribute:
            if is_self_attribute(node):
                key = f"self.{node.attr.value}"
                return env.get(key) or self.class_attrs.get(node.attr.value)
            return self._reference(node)
        if type(node) is cst.Call:
            return self._call(node, env)
        if type(node) is cst.Subscript:
            sliced = self.eval(node.value, env)
            if sliced is not None and sliced.kind is Kind.RESULT and sliced.items:
                return _item(sliced, node)  # ``self.rnn(x)[0]``: one part of a tuple
            if sliced is not None and sliced.kind is Kind.RESULT:
                return replace(sliced, node=node)  # ``probs[:, 1]``: still probabilities
            if sliced is not None and sliced.qualname == _SAME_VALUES and sliced.items:
                return sliced.items[0]  # ``scalers["price"]`` of a dict of scalers
        if type(node) is cst.Dict:
            return self._same_values(node, env)
        return None

    def _same_values(self, node: cst.Dict, env: Env) -> Value | None:
        """``{"a": StandardScaler(), "b": StandardScaler()}``: a container whose every value
        is the same kind of object, so any key gives that object."""
        values = [self.eval(el.value, env) if type(el) is cst.DictElement else None
                  for el in node.elements]
        first = values[0] if values else None
        if first is None or first.kind is not Kind.INSTANCE or any(
                v is None or not first.same_as(v) for v in values[1:]):
            return None
        return Value(Kind.INSTANCE, qualname=_SAME_VALUES, node=node, items=(first,))

    def _name(self, name: str, env: Env) -> Value | None:
        if name in env:
            return env[name]
        if name in self.local_names:
            return None
        if type(self.scope) is cst.FunctionDef:
            module_value = self.ctx.module_flow().final.get(name)
            if module_value is not None:
                return module_value
        return self._reference(cst.Name(name))

    def _reference(self, node: cst.BaseExpression) -> Value | None:
        qualname = self.ctx.qualname_of_class(node)
        if qualname is None:
            return None
        return Value(Kind.REF, qualname=qualname, entry=knowledge.lookup(qualname), node=node)

    def _call(self, call: cst.Call, env: Env) -> Value | None:
        func = call.func
        if type(func) is cst.Attribute and not is_self_attribute(func):
            receiver = self.eval(func.value, env)
            name = func.attr.value
            if receiver is not None and receiver.kind is not Kind.REF and (
                name in _PASSTHROUGH_METHODS
            ):
                return replace(receiver, node=call)
            if receiver is not None and receiver.kind is Kind.RESULT and (
                name in _RESHAPING_METHODS
            ):
                return replace(receiver, node=call)  # probabilities reshaped stay probabilities
            method_entry = knowledge.method(name, self.ctx.frameworks)
            if method_entry is not None and (receiver is None or receiver.kind is not Kind.REF):
                return Value(Kind.RESULT, qualname=name, entry=method_entry,
                             roles=method_entry.roles, node=call)
        callee = self.eval(func, env)
        own = self._own_class(callee)
        if own is not None:  # ``self(x)`` in a method: the class's own forward
            return self.output_of(Value(Kind.INSTANCE, qualname=own, node=call,
                                        project_class=own), call)
        if callee is None:
            if type(func) is not cst.Name:
                return None
            made = self.ctx.returned_roles(call)
            if made:
                return Value(Kind.RESULT, qualname=func.value, roles=made, node=call)
            return self.ctx.returned_model(call)  # ``disc = build_discriminator()``
        if callee.kind is Kind.REF:
            entry = callee.entry
            if entry is None:
                if callee.qualname and self.ctx.may_be_project_class(callee.qualname):
                    return Value(Kind.INSTANCE, qualname=callee.qualname, node=call,
                                 project_class=callee.qualname)
                return None
            if entry.kind == "class":
                return Value(Kind.INSTANCE, qualname=callee.qualname, entry=entry,
                             roles=entry.roles | self._keras_activation_roles(call, entry),
                             node=call, items=self._layers(call, entry, env))
            return Value(Kind.RESULT, qualname=callee.qualname, entry=entry,
                         roles=entry.roles, node=call)
        if callee.kind is Kind.INSTANCE:
            return self.output_of(callee, call)
        if callee.kind is Kind.PARAM and callee.project_class:
            return Value(Kind.RESULT, node=call, project_class=callee.project_class)
        if callee.kind is Kind.PARAM and callee.candidates:
            outputs = [self.output_of(c, call) if c.kind is Kind.INSTANCE else None
                       for c in callee.candidates]
            if all(outputs):
                return Value(Kind.RESULT, node=call, candidates=tuple(outputs))  # type: ignore[arg-type]
        return None

    def output_of(self, instance: Value, call: cst.Call) -> Value | None:
        """The value produced by calling an instance (a layer, a Sequential, a model)."""
        if instance.project_class is not None:
            return Value(Kind.RESULT, node=call, project_class=instance.project_class)
        if R.SEQUENTIAL in instance.roles:
            if not instance.items or instance.items[-1] is None:
                return None
            last = instance.items[-1]
            if last.kind is not Kind.INSTANCE:
                return None
            return self.output_of(last, call)
        parts = _output_parts(instance, call)
        if parts:
            return Value(Kind.RESULT, qualname=instance.qualname, entry=instance.entry,
                         node=call, items=parts)
        made = frozenset(r for r in instance.roles if r.startswith("makes."))
        if made:
            return Value(Kind.RESULT, qualname=instance.qualname, entry=instance.entry,
                         roles=made, node=call)
        return Value(Kind.RESULT, qualname=instance.qualname, entry=instance.entry, node=call)

    def _own_class(self, callee: Value | None) -> str | None:
        """The class whose method this is, when ``callee`` is the method's ``self``: a
        top-level class of the file, the method neither static nor a class method."""
        scope = self.scope
        if callee is None or callee.kind is not Kind.PARAM or type(
                scope) is not cst.FunctionDef or not scope.params.params:
            return None
        if callee.node is not scope.params.params[0] or any(
                type(d.decorator) is cst.Name and d.decorator.value in (
                    "staticmethod", "classmethod") for d in scope.decorators):
            return None
        owner = self.ctx.index.parent(self.ctx.index.parent(scope) or scope)
        if type(owner) is not cst.ClassDef:
            return None
        if self.ctx.local_classes.get(owner.name.value) is owner:
            return self.ctx.qualname_of_class(owner.name)
        qualname = self.ctx.class_qualname(owner)
        return qualname if qualname in self.ctx.nested_classes else None

    def _layers(self, call: cst.Call, entry: Entry, env: Env) -> tuple[Value | None, ...]:
        if R.SEQUENTIAL not in entry.roles:
            return ()
        args = positional(call)
        if len(args) == 1 and type(args[0]) in (cst.List, cst.Tuple):  # keras / flax
            return tuple(self.eval(el.value, env) if type(el) is not cst.StarredElement
                         else None for el in args[0].elements)
        if any(arg.star for arg in call.args):
            return (None,)
        return tuple(self.eval(arg, env) for arg in args)

    @staticmethod
    def _keras_activation_roles(call: cst.Call, entry: Entry) -> frozenset[str]:
        """``Dense(10, activation="softmax")`` and ``Activation("softmax")`` make probabilities."""
        from lintnn.static.knowledge.keras import PROBABILITY_ACTIVATIONS

        if R.KERAS_DENSE in entry.roles:
            from lintnn.static.syntax.nodes import keyword

            name = string_value(keyword(call, "activation"))
        elif R.KERAS_ACTIVATION_LAYER in entry.roles:
            from lintnn.static.syntax.nodes import argument

            name = string_value(argument(call, 0, "activation"))
        else:
            return frozenset()
        role = PROBABILITY_ACTIVATIONS.get(name or "")
        return frozenset({role}) if role else frozenset()


def _item(result: Value, node: cst.Subscript) -> Value | None:
    """``result[i]`` of a result made of parts, for a literal ``i``; else unknown."""
    if len(node.slice) != 1 or type(node.slice[0].slice) is not cst.Index:
        return None
    index = node.slice[0].slice.value
    negative = type(index) is cst.UnaryOperation and type(index.operator) is cst.Minus
    literal = index.expression if negative else index  # type: ignore[attr-defined]
    if type(literal) is not cst.Integer:
        return None
    position = -int(literal.value) if negative else int(literal.value)
    if not -len(result.items) <= position < len(result.items):
        return None
    return result.items[position]


def _part(result: Value, position: int) -> Value | None:
    """Part ``position`` of a project class's output, resolved later (the class's forward
    may read module-level names whose flow is still being built)."""
    if result.project_class is None or result.candidates:
        return None
    return Value(Kind.RESULT, node=result.node,
                 part=(result.project_class, position))  # type: ignore[arg-type]


def _parts(result: Value, count: int) -> list[Value | None]:
    """What each of ``count`` names unpacking ``result`` holds."""
    if result.items:
        return list(result.items) if len(result.items) == count else [None] * count
    return [_part(result, position) for position in range(count)]


def _output_parts(instance: Value, call: cst.Call) -> tuple[Value | None, ...]:
    """What each part of a layer's tuple output is, from its entry's ``outputs`` option
    (an RNN's ``(output, hidden)``: the output an activation's), unless the layer is built
    with the keyword that changes it (``outputs_unless``: an LSTM's ``proj_size``)."""
    entry = instance.entry
    outputs = entry.options.get("outputs") if entry is not None else None
    if not outputs:
        return ()
    unless = entry.options.get("outputs_unless")  # type: ignore[union-attr]
    if type(instance.node) is not cst.Call or any(arg.star for arg in instance.node.args) \
            or (unless and any(arg.keyword is not None and arg.keyword.value == unless
                               for arg in instance.node.args)):
        return ()
    return tuple(
        Value(Kind.RESULT, qualname=instance.qualname, entry=entry, roles=frozenset({role}),
              node=call) if role else None
        for role in outputs)  # type: ignore[union-attr]


def same_values(first: Value) -> Value:
    """A container whose values are all like ``first``: ``layers[i]`` is one of them."""
    return Value(Kind.INSTANCE, qualname=_SAME_VALUES, node=first.node, items=(first,))
