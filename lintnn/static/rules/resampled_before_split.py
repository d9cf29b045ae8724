"""NN307: data oversampled (SMOTE, RandomOverSampler) and split into train/test afterwards."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses import splits as S
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.nodes import bool_value, keyword

_RESAMPLE_METHODS = frozenset({"fit_resample", "fit_sample"})


class ResampledBeforeSplit(Rule):
    """Oversampled data (copies and synthetic neighbours of rows) split afterwards."""

    code = "NN307"
    name = "resampled-before-split"
    severity = Severity.ERROR
    message = (
        "the data is oversampled before the train/test split: copies of test rows, and "
        "synthetic rows interpolated from them, land in the training set, so the "
        "evaluation is optimistic; split first and resample the training part only"
    )
    frameworks = ("sklearn",)
    triggers = ("resample", "fit_sample", "replace")
    # an imblearn sampler's fit_resample, sklearn's resample(), or pandas' sample(replace=)
    needs = (Needs(roles=(R.OVERSAMPLER,), calls=("sample",)),
             Needs(calls=(*_RESAMPLE_METHODS, "sample"), callee_roles=(R.OVERSAMPLER,)))

    def check(self, ctx: FileContext) -> None:
        for scope, calls in D.calls_by_scope(ctx).items():
            resamples = [c for c in calls if _is_oversampling(ctx, c)]
            if not resamples:
                continue
            splits = S.splits_in(ctx, scope, calls)
            assigns = D.assignments_in(ctx, scope)
            for call in resamples:
                resampled = _resampled_names(ctx, call)
                # through what is built from the copies (``pd.concat([majority, upsampled])``)
                carried = set(S.carried(ctx, call, frozenset(resampled), assigns))
                if not resampled:
                    continue
                if S.split_later(ctx, call, carried, splits, assigns):
                    ctx.report(call)
                elif type(scope) is cst.FunctionDef:
                    # returned, and split by a caller (``X_bal, y_bal = self.balance(X, y)``
                    # then ``self.train(X_bal, y_bal, kfold)``), in this file or another
                    requirement = S.split_by_a_caller(ctx, scope, carried)
                    if requirement is not None:
                        ctx.report(call, requires=(requirement,))


def _is_oversampling(ctx: FileContext, call: cst.Call) -> bool:
    """``sampler.fit_resample(X, y)`` on an imbalanced-learn oversampler; rows drawn with
    replacement: ``resample(minority, n_samples=n)`` (sklearn), ``df.sample(n,
    replace=True)`` (pandas)."""
    func = call.func
    _, entry = ctx.callee(call)
    if entry is not None and entry.kind == "function" and R.OVERSAMPLER in entry.roles:
        return bool_value(keyword(call, "replace")) is not False
    if type(func) is not cst.Attribute:
        return False
    if func.attr.value == "sample":
        return bool_value(keyword(call, "replace")) is True and ctx.qualname(func.value) is None
    if func.attr.value not in _RESAMPLE_METHODS:
        return False
    receiver = ctx.value(func.value)
    return receiver is not None and receiver.kind is Kind.INSTANCE and receiver.has(
        R.OVERSAMPLER)


def _resampled_names(ctx: FileContext, call: cst.Call) -> set[str]:
    """The names the resampled data is bound to (``X_res, y_res = ...fit_resample(X, y)``)."""
    statement = ctx.index.statement_of(call)
    if type(statement) is cst.Assign and statement.value is call:
        return D.target_names(statement)
    return set()
