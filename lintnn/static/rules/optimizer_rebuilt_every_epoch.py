"""NN519: a stateful optimizer built again on every epoch over the same model."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.optimizers import parameters_owner
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import (
    dotted_name,
    float_value,
    keyword,
    method_name,
    names_in,
    target_names,
)

# torch optimizers whose update reads state kept between steps (moments, averages,
# per-parameter step sizes); SGD only with momentum.
_STATEFUL_TORCH = frozenset({
    "Adam", "AdamW", "Adamax", "NAdam", "RAdam", "RMSprop", "Adagrad", "Adadelta",
    "SparseAdam", "LBFGS", "ASGD", "Rprop", "Adafactor",
})
# optax transformations without state: ``init`` returns an empty state.
_STATELESS_OPTAX = frozenset({"sgd"})


class OptimizerRebuiltEveryEpoch(Rule):
    """``for epoch in ...: opt = Adam(model.parameters(), lr=lr)`` then a pass of
    ``opt.step()``: each epoch starts from a fresh optimizer and loses its moments."""

    code = "NN519"
    name = "optimizer-rebuilt-every-epoch"
    severity = Severity.WARNING
    message = (
        "the optimizer `{name}` is built again on every epoch over the same model: its "
        "state (momentum, Adam's moment estimates and step count) is thrown away each "
        "epoch, so every epoch restarts with a cold optimizer; build it once before the "
        "epoch loop and change the learning rate through its param_groups or a scheduler"
    )
    frameworks = ("torch", "jax")
    triggers = ("parameters(", ".init(")
    needs = (Needs(roles=(R.OPTIMIZER,)),
             Needs(loop_calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS)))

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            built = _built_optimizer(ctx, call)
            if built is None:
                continue
            statement, name, model = built
            loop = ctx.index.innermost_loop(statement)
            if loop is None or not _runs_every_turn(ctx, statement, loop, name):
                continue
            if _is_epoch_loop(ctx, loop, name) and not _renewed_in(ctx, loop, model, name):
                ctx.report(statement, self.message.format(name=name))


def _built_optimizer(ctx: FileContext, call: cst.Call) -> tuple[cst.Assign, str, str] | None:
    """``name = Adam(model.parameters(), ...)`` or ``name = tx.init(params)``: the
    assignment, the name bound and the model (or parameters) whose state it keeps."""
    statement = ctx.index.parent(call)
    if type(statement) is not cst.Assign or statement.value is not call:
        return None
    if len(statement.targets) != 1 or type(statement.targets[0].target) is not cst.Name:
        return None
    name = statement.targets[0].target.value
    if method_name(call) == "init":
        return _optax_init(ctx, call, statement, name)
    value = ctx.value(call)
    if value is None or value.kind is not Kind.INSTANCE or R.OPTIMIZER not in value.roles:
        return None
    if not _stateful_torch(ctx, call):
        return None
    owner = parameters_owner(ctx, call)
    model = owner.split(".")[0] if owner else None
    return (statement, name, model) if model is not None else None


def _stateful_torch(ctx: FileContext, call: cst.Call) -> bool:
    qualname = ctx.qualname(call.func) or ""
    if not qualname.startswith("torch.optim."):
        return False
    last = qualname.rsplit(".", 1)[-1]
    if last == "SGD":
        momentum = keyword(call, "momentum")
        return momentum is not None and float_value(momentum) not in (None, 0.0)
    return last in _STATEFUL_TORCH


def _optax_init(ctx: FileContext, call: cst.Call, statement: cst.Assign,
                name: str) -> tuple[cst.Assign, str, str] | None:
    """``opt_state = tx.init(params)`` where ``tx`` is a stateful optax transformation."""
    transformation = ctx.value(call.func.value)  # type: ignore[attr-defined]
    if transformation is None or R.OPTIMIZER not in transformation.roles:
        return None
    qualname = transformation.qualname or ""
    if not qualname.startswith("optax.") or qualname.rsplit(".", 1)[-1] in _STATELESS_OPTAX:
        return None
    params = dotted_name(call.args[0].value) if call.args else None
    return (statement, name, params.split(".")[0]) if params else None


def _runs_every_turn(ctx: FileContext, statement: cst.Assign, loop: cst.CSTNode,
                     name: str) -> bool:
    """No condition between the loop and the construction can skip it: every ``if`` on
    the way builds ``name`` in its other arm too (``if pretrained: SGD else: Adam``); a
    lone ``if epoch == 30:`` switches optimizers once, on purpose."""
    child: cst.CSTNode = statement
    for ancestor in ctx.index.ancestors(statement):
        if ancestor is loop:
            return True
        if type(ancestor) is cst.If:
            other = ancestor.orelse if child is ancestor.body else ancestor.body
            if other is None or not _binds(ctx, other, name):
                return False
        elif isinstance(ancestor, cst.ExceptHandler | cst.Finally) or (
                isinstance(ancestor, cst.BaseCompoundStatement)
                and not isinstance(ancestor, cst.With | cst.Try)):
            return False
        child = ancestor
    return False


def _binds(ctx: FileContext, node: cst.CSTNode, name: str) -> bool:
    return any(name in D.target_names(a) for a in D.descendants(ctx, node, cst.Assign))


def _is_epoch_loop(ctx: FileContext, loop: cst.CSTNode, name: str) -> bool:
    """A loop over epochs that steps the optimizer: its target or bound says epoch, or it
    counts (``range``) and holds a pass over batches stepping the optimizer (a loop over
    folds, stages or runs does neither: it holds an epoch loop of its own)."""
    said = _says_epoch(loop)
    if not said and not (type(loop) is cst.For and _counts(loop.iter)):
        return False
    if _steps_in_inner_loop(ctx, loop, name):
        return True
    return said and _handed_on(ctx, loop, name)


def _says_epoch(loop: cst.CSTNode) -> bool:
    if type(loop) is cst.For:
        names = [*target_names(loop.target), *(n.value for n in names_in(loop.iter))]
    elif type(loop) is cst.While:
        names = [n.value for n in names_in(loop.test)]
    else:
        return False
    return any("epoch" in n.lower() for n in names)


def _counts(expr: cst.BaseExpression) -> bool:
    """``range(n)``, ``tqdm(range(n))``, ``trange(n)``."""
    if type(expr) is not cst.Call:
        return False
    func = (dotted_name(expr.func) or "").rsplit(".", 1)[-1]
    if func in ("range", "trange"):
        return True
    return func in ("tqdm", "enumerate") and bool(expr.args) and _counts(expr.args[0].value)


def _steps_in_inner_loop(ctx: FileContext, loop: cst.CSTNode, name: str) -> bool:
    """``name.step()`` (or ``tx.update``/``apply_updates`` reading ``name``) in a loop
    directly inside ``loop``: the optimizer takes a pass of steps per turn of ``loop``
    (a loop of folds or runs holds an epoch loop between them)."""
    for call in ctx.index.within(ctx.index.calls, loop):
        around = ctx.index.enclosing_loops(call)
        if len(around) < 2 or around[1] is not loop:  # a pass directly inside ``loop``
            continue
        func = call.func
        if type(func) is cst.Attribute and dotted_name(func.value) == name \
                and func.attr.value == "step":
            return True
        stepping = method_name(call) in D.STEP_METHODS | D.STEP_FUNCTIONS or (
            dotted_name(call.func) or "").rsplit(".", 1)[-1] in D.STEP_FUNCTIONS
        if stepping and any(name in (n.value for n in names_in(a.value)) for a in call.args):
            return True
    return False


def _handed_on(ctx: FileContext, loop: cst.CSTNode, name: str) -> bool:
    """The optimizer is passed to a call inside the loop (``train(model, opt, loader)``)."""
    return any(any(type(a.value) is cst.Name and a.value.value == name for a in c.args)
               for c in ctx.index.within(ctx.index.calls, loop))


def _renewed_in(ctx: FileContext, loop: cst.CSTNode, model: str, name: str) -> bool:
    """Each turn trains a fresh model (``model`` bound inside the loop, not just moved,
    ``model = model.cuda()``, nor reloaded with the weights it had,
    ``model = Net(); model.load_state_dict(saved)``), or the optimizer's state is restored
    after it is built (``opt.load_state_dict(...)``)."""
    calls = ctx.index.within(ctx.index.calls, loop)
    reloads = [c for c in calls if method_name(c) == "load_state_dict"]
    for call in reloads:
        if dotted_name(call.func.value) == name:  # type: ignore[attr-defined]
            return True
    for assign in D.descendants(ctx, loop, cst.Assign):
        if model in D.target_names(assign) and not D.mentions(assign.value, {model}) \
                and not any(
                dotted_name(c.func.value) == model  # type: ignore[attr-defined]
                and ctx.index.before(assign, c) for c in reloads):
            return True
    return False
