"""NN507: the model variable is rebound to a new model after its optimizer was built."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.loops import SourceOrder, bound_names, mentions, source_order
from lintnn.static.analyses.optimizers import parameters_owner
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import dotted_name


class OptimizerOnStaleModel(Rule):
    """``opt = Adam(model.parameters()); model = Net(); ...train with opt``."""

    code = "NN507"
    name = "optimizer-on-stale-model"
    severity = Severity.ERROR
    message = (
        "the model is replaced by a new one after the optimizer was built on its "
        "parameters: the optimizer keeps updating the old model's parameters and the new "
        "model never trains; build the optimizer after the final model"
    )
    frameworks = ("torch",)
    triggers = ("parameters(",)
    absent = ("",)
    needs = (Needs(roles=(R.OPTIMIZER,)), Needs(calls=("parameters", "named_parameters")))

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            # The syntactic tests first: the dataflow only for ``name = Something(...)``.
            statement = ctx.index.parent(call)
            if type(statement) is not cst.Assign or statement.value is not call:
                continue
            targets = [t.target for t in statement.targets]
            if len(targets) != 1 or type(targets[0]) is not cst.Name:
                continue
            value = ctx.value(call)
            if value is None or value.kind is not Kind.INSTANCE or R.OPTIMIZER not in value.roles:
                continue
            model = parameters_owner(ctx, call)
            if model is not None and "." not in model:  # a model variable of this scope
                self._check_rebinding(ctx, statement, targets[0].value, model)

    def _check_rebinding(self, ctx: FileContext, created: cst.Assign, optimizer: str,
                         model: str) -> None:
        scope = ctx.scope_of(created)
        order = source_order(ctx)
        block = ctx.index.parent(ctx.index.parent(created))  # the block holding the line
        bindings = sorted(bound_names(scope), key=lambda b: order[b[1]])
        for name, where in bindings:
            if order[where] <= order[created] or name != model:
                continue
            if type(where) is not cst.Assign or not ctx.index.is_inside(where, block):
                return
            if not _is_new_model(ctx, where.value, model):
                return
            if any(n == optimizer for n, w in bindings if order[w] > order[created]):
                return  # a new optimizer is built too
            if any(w for n, w in bindings if n == model and order[created] < order[w]
                   and w is not where and order[w] < order[where]):
                return
            if _used_after(ctx, order, scope, where, optimizer):
                ctx.report(where)
            return


def _is_new_model(ctx: FileContext, value: cst.BaseExpression, model: str) -> bool:
    """A freshly constructed model (not a wrapper of the same one: DDP(model), .to())."""
    if type(value) is not cst.Call or mentions(value, model):
        return False
    if ctx.qualname(value.func) == "copy.deepcopy":
        return True
    built = ctx.value(value)
    return built is not None and built.kind is Kind.INSTANCE and (
        built.project_class is not None or R.MODULE_BASE in built.roles
        or R.SEQUENTIAL in built.roles
    )


def _used_after(ctx: FileContext, order: SourceOrder, scope: cst.CSTNode,
                where: cst.CSTNode, optimizer: str) -> bool:
    """The optimizer steps, or is handed on, after the rebinding."""
    for call in ctx.index.within(ctx.index.calls, scope):
        if order[call] <= order[where]:
            continue
        func = call.func
        if type(func) is cst.Attribute and dotted_name(func.value) == optimizer \
                and func.attr.value == "step":
            return True
        if any(type(a.value) is cst.Name and a.value.value == optimizer for a in call.args):
            return True
    return False
