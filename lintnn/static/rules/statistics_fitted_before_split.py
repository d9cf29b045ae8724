"""NN302: a scaler or mean/std fitted on the full data set, which is split afterwards."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import splits as S
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, positional

_MOMENT_METHODS = frozenset({"mean", "std", "var", "min", "max", "nanmean", "nanstd"})


@dataclass(frozen=True)
class Fit:
    """Statistics learned from ``data`` at ``call``; ``derived`` names carry them."""

    call: cst.Call
    data: str
    derived: frozenset[str]


class StatisticsFittedBeforeSplit(Rule):
    """Normalization statistics learned from data that is split into train/test later."""

    code = "NN302"
    name = "statistics-fitted-before-split"
    severity = Severity.ERROR
    message = (
        "statistics fitted on the full data set before it is split: the test/validation "
        "rows leak into the training preprocessing and the evaluation is optimistic; split "
        "first, fit on the training part only, then transform the others"
    )
    frameworks = ("sklearn", "keras", "torch")
    triggers = ("split", "[:")
    needs = (Needs(calls=(*D.FIT_METHODS, "adapt", *_MOMENT_METHODS), callee_roles=(R.MOMENT,)),
             Needs(callee_roles=(R.SPLIT_FUNCTION,), roles=(R.SPLITTER,),
                   assigned=lambda name: D.split_of(name) is not None))

    def check(self, ctx: FileContext) -> None:
        reported: set[cst.CSTNode] = set()  # one finding per statement
        for scope, calls in D.calls_by_scope(ctx).items():
            splits = S.splits_in(ctx, scope, calls)
            if not splits:
                continue
            assigns = D.assignments_in(ctx, scope)
            for fit in _fits(ctx, scope, calls):
                statement = ctx.index.statement_of(fit.call)
                if statement not in reported and S.split_later(
                    ctx, fit.call, {fit.data, *fit.derived}, splits, assigns
                ):
                    reported.add(statement)
                    ctx.report(fit.call)


def _fits(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call]) -> list[Fit]:
    fits: list[Fit] = []
    assigns = D.assignments_in(ctx, scope)
    for call in calls:
        data = D.fitted_data(ctx, call)
        if data is not None:
            name = S.full_data_name(data)
            if name is not None:
                fits.append(Fit(call, name, _transformed(ctx, call, assigns)))
            continue
        moment = _moment_of(ctx, call)
        if moment is not None:
            derived = _normalized(ctx, call, moment, assigns)
            if derived is not None:
                fits.append(Fit(call, moment, derived))
    return fits


def _transformed(ctx: FileContext, call: cst.Call, assigns: list[cst.Assign]) -> frozenset[str]:
    """Names holding data transformed by the fitted estimator (``Xs = scaler.transform(X)``)."""
    out: set[str] = set()
    name = D.assigned_name(ctx, call)
    if name is not None and call.func.attr.value != "fit":  # type: ignore[attr-defined]
        out.add(name)
    receiver = dotted_name(call.func.value)  # type: ignore[attr-defined]
    if receiver is None:
        return frozenset(out)
    for assign in assigns:
        value = assign.value
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "transform"
                and dotted_name(value.func.value) == receiver):
            out |= D.target_names(assign)
    return frozenset(out)


def _moment_of(ctx: FileContext, call: cst.Call) -> str | None:
    """``X.mean(...)`` or ``np.mean(X, ...)`` over full data: the data's name."""
    _, entry = ctx.callee(call)
    if entry is not None and R.MOMENT in entry.roles:
        args = positional(call)
        return S.full_data_name(args[0]) if args else None
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _MOMENT_METHODS:
        if ctx.qualname(func.value) is not None:
            return None  # a module (``np.mean``, ``torch.max``) rather than data
        return S.full_data_name(func.value)
    return None


def _normalized(
    ctx: FileContext, call: cst.Call, data: str, assigns: list[cst.Assign]
) -> frozenset[str] | None:
    """If the statistic is used arithmetically (``(X - mu) / sd``), the names bound to
    ``data`` combined with it; None when it is not used to normalize anything."""
    start = D.order(ctx, call)
    statistic = D.assigned_name(ctx, call)
    used = False
    out: set[str] = set()
    for assign in assigns:
        if statistic is None:
            applied = ctx.index.is_inside(call, assign) and _arithmetic_with(
                assign.value, set(), call)
        else:
            applied = D.order(ctx, assign) > start and _arithmetic_with(
                assign.value, {statistic})
        if applied:
            used = True
            if _arithmetic_with(assign.value, {data}):
                out |= D.target_names(assign)
    return frozenset(out) if used else None


def _arithmetic_with(
    expr: cst.CSTNode, names: set[str], node: cst.CSTNode | None = None
) -> bool:
    """A binary operation (``X - mu``) with one of ``names`` (or ``node``) as an operand."""
    if isinstance(expr, cst.BinaryOperation):
        for side in (expr.left, expr.right):
            if side is node:
                return True
            if isinstance(side, (cst.Name, cst.Attribute)) and dotted_name(side) in names:
                return True
    return any(_arithmetic_with(child, names, node) for child in expr.children)
