"""NN309: statistics fitted on a training part that is split again into train/validation."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import splits as S
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import argument, dotted_name, float_value, keyword, positional

# Statistics of an array that standardization subtracts or divides by. Not min/max:
# ``x_train / x_train.max()`` scales pixels by 255 whatever rows it sees.
_MOMENT_METHODS = frozenset({"mean", "std", "var"})


class StatisticsIncludeValidationRows(Rule):
    """``X_train`` normalized with its own statistics, then split again (``fit(...,
    validation_split=)``, k-fold slices, ``train_test_split(X_train)``)."""

    code = "NN309"
    name = "statistics-include-validation-rows"
    severity = Severity.WARNING
    message = (
        "normalization statistics are computed on this training part, which is split "
        "again afterwards into training and validation rows (validation_split=, k-fold "
        "slices, a second train_test_split): the validation rows shaped the statistics, "
        "so the validation score is optimistic; split first and fit the statistics on "
        "the rows that train only (per fold, inside the loop)"
    )
    frameworks = ("keras", "sklearn")
    triggers = ("mean", "std", "adapt", "var")
    # The data fitted is named as a training part (``X_train``, ``train_data``: every
    # such word contains "tr"). The later split takes too many forms to name them all
    # (``a, b = x_train[:n], x_train[n:]`` names no split): not a need.
    # And it finds them only at a call of a moment (``X.mean(0)``, ``np.std(X, 0)``) or of
    # a Keras layer's ``adapt``.
    needs = (Needs(words=lambda word: "tr" in word.lower()),
             Needs(calls=(*_MOMENT_METHODS, "adapt")))

    def check(self, ctx: FileContext) -> None:
        for scope, calls in D.calls_by_scope(ctx).items():
            splits: list[S.Split] | None = None  # made for the first fit: most scopes have none
            assigns = D.assignments_in(ctx, scope)
            reported: set[str] = set()
            for call in calls:
                fitted = _fitted(ctx, scope, call, assigns)
                if fitted is None or (fitted[2] or fitted[0]) in reported:
                    continue  # the mean and the std of one array: one leak, one finding
                data, carried, adapted = fitted
                if adapted is not None:
                    leaked = _adapted_model_splits(ctx, call, adapted, carried, calls)
                else:
                    if splits is None:
                        splits = [(at, {_base(n) for n in names})
                                  for at, names in S.splits_in(ctx, scope, calls)]
                    leaked = S.split_later(ctx, call, carried, splits, assigns)
                if leaked:
                    reported.add(adapted or data)
                    ctx.report(call)


def _base(name: str) -> str:
    """``train_features`` of ``train_features Horsepower`` (a column of it)."""
    return name.split(" ", 1)[0]


def _training_data(ctx: FileContext, expr: cst.BaseExpression | None,
                   at: cst.CSTNode) -> str | None:
    """The name of a training part that ``expr`` holds (or a column of): ``X_train``,
    ``np.array(train_features)``, ``hp`` after ``hp = np.array(train_df["hp"])``."""
    name = D.data_name(expr)
    if name is not None and type(expr) is cst.Name and D.split_of(name) is None:
        assigned = ctx.last_assignment(name, at)
        if assigned is not None and len(assigned.targets) == 1:
            name = D.data_name(assigned.value)
    if name is None:
        return None
    base = _base(name)
    return base if D.clear_split(base) == D.TRAIN else None


def _fitted(ctx: FileContext, scope: cst.CSTNode, call: cst.Call,
            assigns: list[cst.Assign]) -> tuple[str, set[str], str | None] | None:
    """``(data, carried, normalizer)``: the training part whose statistics ``call`` takes,
    the names that carry them afterwards, and for a Keras ``adapt`` the layer's name."""
    data_expr = D.fitted_data(ctx, call)
    if data_expr is not None:
        data = _training_data(ctx, data_expr, call)
        if data is None:
            return None
        layer = dotted_name(call.func.value)  # type: ignore[attr-defined]
        adapts = call.func.attr.value == "adapt"  # type: ignore[attr-defined]
        return (data, {data}, layer) if adapts and layer else None
    moment = _moment_data(ctx, call)
    if moment is None:
        return None
    data = _training_data(ctx, moment, call)
    if data is None:
        return None
    applied = _applied(ctx, scope, call, data, assigns)
    return (data, _carried(ctx, call, applied, assigns), None) if applied else None


def _moment_data(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """``X`` in ``X.mean(0)`` or ``np.mean(X, 0)``."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in _MOMENT_METHODS:
        return None
    if ctx.qualname(func.value) is None:
        return func.value
    args = positional(call)
    return args[0] if args and (ctx.qualname(func.value) or "").split(".")[0] in (
        "numpy", "np") else None


def _applied(ctx: FileContext, scope: cst.CSTNode, call: cst.Call, data: str,
             assigns: list[cst.Assign]) -> set[str]:
    """The names that hold ``data`` normalized by the statistic: ``X -= mean``,
    ``X = (X - mean) / std``, ``Xn = (X - X.mean(0)) / X.std(0)``."""
    statistic = D.assigned_name(ctx, call)
    start = D.order(ctx, call)
    out: set[str] = set()
    for aug in D.nodes_in_scope(ctx, cst.AugAssign, scope):
        if D.order(ctx, aug) > start and dotted_name(aug.target) == data and (
                statistic is not None and D.mentions(aug.value, {statistic})):
            out.add(data)
    for assign in assigns:
        inline = statistic is None and ctx.index.is_inside(call, assign)
        later = statistic is not None and D.order(ctx, assign) > start and D.mentions(
            assign.value, {statistic})
        if (inline or later) and type(assign.value) is cst.BinaryOperation and (
                D.mentions(assign.value, {data})):
            out |= D.target_names(assign)
    return out


def _carried(ctx: FileContext, call: cst.Call, names: set[str],
             assigns: list[cst.Assign]) -> set[str]:
    """``names`` and the names later computed from them (``Xs = scaler.transform(X)``),
    not counting numbers read off them (``len(X)``, ``X.shape[1]``)."""
    carried = set(names)
    start = D.order(ctx, call)
    for assign in assigns:
        if D.order(ctx, assign) > start and D.mentions(assign.value, carried) and not (
                _scalar(assign.value)):
            carried |= D.target_names(assign)
    return carried


def _scalar(expr: cst.BaseExpression) -> bool:
    if type(expr) is cst.Call and dotted_name(expr.func) in ("len", "int", "float"):
        return True
    return type(expr) in (cst.Subscript, cst.Attribute) and "shape" in (
        dotted_name(expr.value if type(expr) is cst.Subscript else expr) or "")


def _adapted_model_splits(ctx: FileContext, adapt: cst.Call, layer: str, carried: set[str],
                          calls: list[cst.Call]) -> bool:
    """After ``layer.adapt(X_train)``, ``model.fit(X_train, ..., validation_split=v)`` of
    a model built with ``layer`` (``Sequential([layer, ...])``, ``build(layer)``)."""
    for call in calls:
        if not ctx.index.before(adapt, call) or not _validation_split(call):
            continue
        data = D.data_name(argument(call, 0, "x"))
        if data is None or _base(data) not in carried:
            continue
        model = dotted_name(call.func.value)  # type: ignore[attr-defined]
        built = ctx.last_assignment(model, call) if model else None
        if built is not None and D.mentions(built.value, {layer}):
            return True
    return False


def _validation_split(call: cst.Call) -> bool:
    """``model.fit(x, y, validation_split=0.2)``."""
    if not (type(call.func) is cst.Attribute and call.func.attr.value == "fit"):
        return False
    fraction = keyword(call, "validation_split")
    return fraction is not None and float_value(fraction) not in (None, 0.0)
