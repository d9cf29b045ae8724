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
from lintnn.static.syntax.nodes import argument, dotted_name, positional
from lintnn.static.syntax.project import SPLIT, Requirement

_MOMENT_METHODS = frozenset({"mean", "std", "var", "min", "max", "nanmean", "nanstd",
                             "median", "quantile"})
_RESHAPING = frozenset({"ravel", "reshape", "flatten", "squeeze", "astype", "to_numpy",
                        "copy", "tolist"})
# Methods that fill or bound data with a statistic (``df.fillna(df.mean())``).
_APPLYING_METHODS = frozenset({"fillna", "clip", "where", "replace"})


@dataclass(frozen=True)
class Fit:
    """Statistics learned from ``data`` at ``call``; ``derived`` names carry them."""

    call: cst.Call
    data: str
    derived: frozenset[str]
    source: str  # the code of what was fitted (``X``, ``df["age"]``): one leak per source


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
    needs = (Needs(calls=(*D.FIT_METHODS, "adapt", *_MOMENT_METHODS),
                   callee_roles=(R.MOMENT, R.STANDARDIZES)),
             # A split in the file (``validation_split=`` of Keras' fit is one), or a
             # function whose result a caller in another file may split (a call fact).
             Needs(callee_roles=(R.SPLIT_FUNCTION,), roles=(R.SPLITTER,),
                   names=("validation_split",), functions=lambda name: True,
                   assigned=lambda name: D.split_of(name) is not None))

    def check(self, ctx: FileContext) -> None:
        for scope, calls in D.calls_by_scope(ctx).items():
            splits = S.splits_in(ctx, scope, calls)
            assigns = D.assignments_in(ctx, scope)
            leaked: list[Fit] = []
            for fit in _fits(ctx, scope, calls) if splits or isinstance(
                    scope, cst.FunctionDef) else ():
                if any(_same_leak(fit, earlier) for earlier in leaked):
                    continue  # the mean and the std of one array: one leak, one finding
                carried = {fit.data, *fit.derived}
                if splits and S.split_later(ctx, fit.call, carried, splits, assigns):
                    leaked.append(fit)
                    ctx.report(fit.call)
                elif isinstance(scope, cst.FunctionDef):
                    requirement = _split_by_a_caller(ctx, scope, carried)
                    if requirement is not None:
                        leaked.append(fit)
                        ctx.report(fit.call, requires=(requirement,))


def _split_by_a_caller(ctx: FileContext, fn: cst.FunctionDef,
                       carried: set[str]) -> Requirement | None:
    """The function returns the fitted data and a caller splits that part of its result
    (in this file or another: ``X, y = prepare_data(df)`` then ``train_test_split(X, y)``),
    as a requirement the project's call facts settle."""
    positions = sorted(S.returned_positions(ctx, fn, carried))
    if not positions:
        return None
    function = S.function_qualname(ctx, fn)
    first, *rest = (Requirement(function, SPLIT, str(p), str(ctx.path)) for p in positions)
    return Requirement(first.class_qualname, first.fact, first.role, first.near, tuple(rest))


def _same_leak(fit: Fit, earlier: Fit) -> bool:
    """Two statistics of the same array (``mu = X.mean(0); sd = X.std(0)``)."""
    return fit.source == earlier.source


def _fits(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call]) -> list[Fit]:
    fits: list[Fit] = []
    assigns = D.assignments_in(ctx, scope)
    parts = S.index_parts(ctx, calls)
    for call in calls:
        data = D.fitted_data(ctx, call)
        if data is not None and _one_part(data, parts):
            continue  # scaler.fit(X[train_idx]): fitted on the training rows
        if data is not None:
            name = S.full_data_name(data)
            if name is not None:
                fits.append(Fit(call, name, _carried(ctx, call, _transformed(ctx, call, assigns),
                                                     assigns), _code(ctx, data)))
            continue
        standardized = _standardized_data(ctx, call)
        if standardized is not None:
            name = S.full_data_name(standardized)
            if name is not None:
                fits.append(Fit(call, name, _carried(ctx, call, frozenset(
                    _target_of(ctx, call)), assigns), _code(ctx, standardized)))
            continue
        moment = _moment_of(ctx, call)
        if moment is not None:
            derived = _normalized(ctx, scope, call, moment, assigns)
            if derived is not None:
                fits.append(Fit(call, moment, _carried(ctx, call, derived, assigns),
                                _code(ctx, _moment_data(ctx, call))))
    return fits


def _transformed(ctx: FileContext, call: cst.Call, assigns: list[cst.Assign]) -> frozenset[str]:
    """Names holding data transformed by the fitted estimator (``Xs = scaler.transform(X)``,
    ``df[cols] = scaler.fit_transform(df[cols])``, ``out[:, i] = ...``)."""
    out: set[str] = set()
    if call.func.attr.value != "fit":  # type: ignore[attr-defined]
        out |= _target_of(ctx, call)
    receiver = dotted_name(call.func.value)  # type: ignore[attr-defined]
    if receiver is None:
        return frozenset(out)
    for assign in assigns:
        value = assign.value
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "transform"
                and dotted_name(value.func.value) == receiver):
            out |= _targets(assign)
    return frozenset(out)


def _target_of(ctx: FileContext, node: cst.CSTNode) -> set[str]:
    """Names ``node``'s value is assigned to, the frame of a subscript target included, also
    through reshaping methods (``out[:, i] = scaler.fit_transform(col).ravel()``)."""
    parent = ctx.index.parent(node)
    while isinstance(parent, cst.Attribute) and parent.value is node and (
            parent.attr.value in _RESHAPING):
        call = ctx.index.parent(parent)
        if not isinstance(call, cst.Call):
            break
        node, parent = call, ctx.index.parent(call)
    if isinstance(parent, cst.Assign) and parent.value is node:
        return _targets(parent)
    name = D.assigned_name(ctx, node)
    return {name} if name else set()


def _targets(assign: cst.Assign) -> set[str]:
    """Assigned names; for ``df[cols] = ...`` and ``X[:, i] = ...``, the frame or array."""
    names = set(D.target_names(assign))
    for target in assign.targets:
        if isinstance(target.target, cst.Subscript):
            base = dotted_name(target.target.value)
            if base is not None:
                names.add(base)
    return names


def _carried(ctx: FileContext, call: cst.Call, names: frozenset[str],
             assigns: list[cst.Assign]) -> frozenset[str]:
    """``names`` and every name later computed from them in the scope (``X = df.drop(...)``
    after ``df[cols] = scaler.fit_transform(df[cols])``): the statistics travel with them."""
    carried = set(names)
    start = D.order(ctx, call)
    for assign in assigns:
        if D.order(ctx, assign) <= start or not carried:
            continue
        if D.mentions(assign.value, carried) and not _scalar(assign.value):
            carried |= _targets(assign)
    return frozenset(carried)


def _scalar(expr: cst.BaseExpression) -> bool:
    """``len(X)``, ``X.shape[0]``: a number computed from the data, not the data."""
    if isinstance(expr, cst.Call) and dotted_name(expr.func) in ("len", "int", "float"):
        return True
    return isinstance(expr, (cst.Subscript, cst.Attribute)) and "shape" in (
        dotted_name(expr.value if isinstance(expr, cst.Subscript) else expr) or "")


def _one_part(data: cst.BaseExpression, parts: set[str]) -> bool:
    """``X[tr]`` / ``df.iloc[tr]`` with ``tr`` an index part of a split."""
    if not isinstance(data, cst.Subscript) or not data.slice:
        return False
    first = data.slice[0].slice
    return isinstance(first, cst.Index) and dotted_name(first.value) in parts


def _code(ctx: FileContext, node: cst.CSTNode | None) -> str:
    return ctx.module.code_for_node(node) if node is not None else ""


def _standardized_data(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """``x`` in ``zscore(x)`` or ``scale(x)``: standardized with its own statistics."""
    _, entry = ctx.callee(call)
    if entry is None or R.STANDARDIZES not in entry.roles:
        return None
    args = positional(call)
    return args[0] if args else argument(call, None, "X") or argument(call, None, "a")


def _moment_data(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The array a moment is taken of: ``X`` in ``X.mean(0)`` and ``np.mean(X, 0)``."""
    func = call.func
    if isinstance(func, cst.Attribute) and ctx.qualname(func.value) is None:
        return func.value
    args = positional(call)
    return args[0] if args else None


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
    ctx: FileContext, scope: cst.CSTNode, call: cst.Call, data: str,
    assigns: list[cst.Assign],
) -> frozenset[str] | None:
    """If the statistic is applied to data (``(X - mu) / sd``, ``X -= X.mean()``,
    ``df.fillna(df.mean())``, ``normalize(X, X.min(0), X.max(0))``), the names that then
    hold ``data`` so transformed; None when it is not applied to anything."""
    applied_to = _applied_inline(ctx, call, data)
    if applied_to is not None:
        return applied_to
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
            if _arithmetic_with(assign.value, {data}) or D.mentions(assign.value, {data}):
                out |= _targets(assign)
    for aug in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if D.order(ctx, aug) < start and not ctx.index.is_inside(call, aug):
            continue
        target = dotted_name(aug.target)
        operand = aug.value
        if target == data and (ctx.index.is_inside(call, aug) or (
                statistic is not None and D.mentions(operand, {statistic}))):
            used = True
            out.add(data)
    return frozenset(out) if used else None


def _applied_inline(ctx: FileContext, call: cst.Call, data: str) -> frozenset[str] | None:
    """The statistic is an argument of a call that also takes the data
    (``df.fillna(df.mean())``, ``scale(X, X.mean(0), X.std(0))``): that call's result."""
    arg = ctx.index.parent(call)
    user = ctx.index.parent(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(user, cst.Call):
        return None
    func = user.func
    receiver = func.value if isinstance(func, cst.Attribute) else None
    takes_data = (
        (receiver is not None and func.attr.value in _APPLYING_METHODS  # type: ignore[union-attr]
         and S.full_data_name(receiver) == data)
        or any(S.full_data_name(a) == data for a in positional(user) if a is not call.func)
    )
    if not takes_data:
        return None
    names = _target_of(ctx, user)
    inplace = any(a.keyword is not None and a.keyword.value == "inplace" for a in user.args)
    return frozenset(names | ({data} if inplace else set()))


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
