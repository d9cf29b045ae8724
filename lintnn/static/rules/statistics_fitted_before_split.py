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
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import argument, dotted_name, positional
from lintnn.static.syntax.project import FITS_STATISTICS, Requirement

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
    # The fitted data itself carries the statistics: transformed in place, or the fitted
    # estimator may still be applied to its parts. Not so for ``Xs = sc.fit_transform(X)``
    # with ``sc`` never used again: splitting the raw ``X`` then leaks nothing.
    carries_data: bool = True
    estimator: str = ""  # the fitted estimator's code: two estimators are two leaks
    # A project class's ``fit`` (``Preprocessor().fit_transform(df)``): it must learn
    # statistics (its summary says so).
    requires: tuple[Requirement, ...] = ()


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
            fits = _fits(ctx, scope, calls) if splits or isinstance(
                scope, cst.FunctionDef) else []
            for fit in fits:
                if any(_same_leak(ctx, fit, earlier, assigns) for earlier in leaked):
                    continue  # the mean and the std of one array: one leak, one finding
                if any(_superseded(ctx, fit, later) for later in fits):
                    continue  # ``X = A().fit(d).transform(d)`` then ``X = B().fit(d)...``
                carried = {fit.data, *fit.derived} if fit.carries_data else set(fit.derived)
                if D.split_of(fit.data) == D.TRAIN:
                    if not _is_statistic(fit.call) and _training_part_split(
                            ctx, scope, fit, calls, assigns):
                        leaked.append(fit)
                        ctx.report(fit.call, requires=fit.requires)
                elif splits and S.split_later(ctx, fit.call, carried, splits, assigns):
                    leaked.append(fit)
                    ctx.report(fit.call, requires=fit.requires)
                elif isinstance(scope, cst.FunctionDef):
                    requirement = S.split_by_a_caller(ctx, scope, carried)
                    if requirement is not None:
                        leaked.append(fit)
                        ctx.report(fit.call, requires=(*fit.requires, requirement))


# A mean or a spread taken by hand: on a training part split again, that is NN309's finding.
_STATISTICS = frozenset({"mean", "std", "var", "nanmean", "nanstd", "nanvar"})


def _is_statistic(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else (
        func.value if isinstance(func, cst.Name) else None)
    return name in _STATISTICS


def _training_part_split(ctx: FileContext, scope: cst.CSTNode, fit: Fit,
                         calls: list[cst.Call], assigns: list[cst.Assign]) -> bool:
    """Statistics of the training part (``scaler.fit(train)``), and then that part itself
    is split by a split call into training and validation rows
    (``train, valid = train_test_split(train)``): the validation rows shaped them too.
    Only the training names count (``X_val = scaler.transform(X_val)`` is not carried)."""
    carried = {n for n in (fit.data, *fit.derived) if D.split_of(n) != D.EVAL}
    splits = S.splits_in(ctx, scope, calls, slices=False)
    return S.split_later(ctx, fit.call, carried, splits, assigns)


def _superseded(ctx: FileContext, fit: Fit, later: Fit) -> bool:
    """A later statement fits the same data again and rebinds the names this fit's result
    was assigned to (without reading them): only the later fit reaches what follows."""
    first, second = ctx.index.statement_of(fit.call), ctx.index.statement_of(later.call)
    if (fit.source != later.source or first is second or not isinstance(first, cst.Assign)
            or not isinstance(second, cst.Assign) or not ctx.index.before(first, second)
            or _exclusive(ctx, fit.call, later.call)):
        return False
    rebound = D.target_names(first) & D.target_names(second)
    return bool(rebound) and not D.mentions(second.value, rebound)


def _same_leak(ctx: FileContext, fit: Fit, earlier: Fit, assigns: list[cst.Assign]) -> bool:
    """Two statistics of the same array (``mu = X.mean(0); sd = X.std(0)``), unless the
    data was bound to fresh data in between (``df = pd.read_csv(...)`` again, as in a
    notebook that reloads its table in a later cell): then it is another leak."""
    if fit.source != earlier.source or (
            fit.estimator and earlier.estimator and fit.estimator != earlier.estimator
            and not _exclusive(ctx, earlier.call, fit.call)):
        return False  # two scalers fitted on the same data, one after the other: two leaks
    start, end = D.order(ctx, earlier.call), D.order(ctx, fit.call)
    return not any(
        start < D.order(ctx, a) < end and fit.data in D.target_names(a)
        and not D.mentions(a.value, {fit.data})
        for a in assigns
    )


def _exclusive(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """``first`` and ``second`` sit in different branches of one ``if`` (``if minmax:
    MinMaxScaler().fit(X) else: StandardScaler().fit(X)``): one runs, not both."""
    for node in ctx.index.ancestors(second):
        if isinstance(node, cst.If) and node.orelse is not None and (
                ctx.index.is_inside(first, node)):
            return ctx.index.is_inside(first, node.body) != ctx.index.is_inside(
                second, node.body)
    return False


def _fits(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call]) -> list[Fit]:
    fits: list[Fit] = []
    assigns = D.assignments_in(ctx, scope)
    parts = S.index_parts(ctx, calls)
    for call in calls:
        data, requires = D.fitted_data(ctx, call), ()
        if data is None and (project := _project_fit(ctx, call)) is not None:
            data, requires = project
        if data is not None and _one_part(data, parts):
            continue  # scaler.fit(X[train_idx]): fitted on the training rows
        if data is not None:
            name = S.fitted_data_name(data, training=True)
            if name is None and S.combines_rows(data) and _target_of(ctx, call):
                name = _code(ctx, data)  # the parts stacked: only what it became carries
            if name is not None:
                derived = S.carried(ctx, call, _transformed(ctx, call, assigns), assigns)
                receiver = call.func.value  # type: ignore[attr-defined]
                fits.append(Fit(call, name, derived, _code(ctx, data),
                                _data_carries(ctx, scope, call, name, derived),
                                _code(ctx, receiver), requires))
            continue
        standardized = _standardized_data(ctx, call)
        if standardized is not None:
            name = S.fitted_data_name(standardized, training=True)
            if name is not None:
                derived = S.carried(ctx, call, frozenset(_target_of(ctx, call)), assigns)
                fits.append(Fit(call, name, derived, _code(ctx, standardized), name in derived))
            continue
        moment = _moment_of(ctx, call)
        if moment is not None:
            derived = _normalized(ctx, scope, call, moment, assigns)
            if derived is not None:
                fits.append(Fit(call, moment, S.carried(ctx, call, derived, assigns),
                                _code(ctx, _moment_data(ctx, call))))
    return fits


def _project_fit(ctx: FileContext,
                 call: cst.Call) -> tuple[cst.BaseExpression, tuple[Requirement, ...]] | None:
    """``pre.fit_transform(df)`` of an instance of a project class, given the data alone
    (with a target it trains a model): the data, if the class's method learns statistics."""
    func = call.func
    if not isinstance(func, cst.Attribute) or func.attr.value not in D.FIT_METHODS:
        return None
    args = positional(call)
    if len(args) != 1 or len(call.args) != 1:
        return None
    receiver = ctx.value(func.value)
    if receiver is None or receiver.kind is not Kind.INSTANCE:
        return None
    requirement = ctx.requirement(receiver, FITS_STATISTICS, func.attr.value)
    return (args[0], (requirement,)) if requirement is not None else None


def _data_carries(ctx: FileContext, scope: cst.CSTNode, fit: cst.Call, data: str,
                  derived: frozenset[str]) -> bool:
    """Whether the fitted data itself carries the statistics afterwards: always, except
    for ``Xs = scaler.fit_transform(X)`` into other names, with ``scaler`` not used again."""
    if fit.func.attr.value != "fit_transform" or data in derived:  # type: ignore[attr-defined]
        return True
    return not _target_of(ctx, fit) or _estimator_reused(ctx, scope, fit)


def _estimator_reused(ctx: FileContext, scope: cst.CSTNode, fit: cst.Call) -> bool:
    """The estimator fitted at ``fit`` may be applied after it: a name read later in the
    scope, or one the scope does not bind (a global, ``self.scaler``). Not an estimator
    built in the call (``StandardScaler().fit_transform(X)``)."""
    receiver = fit.func.value  # type: ignore[attr-defined]
    if isinstance(receiver, cst.Call):
        return False
    if not isinstance(receiver, cst.Name) or ctx.last_assignment(receiver.value, fit) is None:
        return True
    start = D.order(ctx, ctx.index.statement_of(fit))
    return any(D.order(ctx, read) > start and not ctx.index.is_inside(read, fit)
               for read in D.reads_of(ctx, receiver.value, scope))


def _transformed(ctx: FileContext, call: cst.Call, assigns: list[cst.Assign]) -> frozenset[str]:
    """Names holding data transformed by the fitted estimator (``Xs = scaler.transform(X)``,
    ``df[cols] = scaler.fit_transform(df[cols])``, ``out[:, i] = ...``)."""
    out: set[str] = set()
    if call.func.attr.value != "fit":  # type: ignore[attr-defined]
        out |= _target_of(ctx, call)
    elif (chained := _chained_transform(ctx, call)) is not None:
        out |= _target_of(ctx, chained)  # ``X = StandardScaler().fit(data).transform(data)``
    receiver = dotted_name(call.func.value)  # type: ignore[attr-defined]
    if receiver is None:
        return frozenset(out)
    for assign in assigns:
        value = assign.value
        if (isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute)
                and value.func.attr.value == "transform"
                and dotted_name(value.func.value) == receiver):
            out |= S.assigned_names(assign)
    return frozenset(out)


def _chained_transform(ctx: FileContext, fit: cst.Call) -> cst.Call | None:
    """``<fit>.transform(...)``: the transform chained on a ``fit`` call's result (the
    fitted estimator)."""
    attribute = ctx.index.parent(fit)
    call = ctx.index.parent(attribute) if isinstance(attribute, cst.Attribute) else None
    if (isinstance(call, cst.Call) and call.func is attribute
            and attribute.attr.value == "transform"):  # type: ignore[union-attr]
        return call
    return None


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
        return S.assigned_names(parent)
    name = D.assigned_name(ctx, node)
    return {name} if name else set()


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
        return S.full_data_name(args[0], training=True) if args else None
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _MOMENT_METHODS:
        if ctx.qualname(func.value) is not None:
            return None  # a module (``np.mean``, ``torch.max``) rather than data
        return S.full_data_name(func.value, training=True)
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
                out |= S.assigned_names(assign)
    for aug in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if D.order(ctx, aug) < start and not ctx.index.is_inside(call, aug):
            continue
        target = S.full_data_name(aug.target, training=True)  # ``df["age"] /= ...``: df
        operand = aug.value
        if target == data and (ctx.index.is_inside(call, aug) or (
                statistic is not None and D.mentions(operand, {statistic}))):
            used = True
            out.add(data)
    return frozenset(out) if used else None


def _applied_inline(ctx: FileContext, call: cst.Call, data: str) -> frozenset[str] | None:
    """The statistic is an argument of a call that also takes the data
    (``df.fillna(df.mean())``, ``scale(X, X.mean(0), X.std(0))``): that call's result.
    Not for a part named training data (``train.fillna(train.mean())``): filling it with
    its own mean is not taken as a leak into a later split of it."""
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
