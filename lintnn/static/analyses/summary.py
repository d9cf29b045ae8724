"""Summaries of the classes in one file, for the project index."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from lintnn.static import knowledge
from lintnn.static.analyses.datasets import fitted_data, mentions
from lintnn.static.analyses.losses import loss_call
from lintnn.static.analyses.project_losses import names_a_loss_method
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    keyword,
    names_in,
    target_names,
)
from lintnn.static.syntax.project import PART, PICKS_AT_RANDOM, ClassSummary, loss_input

OUTPUT_METHODS = ("forward", "__call__", "call")
CONTAINED_ROLES = frozenset({R.DROPOUT, R.BATCHNORM})
_TRAINING_POSITION = 2  # F.dropout(input, p, training), torch.dropout(input, p, train)


def summarize_classes(ctx: FileContext) -> list[ClassSummary]:
    calls_by_class = calls_by_outer_class(ctx, ctx.index.calls)
    return [_summarize(ctx, c, calls_by_class) for c in ctx.file_classes]


def calls_by_outer_class(
    ctx: FileContext, calls: list[cst.Call]
) -> dict[cst.ClassDef, list[cst.Call]]:
    """``calls`` grouped by the outermost class around each (calls in no class dropped)."""
    calls_by_class: dict[cst.ClassDef, list[cst.Call]] = {}
    for call in calls:
        outer = None
        for ancestor in ctx.index.ancestors(call):
            if type(ancestor) is cst.ClassDef:
                outer = ancestor
        if outer is not None:
            calls_by_class.setdefault(outer, []).append(call)
    return calls_by_class


def summarize_class(ctx: FileContext, class_def: cst.ClassDef,
                    calls_by_class: dict[cst.ClassDef, list[cst.Call]]) -> ClassSummary:
    """The summary of one class of the file; ``calls_by_class`` must hold its calls."""
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
    returns_unless: frozenset[str] = frozenset()
    if output is not None:
        returns, returns_via, returns_unless = _returns(ctx, output)
    contains: set[str] = set()
    submodules: set[str] = set()
    running_stats = False
    for call in calls_by_class.get(class_def, ()):
        _, entry = ctx.callee(call)
        if entry is not None:
            contains.update(entry.roles & CONTAINED_ROLES)
            running_stats |= R.BATCHNORM in entry.roles and _reads_running_stats(call)
            if R.FUNCTIONAL_DROPOUT in entry.roles and follows_module_mode(call):
                contains.add(R.DROPOUT)
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
        returns_unless=returns_unless,
        defines_output=output is not None,
        contains=frozenset(contains),
        submodules=tuple(sorted(submodules)),
        loss_inputs=_loss_inputs(ctx, class_def, _in_loss_methods(
            ctx, calls_by_class.get(class_def, ()))),
        getitem=_getitem(ctx, class_def),
        running_stats=running_stats,
        unshuffled_loader=_unshuffled_loader(ctx, class_def),
        fits=_fits_statistics(ctx, class_def, calls_by_class.get(class_def, ())),
    )


def follows_module_mode(dropout: cst.Call) -> bool:
    """A functional dropout whose flag reads a module's mode (``training=self.training``):
    ``eval()`` turns it off. Without the flag it is always on (NN203), and with a flag of
    its own (``training=training``, a ``forward`` argument) the module's mode is moot."""
    flag = argument(dropout, _TRAINING_POSITION, "training")
    return flag is not None and any(
        type(node) is cst.Attribute and node.attr.value == "training"
        for node in _subtree(flag))


def _subtree(node: cst.CSTNode) -> list[cst.CSTNode]:
    found: list[cst.CSTNode] = []
    todo = [node]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(iter_children(current))
    return found


def _in_loss_methods(ctx: FileContext, calls: list[cst.Call]) -> list[cst.Call]:
    """The calls inside functions named as loss methods (``get_loss``, ``criterion``): the
    FEEDS_LOSS fact is asked of no other (:func:`project_loss_feeds`), and reading what the
    others feed their losses costs the dataflow of every method."""
    found = []
    for call in calls:
        function = ctx.index.enclosing_function(call)
        if function is not None and names_a_loss_method(function.name.value):
            found.append(call)
    return found


def _reads_running_stats(batchnorm: cst.Call) -> bool:
    """A BatchNorm not built to ignore running statistics (``use_running_average=False``
    in flax, ``track_running_stats=False`` in torch): in evaluation it reads them."""
    return not any(bool_value(keyword(batchnorm, flag)) is False
                   for flag in ("use_running_average", "track_running_stats"))


def _unshuffled_loader(ctx: FileContext, class_def: cst.ClassDef) -> bool:
    """A subclass of a framework data loader whose ``__init__`` takes ``shuffle=False`` and
    passes it on as ``shuffle=shuffle``: it shuffles only when a caller says so."""
    if not any(R.DATA_LOADER in getattr(knowledge.lookup(ctx.qualname_of_class(b.value)),
                                        "roles", ()) for b in class_def.bases):
        return False
    init = ctx.method(class_def, "__init__")
    if init is None:
        return False
    param = next((p for p in (*init.params.params, *init.params.kwonly_params)
                  if p.name.value == "shuffle"), None)
    if param is None or param.default is None or bool_value(param.default) is not False:
        return False
    return any(type(call) is cst.Call and dotted_name(keyword(call, "shuffle")) == "shuffle"
               for call in ctx.index.within(ctx.index.calls, init))


def _getitem(ctx: FileContext, class_def: cst.ClassDef) -> str:
    """"random" if the class's ``__getitem__`` picks its item at random (it never reads its
    index, or reads the item at a randomly drawn index): the order of the indices it is
    given carries nothing; "reads" otherwise, "" if it defines none."""
    method = ctx.method(class_def, "__getitem__")
    if method is None:
        return ""
    params = [*method.params.posonly_params, *method.params.params]
    if len(params) != 2 or type(method.params.star_arg) is cst.Param or (
            method.params.star_kwarg is not None):
        return "reads"  # not the plain ``(self, index)``: assume it is read
    index = params[1].name.value
    if not any(name.value == index for name in names_in(method.body)):
        return PICKS_AT_RANDOM
    return PICKS_AT_RANDOM if _indexes_at_random(ctx, method) else "reads"


# Calls that draw a random number or index (``random.randint``, ``np.random.choice``).
_RANDOM_DRAWS = frozenset({"randint", "choice", "choices", "integers", "randrange", "randperm",
                           "permutation", "sample"})
_RANDOM_MODULES = ("random.", "numpy.random.", "torch.")


def _indexes_at_random(ctx: FileContext, method: cst.FunctionDef) -> bool:
    """``method`` subscripts with a random draw (``first = random.randint(0, n);
    self.data[first]``). A draw used only in a slice (a random crop) or apart from any
    subscript (a random flip) does not count: the item is still the one asked for."""
    index = ctx.index
    draws = [call for call in index.within(index.calls, method)
             if type(call) is cst.Call and type(call.func) is cst.Attribute
             and call.func.attr.value in _RANDOM_DRAWS
             and (ctx.qualname(call.func) or "").startswith(_RANDOM_MODULES)]
    drawn = {target.value for call in draws
             if type(assign := index.parent(call)) is cst.Assign
             for t in assign.targets if type(target := t.target) is cst.Name}
    uses = [*draws, *(n for n in names_in(method.body) if n.value in drawn)]
    return any(type(a) is cst.Index  # an index, not a slice (a random crop slices)
               for node in uses for a in index.ancestors(node))


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
        if loss is None or type(loss.prediction) is not cst.Name:
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


def _returns(ctx: FileContext, method: cst.FunctionDef
             ) -> tuple[frozenset[str], str | None, frozenset[str]]:
    """Roles every ``return`` of the method agrees on, or the class they all delegate to,
    with the flags (:func:`_flagged_returns`) whose returns were left out: a call that
    passes one of them may get another output."""
    returned = _return_nodes(ctx, method)
    flagged, flags = _flagged_returns(ctx, method, returned)
    if not flags and (parts := _part_roles(ctx, method)):
        return parts, None, flags
    values: list[Value | None] = []
    for r in returned:
        if r not in flagged:
            values.append(ctx.value(r.value) if r.value is not None else None)
    if not values or any(v is None or v.kind is not Kind.RESULT for v in values):
        return frozenset(), None, frozenset()
    roles = frozenset.intersection(*(v.roles for v in values))  # type: ignore[union-attr]
    vias = {v.project_class for v in values}  # type: ignore[union-attr]
    via = vias.pop() if len(vias) == 1 else None
    return frozenset(r for r in roles if r.startswith("makes.")), via, flags


def _part_roles(ctx: FileContext, method: cst.FunctionDef) -> frozenset[str]:
    """``makes.relu@0`` for each part of a tuple output (``return logits, hidden``) that
    every return makes with that role."""
    owner = ctx.index.enclosing_class(method)
    if owner is None:
        return frozenset()
    parts = ctx.returned_items(ctx.class_qualname(owner))
    return frozenset(f"{role}{PART}{position}" for position, part in enumerate(parts)
                     if part is not None and part.kind is Kind.RESULT
                     for role in part.roles if role.startswith("makes."))


def _return_nodes(ctx: FileContext, method: cst.FunctionDef) -> list[cst.Return]:
    index = ctx.index
    return [r for r in index.within(index.returns, method)
            if index.enclosing_function(r) is method]


def _flagged_returns(ctx: FileContext, method: cst.FunctionDef, returned: list[cst.Return]
                     ) -> tuple[set[cst.Return], frozenset[str]]:
    """The returns a call that leaves a flag at its default never reaches: those under
    ``if <flag>:`` (``if <flag> is not None:``), or in the ``else`` of ``if not <flag>:``
    (``if <flag> is None:``), where ``<flag>`` is a parameter of ``method`` with a default
    of False or None that the method never assigns. With them, the flags' names and
    positions in a call (``#1``: the first argument after ``self``), as a call
    passes them (:func:`lintnn.static.syntax.project.passed_arguments`)."""
    flags = _default_off_params(ctx, method)
    if not flags:
        return set(), frozenset()
    flagged: set[cst.Return] = set()
    used: set[str] = set()
    for r in returned:
        child: cst.CSTNode = r
        for ancestor in ctx.index.ancestors(r):
            if ancestor is method:
                break
            if type(ancestor) is cst.If:
                name, when = _flag_test(ancestor.test, flags)
                branch = ancestor.body if when else ancestor.orelse
                if name is not None and child is branch:
                    flagged.add(r)
                    used.add(name)
                    break
            child = ancestor
    return flagged, frozenset(f for name in used for f in (name, flags[name]) if f)


def _default_off_params(ctx: FileContext, method: cst.FunctionDef) -> dict[str, str]:
    """The parameters of ``method`` that default to False or None and that it never
    assigns, each with its position in a call (``#1``; "" for a keyword-only one)."""
    params = method.params
    positional = [*params.posonly_params, *params.params]
    if not any(dotted_name(d.decorator) == "staticmethod" for d in method.decorators):
        positional = positional[1:]
    found = {p.name.value: f"#{i}" for i, p in enumerate(positional) if _off(p)}
    found.update({p.name.value: "" for p in params.kwonly_params if _off(p)})
    if found:
        for assign in ctx.index.within(ctx.index.assignments, method):
            for t in assign.targets:
                for name in target_names(t.target):
                    found.pop(name, None)
        for node in _subtree(method.body):  # ``flag |= ...``, ``for flag in ...``
            target = getattr(node, "target", None)
            if type(node) in (cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr) \
                    and target is not None:
                for name in target_names(target):
                    found.pop(name, None)
    return found


def _off(param: cst.Param) -> bool:
    default = param.default
    return default is not None and (bool_value(default) is False or (
        type(default) is cst.Name and default.value == "None"))


def _flag_test(test: cst.BaseExpression, flags: dict[str, str]) -> tuple[str | None, bool]:
    """(flag, True) for ``if flag:`` / ``if flag is not None:``; (flag, False) for
    ``if not flag:`` / ``if flag is None:``; (None, True) for any other test."""
    negated = False
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        test, negated = test.expression, True
    if type(test) is cst.Comparison and len(test.comparisons) == 1 and type(
            test.comparisons[0].comparator) is cst.Name and (
            test.comparisons[0].comparator.value == "None"):
        operator = test.comparisons[0].operator
        if type(operator) is cst.IsNot:
            test = test.left
        elif type(operator) is cst.Is:
            test, negated = test.left, not negated
        else:
            return None, True
    if type(test) is cst.Name and test.value in flags:
        return test.value, not negated
    return None, True


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
        if type(func) is cst.Attribute and dotted_name(func.value) == "self" and (
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
    if type(func) is cst.Attribute and func.attr.value in _MOMENTS and (
            ctx.qualname(func.value) is None):
        return func.value
    _, entry = ctx.callee(call)
    if entry is not None and R.MOMENT in entry.roles and call.args:
        return call.args[0].value
    return None


def _stored_on_self(ctx: FileContext, call: cst.Call) -> bool:
    """The statement around ``call`` assigns to ``self.<attr>`` (or an item of it)."""
    statement = ctx.index.statement_of(call)
    if type(statement) is cst.Assign:
        targets = [t.target for t in statement.targets]
    elif type(statement) in (cst.AnnAssign, cst.AugAssign):
        targets = [statement.target]
    else:
        return False
    return any(_root(t) == "self" for t in _unpacked(targets))


def _unpacked(targets: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
    """``self.mean, self.std = ...``: each element of a tuple target."""
    out: list[cst.BaseExpression] = []
    for target in targets:
        if type(target) in (cst.Tuple, cst.List):
            out += _unpacked([e.value for e in target.elements])
        else:
            out.append(target)
    return out


def _root(expr: cst.BaseExpression) -> str | None:
    while type(expr) in (cst.Attribute, cst.Subscript):
        expr = expr.value
    return expr.value if type(expr) is cst.Name else None
