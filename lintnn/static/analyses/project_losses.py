"""Losses whose two halves live in different files of the project.

``disc.get_loss(disc(x))`` where ``Discriminator.get_loss`` passes its argument as it is
to ``F.binary_cross_entropy_with_logits`` and ``Discriminator.forward`` ends in a sigmoid:
both facts live in the class's file; the caller learns them from the project index
(:data:`~lintnn.static.syntax.project.FEEDS_LOSS`, from the class summaries).

``self.criterion(probs, y)`` where ``criterion`` is a constructor parameter and a caller in
another file builds ``Trainer(model, nn.CrossEntropyLoss())``: the caller states what it
passes (:func:`passed_losses`, call facts), the loss's file asks
(:data:`~lintnn.static.syntax.project.PASSES`).
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lintnn.static.analyses.functions import object_facts
from lintnn.static.analyses.losses import LOSS_ROLES, Producer, instance_expects, producers
from lintnn.static.analyses.splits import function_qualname, project_function
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import dotted_name
from lintnn.static.syntax.project import (
    FEEDS_LOSS,
    PASSES,
    CallFact,
    Requirement,
    loss_input,
    passed_role,
)

# The words a method that computes a loss is named by (``get_loss``, ``compute_loss``,
# ``criterion``): only such calls are followed, so a rule's gate can name them.
LOSS_METHOD_WORDS = ("loss", "Loss", "criterion")


def names_a_loss_method(name: str) -> bool:
    """``get_loss``, ``lossFn``, ``criterion``: a name :func:`project_loss_feeds` follows."""
    return any(word in name for word in LOSS_METHOD_WORDS)


@dataclass(frozen=True)
class ProjectLossFeed:
    """``call`` passes ``argument``, which ``producer`` made, to a project method that
    feeds it to a loss; ``requires`` holds when the method does, for the loss kinds asked."""

    call: cst.Call
    argument: cst.BaseExpression
    producer: Producer
    method: str  # ``Discriminator.get_loss``, for messages
    requires: tuple[Requirement, ...]


def project_loss_feeds(ctx: FileContext, expects: frozenset[str],
                       roles: frozenset[str]) -> list[ProjectLossFeed]:
    """Calls of a loss method of a project class (``model.get_loss(pred, y)``) passing a
    value one of ``roles`` made, where the method may feed it to a loss expecting one of
    ``expects``: each finding is conditional on the class's summary."""
    found: list[ProjectLossFeed] = []
    for call in ctx.index.calls:
        func = call.func
        if not (type(func) is cst.Attribute and names_a_loss_method(func.attr.value)):
            continue
        receiver = ctx.value(func.value)
        if receiver is None or receiver.kind is not Kind.INSTANCE or not receiver.project_class:
            continue
        cls = receiver.project_class
        method = func.attr.value
        for key, arg in _arguments(call):
            feeds = [Requirement(cls, FEEDS_LOSS, loss_input(method, key, e), str(ctx.path))
                     for e in sorted(expects)]
            feed = Requirement(feeds[0].class_qualname, FEEDS_LOSS, feeds[0].role,
                               feeds[0].near, tuple(feeds[1:]))
            for producer in producers(ctx, ctx.value(arg), roles):
                extra = (producer.requirement,) if producer.requirement is not None else ()
                found.append(ProjectLossFeed(call, arg, producer,
                                             f"{cls.rsplit('.', 1)[-1]}.{method}",
                                             (feed, *extra)))
    return found


def _arguments(call: cst.Call) -> list[tuple[int | str, cst.BaseExpression]]:
    """The call's arguments by position or keyword; none after a ``*args``."""
    out: list[tuple[int | str, cst.BaseExpression]] = []
    for position, arg in enumerate(call.args):
        if arg.star:
            break
        if arg.keyword is not None:
            out.append((arg.keyword.value, arg.value))
        else:
            out.append((position, arg.value))
    return out


# A loss object passed in by the callers ------------------------------------------------


def passed_losses(ctx: FileContext) -> list[CallFact]:
    """What this file passes to project functions and classes that is a loss object
    (``Trainer(model, nn.CrossEntropyLoss())``): one PASSES fact per argument."""
    if not builds_a_loss(ctx):
        return []  # most files build no loss object: no dataflow
    return losses_passed(ctx)


def builds_a_loss(ctx: FileContext) -> bool:
    """The file constructs a loss object somewhere (else it passes none)."""
    return any(_constructs_a_loss(ctx, call) for call in ctx.index.calls)


def losses_passed(ctx: FileContext) -> list[CallFact]:
    """:func:`passed_losses` of the calls of ``ctx``'s node lists (a statement's view:
    each call's facts are its own), without asking whether the file builds a loss."""
    facts: list[CallFact] = []
    for call in ctx.index.calls:
        arguments = [(k, a) for k, a in _arguments(call)
                     if type(a) in (cst.Name, cst.Attribute, cst.Call)]
        if not arguments:
            continue
        function = project_callee(ctx, call)
        if function is None:
            continue
        for key, arg in arguments:
            value = ctx.value(arg)
            facts += [CallFact(function, PASSES, detail=passed_role(key, _OBJECT, fact))
                      for fact in sorted(object_facts(value))]
            expects = instance_expects(value)
            if expects is None:
                continue
            prediction = value.entry.prediction  # type: ignore[union-attr]
            detail = str(prediction.position) if prediction is not None else ""
            facts.append(CallFact(function, PASSES, detail=passed_role(key, expects, detail)))
    return facts


# The role of a PASSES fact about the object passed (its detail: an ``object_facts`` fact).
_OBJECT = "object"


def _constructs_a_loss(ctx: FileContext, call: cst.Call) -> bool:
    _, entry = ctx.callee(call)
    return entry is not None and entry.kind == "class" and bool(
        entry.roles & (LOSS_ROLES | {R.LOSS_REGRESSION}))


def project_callee(ctx: FileContext, call: cst.Call) -> str | None:
    """The qualified name of the project class or function ``call`` calls: a class
    (``Trainer(...)``), a method of a project object (``trainer.fit(...)``: the class's
    name and the method's), or a function (:func:`~.splits.project_function`)."""
    cls = ctx.qualname_of_class(call.func)
    if cls is not None and ctx.may_be_project_class(cls):
        return cls
    func = call.func
    if type(func) is cst.Attribute:
        receiver = ctx.value(func.value)
        if receiver is not None and receiver.kind is Kind.INSTANCE and receiver.project_class:
            return f"{receiver.project_class}.{func.attr.value}"
    return project_function(ctx, call)


@dataclass(frozen=True)
class PassedLoss:
    """``call`` calls a parameter of ``function`` (``self.criterion(out, y)`` with
    ``criterion`` a constructor parameter): a loss if a caller passes one."""

    call: cst.Call
    function: str  # how callers name it: ``train.Trainer`` for its ``__init__``
    keys: tuple[int | str, ...]  # the parameter's position (``self`` left out), its name
    name: str  # the parameter, for messages


def passed_loss_calls(ctx: FileContext) -> list[PassedLoss]:
    """Calls of a value that is, as the function received it, one of its parameters."""
    return [found for call in ctx.index.calls if (found := passed_loss_call(ctx, call))]


def passed_loss_call(ctx: FileContext, call: cst.Call) -> PassedLoss | None:
    """``call`` calls one of its function's parameters as the function received it."""
    if type(call.func) not in (cst.Name, cst.Attribute):
        return None
    value = ctx.value(call.func)
    if value is None or value.kind is not Kind.PARAM or value.candidates or (
            type(value.node) is not cst.Param):
        return None
    fn = ctx.index.enclosing_function(value.node)
    keys = _parameter_keys(ctx, fn, value.node) if fn is not None else ()
    if not keys:
        return None
    return PassedLoss(call, _callers_name(ctx, fn), keys,  # type: ignore[arg-type]
                      value.node.name.value)


def passed_object_requirement(loss: PassedLoss, fact: str, near: str) -> Requirement:
    """Some caller passes, for the parameter ``loss`` calls, an object with ``fact``
    (:func:`~lintnn.static.analyses.functions.object_facts`)."""
    first, *rest = [Requirement(loss.function, PASSES, passed_role(key, _OBJECT, fact), near)
                    for key in loss.keys]
    return Requirement(first.class_qualname, PASSES, first.role, near, tuple(rest))


def passed_loss_requirement(loss: PassedLoss, position: int, expects: frozenset[str],
                            near: str) -> Requirement:
    """Some caller passes a loss expecting one of ``expects`` that reads its prediction
    from argument ``position``."""
    first, *rest = [Requirement(loss.function, PASSES, passed_role(key, e, str(position)), near)
                    for key in loss.keys for e in sorted(expects)]
    return Requirement(first.class_qualname, PASSES, first.role, near, tuple(rest))


def _parameter_keys(ctx: FileContext, fn: cst.FunctionDef,
                    param: cst.Param) -> tuple[int | str, ...]:
    params = fn.params
    if param in params.kwonly_params:
        return (param.name.value,)
    positional = [*params.posonly_params, *params.params]
    if param not in positional:
        return ()
    if ctx.index.enclosing_class(fn) is not None and not any(
            dotted_name(d.decorator) == "staticmethod" for d in fn.decorators):
        positional = positional[1:]
        if param not in positional:
            return ()  # ``self``
    return (positional.index(param), param.name.value)


def _callers_name(ctx: FileContext, fn: cst.FunctionDef) -> str:
    """``module.Class`` for a constructor (callers call the class), else the function's
    qualified name (``module.Class.method``, ``module.function``)."""
    owner = ctx.index.enclosing_class(fn)
    if owner is not None and fn.name.value == "__init__":
        return ctx.class_qualname(owner)
    return function_qualname(ctx, fn)
