"""Summaries of the classes in one file, for the project index."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from lintnn.static.analyses.datasets import fitted_data, mentions
from lintnn.static.analyses.losses import loss_call
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.nodes import bool_value, dotted_name, keyword, names_in, target_names
from lintnn.static.syntax.project import ClassSummary, loss_input

OUTPUT_METHODS = ("forward", "__call__", "call")
CONTAINED_ROLES = frozenset({R.DROPOUT, R.BATCHNORM})
_FUNCTIONAL = {R.FUNCTIONAL_DROPOUT: R.DROPOUT}


def summarize_classes(ctx: FileContext) -> list[ClassSummary]:
    calls_by_class = calls_by_outer_class(ctx, ctx.index.calls)
    return [_summarize(ctx, c, calls_by_class) for c in ctx.local_classes.values()]


def calls_by_outer_class(
    ctx: FileContext, calls: list[cst.Call]
) -> dict[cst.ClassDef, list[cst.Call]]:
    """``calls`` grouped by the outermost class around each (calls in no class dropped)."""
    calls_by_class: dict[cst.ClassDef, list[cst.Call]] = {}
    for call in calls:
        outer = None
        for ancestor in ctx.index.ancestors(call):
            if isinstance(ancestor, cst.ClassDef):
                outer = ancestor
        if outer is not None:
            calls_by_class.setdefault(outer, []).append(call)
    return calls_by_class


def summarize_class(ctx: FileContext, class_def: cst.ClassDef,
                    calls_by_class: dict[cst.ClassDef, list[cst.Call]]) -> ClassSummary:
    """The summary of one top-level class; ``calls_by_class`` must hold its calls."""
    return _summarize(ctx, class_def, calls_by_class)


def _summarize(
    ctx: FileContext, class_def: cst.ClassDef, calls_by_class: dict[cst.ClassDef, list[cst.Call]]
) -> ClassSummary:
    bases = tuple(
        q for q in (ctx.qualname_of_class(arg.value) for arg in class_def.bases) if q
    )
    output = ctx.method(class_def, *OUTPUT_METHODS)
    returns: frozenset[str] = frozenset()
    returns_via: str | None = None
    if output is not None:
        returns, returns_via = _returns(ctx, output)
    contains: set[str] = set()
    submodules: set[str] = set()
    running_stats = False
    for call in calls_by_class.get(class_def, ()):
        _, entry = ctx.callee(call)
        if entry is not None:
            contains.update(entry.roles & CONTAINED_ROLES)
            running_stats |= R.BATCHNORM in entry.roles and _reads_running_stats(call)
            contains.update(_FUNCTIONAL[r] for r in entry.roles if r in _FUNCTIONAL)
            continue
        qualname = ctx.qualname_of_class(call.func)
        if qualname and ctx.may_be_project_class(qualname):
            submodules.add(qualname)
    if contains & CONTAINED_ROLES:
        contains.add(R.MODE_DEPENDENT)
    return ClassSummary(
        qualname=ctx.class_qualname(class_def),
        bases=bases,
        returns=returns,
        returns_via=returns_via,
        defines_output=output is not None,
        contains=frozenset(contains),
        submodules=tuple(sorted(submodules)),
        loss_inputs=_loss_inputs(ctx, class_def, calls_by_class.get(class_def, ())),
        getitem=_getitem(ctx, class_def),
        running_stats=running_stats,
        fits=_fits_statistics(ctx, class_def, calls_by_class.get(class_def, ())),
    )


def _reads_running_stats(batchnorm: cst.Call) -> bool:
    """A BatchNorm not built to ignore running statistics (``use_running_average=False``
    in flax, ``track_running_stats=False`` in torch): in evaluation it reads them."""
    return not any(bool_value(keyword(batchnorm, flag)) is False
                   for flag in ("use_running_average", "track_running_stats"))


def _getitem(ctx: FileContext, class_def: cst.ClassDef) -> str:
    """"reads" if the class's ``__getitem__`` reads its index, "ignores" if it never
    does (each item a random draw), "" if it defines none."""
    method = ctx.method(class_def, "__getitem__")
    if method is None:
        return ""
    params = [*method.params.posonly_params, *method.params.params]
    if len(params) != 2 or isinstance(method.params.star_arg, cst.Param) or (
            method.params.star_kwarg is not None):
        return "reads"  # not the plain ``(self, index)``: assume it is read
    index = params[1].name.value
    read = any(name.value == index for name in names_in(method.body))
    return "reads" if read else "ignores"


def _loss_inputs(ctx: FileContext, class_def: cst.ClassDef,
                 calls: list[cst.Call]) -> frozenset[str]:
    """The class's methods that pass a parameter, as the method received it, as the
    prediction of a loss (``def get_loss(self, pred, y): return F.bce_with_logits(pred, y)``):
    a caller that hands them probabilities feeds the loss probabilities."""
    found: set[str] = set()
    for call in calls:
        method = ctx.index.enclosing_function(call)
        if method is None or ctx.index.enclosing_class(method) is not class_def:
            continue
        params = _receivable(method)
        if not any(dotted_name(arg.value) in params for arg in call.args):
            continue  # the cheap test first: most calls pass no parameter
        loss = loss_call(ctx, call)
        if loss is None or not isinstance(loss.prediction, cst.Name):
            continue
        name = loss.prediction.value
        if name in params and _as_received(ctx, method, loss.prediction):
            keys: tuple[int | str, ...] = (params[name], name) if params[name] >= 0 else (name,)
            found.update(loss_input(method.name.value, key, loss.expects) for key in keys)
    return frozenset(found)


def _receivable(method: cst.FunctionDef) -> dict[str, int]:
    """A method's parameters a caller passes, by name, with their position in the call
    (``self`` left out; -1 for keyword-only ones)."""
    params = method.params
    positional = [*params.posonly_params, *params.params]
    if not any(dotted_name(d.decorator) == "staticmethod" for d in method.decorators):
        positional = positional[1:]
    out = {p.name.value: i for i, p in enumerate(positional)}
    out.update({p.name.value: -1 for p in params.kwonly_params})
    return out


def _as_received(ctx: FileContext, method: cst.FunctionDef, name: cst.Name) -> bool:
    """``name`` still holds what the caller passed: no statement of ``method`` rebinds it
    before (the dataflow's binding at ``name`` is the one the method started with)."""
    flow = ctx.flow(method)
    body = method.body.body
    if not body:
        return False
    start = flow.before.get(body[0], {}).get(name.value)
    return start is not None and flow.env_at(name).get(name.value) is start


def _returns(ctx: FileContext, method: cst.FunctionDef) -> tuple[frozenset[str], str | None]:
    """Roles every ``return`` of the method agrees on, or the class they all delegate to."""
    values: list[Value | None] = []
    for node in _return_values(ctx, method):
        values.append(ctx.value(node) if node is not None else None)
    if not values or any(v is None or v.kind is not Kind.RESULT for v in values):
        return frozenset(), None
    roles = frozenset.intersection(*(v.roles for v in values))  # type: ignore[union-attr]
    vias = {v.project_class for v in values}  # type: ignore[union-attr]
    via = vias.pop() if len(vias) == 1 else None
    return frozenset(r for r in roles if r.startswith("makes.")), via


def _return_values(ctx: FileContext, method: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    index = ctx.index
    return [r.value for r in index.within(index.returns, method)
            if index.enclosing_function(r) is method]


# A project preprocessor (``class Preprocessor: def fit(self, df): self.mean = df.mean()``).
_FIT_METHODS = ("fit", "fit_transform", "partial_fit")
_MOMENTS = frozenset({"mean", "std", "var", "min", "max", "median", "quantile", "nanmean",
                      "nanstd", "nanmedian"})


def _fits_statistics(ctx: FileContext, class_def: cst.ClassDef,
                     calls: Sequence[cst.Call]) -> frozenset[str]:
    """The class's own ``fit`` / ``fit_transform`` methods that learn statistics from the
    data they are given and keep them: a moment of it stored on ``self``, a scaler fitted on
    it, or another such method of the class given it. Only for a class that also defines
    ``transform`` and methods that take one argument besides ``self`` (a model's
    ``fit(X, y)`` is training, not preprocessing)."""
    methods = {m.name.value: m for m in ctx.methods(class_def)}
    if "transform" not in methods:
        return frozenset()
    candidates = {name: m for name, m in methods.items()
                  if name in _FIT_METHODS and _one_data_argument(m)}
    by_method: dict[cst.FunctionDef, list[cst.Call]] = {}
    for call in calls:
        fn = ctx.index.enclosing_function(call)
        if fn is not None and fn in candidates.values():
            by_method.setdefault(fn, []).append(call)
    found: set[str] = set()
    changed = True
    while changed:  # ``fit_transform`` learns through ``self.fit(df)``
        changed = False
        for name, method in candidates.items():
            if name not in found and _learns(ctx, method, by_method.get(method, []), found):
                found.add(name)
                changed = True
    return frozenset(found)


def _one_data_argument(method: cst.FunctionDef) -> bool:
    params = [*method.params.posonly_params, *method.params.params]
    required = [p for p in params[1:] if p.default is None]
    return len(params) >= 2 and len(required) == 1 and params[1].default is None


def _learns(ctx: FileContext, method: cst.FunctionDef, calls: list[cst.Call],
            learning: set[str]) -> bool:
    """Whether ``method`` learns statistics of its data argument (``learning``: the
    class's methods known to)."""
    params = [*method.params.posonly_params, *method.params.params]
    derived = _derived_names(ctx, method, params[1].name.value)
    for call in calls:
        func = call.func
        if isinstance(func, cst.Attribute) and dotted_name(func.value) == "self" and (
                func.attr.value in learning) and _passes(call, derived):
            return True
        data = _moment_data(ctx, call)
        if data is not None and mentions(data, derived) and _stored_on_self(ctx, call):
            return True
        fitted = fitted_data(ctx, call)
        if fitted is not None and mentions(fitted, derived):
            return True
    return False


def _derived_names(ctx: FileContext, method: cst.FunctionDef, param: str) -> set[str]:
    """``param`` and the local names computed from it (``d = self._engineer(df)``)."""
    derived = {param}
    for assign in ctx.index.within(ctx.index.assignments, method):
        if ctx.index.enclosing_function(assign) is method and mentions(assign.value, derived):
            derived |= {n for t in assign.targets for n in target_names(t.target)}
    return derived


def _passes(call: cst.Call, names: set[str]) -> bool:
    return any(mentions(arg.value, names) for arg in call.args)


def _moment_data(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """``X`` in ``X.mean(0)``, ``X["age"].median()`` or ``np.std(X)``."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value in _MOMENTS and (
            ctx.qualname(func.value) is None):
        return func.value
    _, entry = ctx.callee(call)
    if entry is not None and R.MOMENT in entry.roles and call.args:
        return call.args[0].value
    return None


def _stored_on_self(ctx: FileContext, call: cst.Call) -> bool:
    """The statement around ``call`` assigns to ``self.<attr>`` (or an item of it)."""
    statement = ctx.index.statement_of(call)
    if isinstance(statement, cst.Assign):
        targets = [t.target for t in statement.targets]
    elif isinstance(statement, (cst.AnnAssign, cst.AugAssign)):
        targets = [statement.target]
    else:
        return False
    return any(_root(t) == "self" for t in _unpacked(targets))


def _unpacked(targets: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
    """``self.mean, self.std = ...``: each element of a tuple target."""
    out: list[cst.BaseExpression] = []
    for target in targets:
        if isinstance(target, (cst.Tuple, cst.List)):
            out += _unpacked([e.value for e in target.elements])
        else:
            out.append(target)
    return out


def _root(expr: cst.BaseExpression) -> str | None:
    while isinstance(expr, (cst.Attribute, cst.Subscript)):
        expr = expr.value
    return expr.value if isinstance(expr, cst.Name) else None
