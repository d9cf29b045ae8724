"""NN303: a scaler fitted again on validation or test data."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import splits as S
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, positional


class ScalerRefitOnEvalData(Rule):
    """``fit``/``fit_transform``/``adapt`` on evaluation data next to a fit on training data."""

    code = "NN303"
    name = "scaler-refit-on-eval-data"
    severity = Severity.ERROR
    message = (
        "scaler fitted again on evaluation data: the test/validation features are scaled "
        "with their own statistics, not the training ones the model learned; call "
        "transform() (not fit/fit_transform/adapt) on them"
    )
    frameworks = ("sklearn", "keras")
    triggers = ("fit", "adapt")
    needs = (Needs(roles=(R.FITS_STATISTICS, R.ADAPTS_STATISTICS)),
             Needs(calls=(*D.FIT_METHODS, "adapt")))

    def check(self, ctx: FileContext) -> None:
        by_scope: dict[cst.CSTNode, list[tuple[cst.Call, str | None, str | None]]] = {}
        for call in ctx.index.calls:
            data = D.fitted_data(ctx, call)
            if data is not None:
                split = D.clear_split(D.data_name(data))
                by_scope.setdefault(ctx.scope_of(call), []).append(
                    (call, split, _estimator(ctx, call)))
        for fits in by_scope.values():
            trained = any(split == D.TRAIN for _, split, _ in fits)
            for call, split, estimator in fits:
                if _refits_eval_data(ctx, call, split, estimator, fits, trained):
                    ctx.report(call)
        for call in _helper_refits(ctx):
            ctx.report(call)


def _helper_refits(ctx: FileContext) -> list[cst.Call]:
    """Calls of a function of the file that fits statistics on what it is given
    (``def data_gen(data): ... scaler.fit(X)``), given evaluation data
    (``data_gen(test_rows)``), when another call gives it training data: the helper
    re-fits its scaler on the evaluation data."""
    out: list[cst.Call] = []
    for fn in ctx.index.functions:
        fitted = S.fitted_parameters(ctx, fn)
        callers = ctx.call_graph.callers(fn) if fitted else []
        for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
            if param.name.value not in fitted:
                continue
            splits = [(call, S.split_of_data(ctx, ctx.call_graph.argument_for(fn, param, call),
                                             call)) for call in callers]
            if any(split == D.TRAIN for _, split in splits):
                out += [call for call, split in splits if split == D.EVAL and call not in out]
    return out


def _refits_eval_data(ctx: FileContext, call: cst.Call, split: str | None,
                      estimator: str | None,
                      fits: list[tuple[cst.Call, str | None, str | None]],
                      trained: bool) -> bool:
    if split == D.EVAL:
        return trained or _fitted_before_on_other_data(ctx, call, estimator, fits)
    return split is None and _refitted_for_prediction(ctx, call, fits)


_PREDICTING = frozenset({"predict", "predict_proba", "predict_classes", "evaluate"})


def _refitted_for_prediction(ctx: FileContext, call: cst.Call,
                             fits: list[tuple[cst.Call, str | None, str | None]]) -> bool:
    """The estimator fitted earlier on training data is fitted again here, and what this
    fit makes is what a model predicts on (``x_pred = dp.fit_transform(full_predict)``,
    then ``clf.predict(x_pred)``): the prediction data is scaled with its own statistics."""
    receiver = dotted_name(call.func.value)  # type: ignore[attr-defined]
    if receiver is None or not any(
            split == D.TRAIN and ctx.index.before(other, call)
            and dotted_name(other.func.value) == receiver  # type: ignore[attr-defined]
            for other, split, _ in fits):
        return False
    made = D.assigned_name(ctx, call)
    if made is None or "." in made:
        return False
    scope = ctx.scope_of(call)
    for read in D.reads_of(ctx, made, scope):
        arg = ctx.index.parent(read)
        user = ctx.index.parent(arg) if type(arg) is cst.Arg else None
        if (type(user) is cst.Call and type(user.func) is cst.Attribute
                and user.func.attr.value in _PREDICTING and ctx.index.before(call, user)
                and positional(user)[:1] == [read]):
            return True
    return False


def _estimator(ctx: FileContext, fit: cst.Call) -> str | None:
    """The class of the fitted estimator (``sklearn.preprocessing.MinMaxScaler``)."""
    value = ctx.value(fit.func.value)  # type: ignore[attr-defined]
    return value.qualname if value is not None else None


def _fitted_before_on_other_data(
    ctx: FileContext, call: cst.Call, estimator: str | None,
    fits: list[tuple[cst.Call, str | None, str | None]],
) -> bool:
    """An estimator of the same class was fitted earlier on data that is not evaluation
    data (``MinMaxScaler().fit(data)``, then ``MinMaxScaler().fit(test)``): the script
    learned its scaling on the data the model trains on, then scales the test set anew."""
    return estimator is not None and any(
        other_estimator == estimator and other_split is None
        and ctx.index.before(other, call)
        for other, other_split, other_estimator in fits)
