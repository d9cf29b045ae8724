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
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import argument, dotted_name, positional
from lintnn.static.syntax.project import FITS_STATISTICS, Requirement

_MOMENT_METHODS = frozenset({"mean", "std", "var", "min", "max", "nanmean", "nanstd",
                             "median", "quantile"})
_RESHAPING = frozenset({"ravel", "reshape", "flatten", "squeeze", "astype", "to_numpy",
                        "copy", "tolist"})
# Calls that hold their first argument's rows unchanged, in another container.
_WRAPPERS = frozenset({"pandas.DataFrame", "pandas.Series", "numpy.array", "numpy.asarray",
                       "torch.tensor", "torch.as_tensor", "torch.from_numpy", "torch.Tensor",
                       "torch.FloatTensor", "tensorflow.convert_to_tensor"})
_MOMENT = "moment"  # the step of a statistic taken by hand (``X.mean(0)``)
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
    column: str | None = None  # ``"age"`` of ``df["age"]``: one column of the table ``data``
    step: str = ""  # what learns the statistics (the function or estimator class)


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
                   assigned=lambda name: D.split_of(name) is not None,
                   # ``if train: d = X[:n] else: d = X[n:]``: slices chosen by a split flag.
                   words=lambda word: D.split_of(word) is not None))

    def check(self, ctx: FileContext) -> None:
        for scope, calls in D.calls_by_scope(ctx).items():
            # A function's fits first: the splits of a scope that fits nothing are not read.
            in_function = type(scope) is cst.FunctionDef
            fits = _fits(ctx, scope, calls) if in_function else []
            splits = S.splits_in(ctx, scope, calls) if fits or not in_function else []
            if not in_function and splits:
                fits = _fits(ctx, scope, calls)
            if not fits:
                continue
            assigns = D.assignments_in(ctx, scope)
            leaked: list[Fit] = []
            found: list[tuple[Fit, tuple[Requirement, ...]]] = []
            columns: dict[Fit, list[str]] = {}
            for fit in fits:
                if any(_same_leak(ctx, fit, earlier, assigns) for earlier in leaked):
                    continue  # the mean and the std of one array: one leak, one finding
                if any(_superseded(ctx, fit, later) for later in fits):
                    continue  # ``X = A().fit(d).transform(d)`` then ``X = B().fit(d)...``
                requires = _leak(ctx, scope, fit, calls, splits, assigns)
                if requires is None:
                    continue
                first = next((e for e in leaked if _same_step(ctx, fit, e, assigns)), None)
                if first is not None:  # another column of the table, the same step
                    columns[first].append(fit.column)  # type: ignore[arg-type]
                    continue
                leaked.append(fit)
                found.append((fit, requires))
                columns[fit] = [fit.column] if fit.column is not None else []
            for fit, requires in found:
                if _undone_by_refit(ctx, scope, fit, columns[fit], calls, assigns):
                    continue
                ctx.report(fit.call, _message(self.message, fit, columns[fit]),
                           requires=requires)


def _leak(ctx: FileContext, scope: cst.CSTNode, fit: Fit, calls: list[cst.Call],
          splits: list[S.Split], assigns: list[cst.Assign]) -> tuple[Requirement, ...] | None:
    """The requirements under which ``fit`` leaks into a later split; None if it does not."""
    carried = {fit.data, *fit.derived} if fit.carries_data else set(fit.derived)
    if D.split_of(fit.data) == D.TRAIN:
        if not _is_statistic(fit.call) and _training_part_split(
                ctx, scope, fit, calls, assigns):
            return fit.requires
        return None
    if splits and S.split_later(ctx, fit.call, carried, splits, assigns):
        return fit.requires
    if type(scope) is cst.FunctionDef and not _given_parts(ctx, scope, fit):
        requirement = S.split_by_a_caller(ctx, scope, carried)
        if requirement is not None:
            return (*fit.requires, requirement)
    return None


def _given_parts(ctx: FileContext, fn: cst.FunctionDef, fit: Fit) -> bool:
    """``fn`` fits on what it is given (``def data_gen(data): ...; scaler.fit(X)`` with ``X``
    made from ``data``), and every call of it in the file gives it one part of a split
    (``data_gen(train_rows)``, ``data_gen(test_rows)``), by name or by what that name was
    bound from: the fit is on that part, not on the whole data. (A call on evaluation data
    is NN303's finding.)"""
    params = [p for p, call in S.fitted_parameters(ctx, fn).items() if call is fit.call]
    callers = ctx.call_graph.callers(fn)
    if not params or not callers:
        return False
    by_name = {p.name.value: p for p in (*fn.params.posonly_params, *fn.params.params,
                                         *fn.params.kwonly_params)}
    return any(all(
        S.split_of_data(ctx, ctx.call_graph.argument_for(fn, by_name[name], call), call)
        is not None for call in callers) for name in params)


def _message(message: str, fit: Fit, columns: list[str]) -> str:
    """The rule's message, naming the columns when one step standardized several."""
    if len(columns) < 2:
        return message
    named = ", ".join(repr(c) for c in columns)
    return f"{message} (columns {named} of {fit.data}, standardized by the same step: one leak)"


def _same_step(ctx: FileContext, fit: Fit, earlier: Fit, assigns: list[cst.Assign]) -> bool:
    """``fit`` standardizes another column of the table ``earlier`` standardized, by the
    same step (``df["a"] = zscore(df["a"])``, then ``df["b"] = zscore(df["b"])``), with the
    table not bound to fresh data in between: one leak before the same split."""
    if (fit.column is None or earlier.column is None or fit.data != earlier.data
            or not fit.step or fit.step != earlier.step):
        return False
    start, end = D.order(ctx, earlier.call), D.order(ctx, fit.call)
    return not any(
        start < D.order(ctx, a) < end and fit.data in D.target_names(a)
        and not D.mentions(a.value, {fit.data})
        for a in assigns
    )


# Per-column affine standardizations (``x -> (x - a) / b``, ``b > 0``, per column) ...
_AFFINE_STEPS = frozenset({
    "sklearn.preprocessing.StandardScaler", "sklearn.preprocessing.MinMaxScaler",
    "sklearn.preprocessing.RobustScaler", "sklearn.preprocessing.MaxAbsScaler",
    "sklearn.preprocessing.scale", "sklearn.preprocessing.minmax_scale",
    "sklearn.preprocessing.robust_scale", "sklearn.preprocessing.maxabs_scale",
    "scipy.stats.zscore",
})
# ... and the scalers whose result no such transformation of their input changes (a mean
# and a standard deviation, a minimum and a range, a median and a quantile range).
_AFFINE_INVARIANT = frozenset({"sklearn.preprocessing.StandardScaler",
                               "sklearn.preprocessing.MinMaxScaler",
                               "sklearn.preprocessing.RobustScaler"})
# Keywords that switch the centring or the scaling off (the result then depends on them).
_PARTIAL_SCALING = frozenset({"with_mean", "with_std", "with_centering", "with_scaling",
                              "clip", "unit_variance"})


def _undone_by_refit(ctx: FileContext, scope: cst.CSTNode, fit: Fit, columns: list[str],
                     calls: list[cst.Call], assigns: list[cst.Assign]) -> bool:
    """Columns of a table z-scored (min-max scaled...) on every row, then split, and every
    training part of the split that holds them standardized again by a scaler fitted on
    it alone (``StandardScaler().fit_transform(x_train)`` per fold): the second scaling
    gives exactly what it would have given without the first, so nothing leaks."""
    if not columns or fit.step not in _AFFINE_STEPS or D.split_of(fit.data) is not None:
        return False
    if _rewritten(ctx, fit, columns, assigns):
        return False
    start = D.order(ctx, fit.call)
    carried = {fit.data, *fit.derived}
    parts = S.index_parts(ctx, calls)
    split = {name for at, names in S.splits_in(ctx, scope, calls) if at > start
             for name in names & carried}
    split = {name for name in split if not _other_columns(ctx, name, fit.data, columns, fit)}
    refit = {name for name in split for other in calls
             if D.order(ctx, other) > start and _refits_part(ctx, other, name, parts)}
    return bool(split) and split == refit


def _rewritten(ctx: FileContext, fit: Fit, columns: list[str],
               assigns: list[cst.Assign]) -> bool:
    """A standardized column written again after the step (``df["a"] = df["a"].clip(-3,
    3)``): what follows may depend on the first statistics."""
    start = D.order(ctx, fit.call)
    own = ctx.index.statement_of(fit.call)
    for assign in assigns:
        if D.order(ctx, assign) <= start or assign is own:
            continue
        for target in assign.targets:
            written = target.target
            if (type(written) is cst.Subscript and dotted_name(written.value) == fit.data
                    and _column(written) in columns and not _restandardizes(ctx, assign)):
                return True
    return any(D.order(ctx, aug) > start and dotted_name(
        aug.target.value if type(aug.target) is cst.Subscript else aug.target) == fit.data
        for aug in D.nodes_in_scope(ctx, cst.AugAssign, ctx.scope_of(fit.call)))


def _restandardizes(ctx: FileContext, assign: cst.Assign) -> bool:
    """``df["b"] = zscore(df["b"])``: the step itself, on the next column."""
    value = assign.value
    return type(value) is cst.Call and (ctx.callee(value)[0] or "") in _AFFINE_STEPS


def _other_columns(ctx: FileContext, name: str, table: str, columns: list[str],
                   fit: Fit) -> bool:
    """``name`` was last bound to columns of ``table`` named literally, none of them a
    standardized one (``y = df["age"].values``): it does not hold what was standardized."""
    assigned = None
    for assign in D.assignments_in(ctx, ctx.scope_of(fit.call)):
        if D.order(ctx, assign) > D.order(ctx, fit.call) and name in D.target_names(assign):
            assigned = assign
            break
    if assigned is None or len(assigned.targets) != 1:
        return False
    value = assigned.value
    while type(value) is cst.Attribute and value.attr.value == "values":
        value = value.value
    if type(value) is not cst.Subscript or dotted_name(value.value) != table:
        return False
    picked = _column(value)
    return picked is not None and picked not in columns


def _refits_part(ctx: FileContext, call: cst.Call, name: str, parts: set[str]) -> bool:
    """``call`` fits an affine-invariant scaler, with its defaults, on a training part of
    ``name``: ``x_train`` bound to ``x[train_idx]`` (or ``x[train_idx]`` itself)."""
    data = D.fitted_data(ctx, call)
    receiver = call.func.value if type(call.func) is cst.Attribute else None
    if data is None or receiver is None or _estimator_class(ctx, receiver) not in (
            _AFFINE_INVARIANT):
        return False
    value = ctx.value(receiver)
    built = value.node if value is not None else None
    if type(built) is cst.Call and any(
            a.keyword is not None and a.keyword.value in _PARTIAL_SCALING for a in built.args):
        return False
    if type(data) is cst.Name and D.clear_split(data.value) == D.TRAIN:
        data = _bound_value(ctx, data.value, ctx.index.statement_of(call)) or data
    return (type(data) is cst.Subscript and dotted_name(data.value) == name
            and _one_part(data, parts) and _training_index(data))


def _bound_value(ctx: FileContext, name: str,
                 before: cst.CSTNode) -> cst.BaseExpression | None:
    """The value ``name`` was last bound to before ``before``: ``v`` of ``name = v``, also
    of ``a, name = u, v``."""
    assign = ctx.last_assignment(name, before)
    if assign is None or len(assign.targets) != 1:
        return None
    target, value = assign.targets[0].target, assign.value
    if type(target) is cst.Name:
        return value
    if (type(target) is cst.Tuple and type(value) is cst.Tuple
            and len(target.elements) == len(value.elements)):
        for element, bound in zip(target.elements, value.elements, strict=True):
            if dotted_name(element.value) == name:
                return bound.value
    return None


def _training_index(data: cst.Subscript) -> bool:
    """``x[train_idx]``: the index names the training part."""
    first = data.slice[0].slice
    return type(first) is cst.Index and D.clear_split(dotted_name(first.value)) == D.TRAIN


# A mean or a spread taken by hand: on a training part split again, that is NN309's finding.
_STATISTICS = frozenset({"mean", "std", "var", "nanmean", "nanstd", "nanvar"})


def _is_statistic(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if type(func) is cst.Attribute else (
        func.value if type(func) is cst.Name else None)
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
    if (fit.source != later.source or first is second or type(first) is not cst.Assign
            or type(second) is not cst.Assign or not ctx.index.before(first, second)
            or _exclusive(ctx, fit.call, later.call)):
        return False
    rebound = D.target_names(first) & D.target_names(second)
    return bool(rebound) and not D.mentions(second.value, rebound) and not _reloaded(
        ctx, fit, first, second)


def _reloaded(ctx: FileContext, fit: Fit, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """The fitted data was bound to fresh data between two statements (``df =
    pd.read_csv(...)`` again, in a later notebook cell): what follows is another leak."""
    start, end = D.order(ctx, first), D.order(ctx, second)
    return any(start < D.order(ctx, a) < end and fit.data in D.target_names(a)
               and not D.mentions(a.value, {fit.data})
               for a in D.assignments_in(ctx, ctx.scope_of(fit.call)))


def _same_leak(ctx: FileContext, fit: Fit, earlier: Fit, assigns: list[cst.Assign]) -> bool:
    """Two statistics of the same array (``mu = X.mean(0); sd = X.std(0)``), unless the
    data was bound to fresh data in between (``df = pd.read_csv(...)`` again, as in a
    notebook that reloads its table in a later cell): then it is another leak."""
    if fit.source != earlier.source:
        return False
    if (fit.step != earlier.step or (fit.estimator and earlier.estimator
                                     and fit.estimator != earlier.estimator)) and not (
            _exclusive(ctx, earlier.call, fit.call)):
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
        if type(node) is cst.If and node.orelse is not None and (
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
                                _code(ctx, receiver), requires, _column(data),
                                _estimator_class(ctx, receiver)))
            continue
        standardized = _standardized_data(ctx, call)
        if standardized is not None:
            name = S.fitted_data_name(standardized, training=True)
            if name is not None:
                derived = S.carried(ctx, call, frozenset(_target_of(ctx, call)), assigns)
                fits.append(Fit(call, name, derived, _code(ctx, standardized), name in derived,
                                column=_column(standardized),
                                step=ctx.callee(call)[0] or ""))
            continue
        moment = _moment_of(ctx, call)
        if moment is not None:
            derived = _normalized(ctx, scope, call, moment, assigns)
            if derived is not None:
                fits.append(Fit(call, moment, S.carried(ctx, call, derived, assigns),
                                _code(ctx, _moment_data(ctx, call)), step=_MOMENT))
    return fits


def _column(data: cst.BaseExpression) -> str | None:
    """``"age"`` of ``df["age"]``, ``df[["age"]]``, ``df["age"].values``: the one column of a
    table that is fitted; None for anything else."""
    while type(data) in (cst.Attribute, cst.Call):
        if type(data) is cst.Attribute and data.attr.value == "values":
            data = data.value
        elif (type(data) is cst.Call and type(data.func) is cst.Attribute
              and data.func.attr.value in _RESHAPING):
            data = data.func.value
        else:
            return None
    if type(data) is not cst.Subscript or len(data.slice) != 1:
        return None
    key = data.slice[0].slice
    value = key.value if type(key) is cst.Index else None
    if type(value) is cst.List and len(value.elements) == 1:
        value = value.elements[0].value
    return value.evaluated_value if type(value) is cst.SimpleString else None  # type: ignore[return-value]


def _estimator_class(ctx: FileContext, receiver: cst.BaseExpression) -> str:
    """The class of a fitted estimator (``sklearn.preprocessing.StandardScaler``), or ""."""
    value = ctx.value(receiver)
    return (value.qualname or "") if value is not None else ""


def _project_fit(ctx: FileContext,
                 call: cst.Call) -> tuple[cst.BaseExpression, tuple[Requirement, ...]] | None:
    """``pre.fit_transform(df)`` of an instance of a project class, given the data alone
    (with a target it trains a model): the data, if the class's method learns statistics."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in D.FIT_METHODS:
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
    if type(receiver) is cst.Call:
        return False
    if type(receiver) is not cst.Name or ctx.last_assignment(receiver.value, fit) is None:
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
        if (type(value) is cst.Call and type(value.func) is cst.Attribute
                and value.func.attr.value == "transform"
                and dotted_name(value.func.value) == receiver):
            out |= S.assigned_names(assign)
    return frozenset(out)


def _chained_transform(ctx: FileContext, fit: cst.Call) -> cst.Call | None:
    """``<fit>.transform(...)``: the transform chained on a ``fit`` call's result (the
    fitted estimator)."""
    attribute = ctx.index.parent(fit)
    call = ctx.index.parent(attribute) if type(attribute) is cst.Attribute else None
    if (type(call) is cst.Call and call.func is attribute
            and attribute.attr.value == "transform"):  # type: ignore[union-attr]
        return call
    return None


def _target_of(ctx: FileContext, node: cst.CSTNode) -> set[str]:
    """Names ``node``'s value is assigned to, the frame of a subscript target included, also
    through reshaping methods (``out[:, i] = scaler.fit_transform(col).ravel()``)."""
    parent = ctx.index.parent(node)
    while True:
        if type(parent) is cst.Attribute and parent.value is node and (
                parent.attr.value in _RESHAPING):
            call = ctx.index.parent(parent)
        else:
            call = _wrapping(ctx, node, parent)
        if type(call) is not cst.Call:
            break
        node, parent = call, ctx.index.parent(call)
    if type(parent) is cst.Assign and parent.value is node:
        return S.assigned_names(parent)
    name = D.assigned_name(ctx, node)
    return {name} if name else set()


def _wrapping(ctx: FileContext, node: cst.CSTNode,
              parent: cst.CSTNode | None) -> cst.CSTNode | None:
    """The call that wraps ``node`` as its data, unchanged row by row
    (``pd.DataFrame(<node>, columns=cols)``, ``np.asarray(<node>)``, ``torch.tensor(<node>)``)."""
    call = ctx.index.parent(parent) if type(parent) is cst.Arg else None
    if type(call) is not cst.Call or not call.args or call.args[0] is not parent or (
            parent.keyword is not None or parent.star):  # type: ignore[union-attr]
        return None
    return call if ctx.qualname(call.func) in _WRAPPERS else None


def _one_part(data: cst.BaseExpression, parts: set[str]) -> bool:
    """``X[tr]`` / ``df.iloc[tr]`` with ``tr`` an index part of a split."""
    if type(data) is not cst.Subscript or not data.slice:
        return False
    first = data.slice[0].slice
    return type(first) is cst.Index and dotted_name(first.value) in parts


def _code(ctx: FileContext, node: cst.CSTNode | None) -> str:
    return ctx.code(node) if node is not None else ""


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
    if type(func) is cst.Attribute and ctx.qualname(func.value) is None:
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
    if type(func) is cst.Attribute and func.attr.value in _MOMENT_METHODS:
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
    if statistic is not None:
        filled = _filled_with(ctx, scope, statistic, data, start)
        if filled is not None:
            used = True
            out |= filled
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


def _filled_with(ctx: FileContext, scope: cst.CSTNode, statistic: str, data: str,
                 start: int) -> set[str] | None:
    """``med = df["income"].median()``, then ``df["income"] = df["income"].fillna(med)``
    (or ``.fillna(med, inplace=True)``): the names that then hold ``data`` filled with the
    statistic (the pandas form of an imputer fitted on every row); None if it is not."""
    out: set[str] | None = None
    for user in D.calls_by_scope(ctx).get(scope, ()):
        func = user.func
        if (D.order(ctx, user) <= start or type(func) is not cst.Attribute
                or func.attr.value not in _APPLYING_METHODS
                or S.full_data_name(func.value) != data
                or not any(D.mentions(a.value, {statistic}) for a in user.args)):
            continue
        inplace = any(a.keyword is not None and a.keyword.value == "inplace" for a in user.args)
        out = (out or set()) | _target_of(ctx, user) | ({data} if inplace else set())
    return out


def _applied_inline(ctx: FileContext, call: cst.Call, data: str) -> frozenset[str] | None:
    """The statistic is an argument of a call that also takes the data
    (``df.fillna(df.mean())``, ``scale(X, X.mean(0), X.std(0))``): that call's result.
    Not for a part named training data (``train.fillna(train.mean())``): filling it with
    its own mean is not taken as a leak into a later split of it."""
    arg = ctx.index.parent(call)
    user = ctx.index.parent(arg) if type(arg) is cst.Arg else None
    if type(user) is not cst.Call:
        return None
    func = user.func
    receiver = func.value if type(func) is cst.Attribute else None
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
    if type(expr) is cst.BinaryOperation:
        for side in (expr.left, expr.right):
            if side is node:
                return True
            if type(side) in (cst.Name, cst.Attribute) and dotted_name(side) in names:
                return True
    return any(_arithmetic_with(child, names, node) for child in iter_children(expr))
