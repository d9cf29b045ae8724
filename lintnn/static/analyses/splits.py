"""Where a scope splits data into train/test parts, and what was split after a point.

Shared by the leakage rules: statistics fitted (NN302) or rows resampled (NN307) on the
full data before it is split.
"""

from __future__ import annotations

import libcst as cst

from lintnn.static import knowledge
from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import (
    argument,
    dotted_name,
    float_value,
    keyword,
    names_in,
    positional,
    target_names,
)
from lintnn.static.syntax.project import SPLIT, CallFact, Requirement

# (source order of the split, names of the data it splits)
Split = tuple[int, set[str]]


def split_later(
    ctx: FileContext, node: cst.CSTNode, names: set[str], splits: list[Split],
    assigns: list[cst.Assign],
) -> bool:
    """One of ``names`` (data used at ``node``, or derived from it) is split after
    ``node``, and the name was not bound to unrelated data in between."""
    start = D.order(ctx, node)
    for at, sources in splits:
        for name in names & sources if at > start else ():
            if not any(
                start < D.order(ctx, a) < at and name in D.target_names(a)
                and not D.mentions(a.value, names) and not _filled_later(ctx, a, name, names, at)
                for a in assigns
            ):
                return True
    return False


def _filled_later(ctx: FileContext, assign: cst.Assign, name: str, names: set[str],
                  at: int) -> bool:
    """``name = []`` and then, before ``at``, ``name.append(<one of names>)``: the list is
    filled with the data (windows of a series), not bound to other data."""
    if not (type(assign.value) is cst.List and not assign.value.elements):
        return False
    start = D.order(ctx, assign)
    return any(start < D.order(ctx, call) < at and call.func.value.value == name  # type: ignore[attr-defined]
               and D.mentions(call.args[0].value, names)
               for call in _appends(ctx, ctx.scope_of(assign)))


def full_data_name(expr: cst.BaseExpression | None, training: bool = False) -> str | None:
    """A plain name of data that is not already one split (``X``, ``df``, ``features``);
    for a column selection (``df[cols]``, ``df["age"]``), the frame's name. Rows picked by
    a split's bound or indices (``X[:num_train_samples]``, ``X[train_idx]``) are one split.
    With ``training``, also a name that says training (``train``, ``X_train``): the caller
    then asks whether that training part is split again (``splits_in(..., slices=False)``)."""
    if type(expr) is cst.Subscript:
        if _picks_a_split(expr):
            return None
        expr = expr.value
    if type(expr) not in (cst.Name, cst.Attribute):
        return None
    name = dotted_name(expr)
    split = D.split_of(name)
    if name is None or (split is not None and not (training and D.clear_split(name) == D.TRAIN)):
        return None
    return name


# Row-preserving steps between a table and the estimator it is fitted on
# (``scaler.fit_transform(df.drop(columns=["y"]))``, ``X.reshape(-1, 1)``).
_ROW_PRESERVING = frozenset({"drop", "fillna", "select_dtypes", "astype", "reshape", "to_numpy",
                             "copy", "filter", "ravel", "flatten", "squeeze", "numpy",
                             "toarray", "todense", "float", "double", "dropna"})
_CONVERSIONS = frozenset({"array", "asarray", "DataFrame", "tensor", "as_tensor", "float32"})
# Calls that stack the rows of their parts (``pd.concat([train, test])``).
_COMBINING = frozenset({"concat", "concatenate", "vstack", "row_stack", "cat", "append"})


def fitted_data_name(expr: cst.BaseExpression, training: bool = False) -> str | None:
    """Like :func:`full_data_name`, through row-preserving steps and conversions
    (``df.drop(columns=["y"]).values``, ``np.array(X)``): the table they start from."""
    while True:
        if type(expr) is cst.Attribute and expr.attr.value == "values":
            expr = expr.value
            continue
        if type(expr) is not cst.Call:
            break
        func = expr.func
        args = positional(expr)
        if type(func) is cst.Attribute and func.attr.value in _ROW_PRESERVING:
            expr = func.value
        elif (dotted_name(func) or "").rsplit(".", 1)[-1] in _CONVERSIONS and args:
            expr = args[0]
        else:
            return None
    return full_data_name(expr, training)


def combines_rows(expr: cst.BaseExpression) -> bool:
    """``pd.concat([a, b])``, ``np.vstack((a, b))``, ``torch.cat([a, b])``, ``a.append(b)``:
    the rows of several parts stacked into one table (whatever the parts are named)."""
    if type(expr) is not cst.Call:
        return False
    last = (dotted_name(expr.func) or "").rsplit(".", 1)[-1]
    if last not in _COMBINING:
        return False
    args = positional(expr)
    if last == "append":
        return type(expr.func) is cst.Attribute and len(args) == 1
    return bool(args) and type(args[0]) in (cst.List, cst.Tuple) and (
        len(args[0].elements) >= 2)


def _picks_a_split(subscript: cst.Subscript) -> bool:
    for element in subscript.slice:
        part = element.slice
        bounds = [part.lower, part.upper] if type(part) is cst.Slice else (
            [part.value] if type(part) is cst.Index else [])
        for bound in bounds:
            if bound is not None and any(D.split_of(name.value) is not None
                                         for name in names_in(bound)):
                return True
    return False


def splits_in(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call],
              slices: bool = True) -> list[Split]:
    """:func:`_splits_in`, remembered per scope and list of calls (the leakage rules and
    the call facts all ask it of every scope); a new list each time."""
    memo: dict[tuple[int, int, bool], tuple[cst.CSTNode, list[cst.Call], list[Split]]] = \
        ctx.__dict__.setdefault("_splits_in", {})
    key = (id(scope), id(calls), slices)
    kept = memo.get(key)
    fact = ("splits-in", *key)
    if kept is not None and kept[0] is scope and kept[1] is calls:
        ctx.reads.replay(fact)
    else:
        with ctx.reads.computing(fact):
            kept = memo[key] = (scope, calls, _splits_in(ctx, scope, calls, slices))
    return list(kept[2])


def _splits_in(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call],
               slices: bool) -> list[Split]:
    """Where data is split in ``scope``, and the names of what is split: split functions
    and splitters, ``fit(..., validation_split=...)``, slices into named parts
    (``X_train = X[:n]``), and indexing with the parts of a split of indices
    (``tr, te = train_test_split(np.arange(n)); X[tr]``, ``for tr, te in kf.split(X)``).
    Without ``slices``, only split calls and their index parts: for a part named as training
    data, which is split again (``train_test_split(train)``, ``train_df.iloc[trn_idx]``)
    only by these (``X_train[:1000]`` may be a subsample)."""
    out: list[Split] = []
    indices: set[str] = set()
    for call in calls:
        splitter = _split_kind(ctx, call)
        if splitter is not None:
            names = {dotted_name(a) for a in positional(call)} - {None}
            out.append((D.order(ctx, call), names))  # type: ignore[arg-type]
            indices |= _index_parts(ctx, call, splitter)
        elif slices and _validation_split(call):
            # Keras holds out the last rows of the inputs and of the targets alike.
            held = {D.data_name(data) for data in (argument(call, 0, "x"), argument(call, 1, "y"))
                    if data is not None} - {None}
            if held:
                out.append((D.order(ctx, call), held))  # type: ignore[arg-type]
    if slices:
        out += _splits_by_callees(ctx, calls)
        out += _flag_parts(ctx, scope)
    if not slices and not indices:
        return out
    for assign in D.assignments_in(ctx, scope):
        named_part = slices and any(D.split_of(n) for n in D.target_names(assign))
        sliced = _sliced_names(assign.value) if named_part else set()
        sliced |= _indexed_names(assign.value, indices)
        sliced |= _parts_of(assign.value) if slices else set()
        if sliced:
            out.append((D.order(ctx, assign), sliced))
    for node in D.nodes_in_scope(ctx, cst.Return, scope):
        if node.value is not None:
            parts = _indexed_names(node.value, indices)
            parts |= _parts_of(node.value) if slices else set()
            if parts:
                out.append((D.order(ctx, node), parts))
    return out


def _splits_by_callees(ctx: FileContext, calls: list[cst.Call]) -> list[Split]:
    """Calls of a function of this file that splits a parameter
    (``def train(X, kf): for tr, va in kf.split(X)``): the call splits what it passes
    for it (``self.train(X_bal, kf)``)."""
    out: list[Split] = []
    for call in calls:
        fn = ctx.call_graph.target(call)
        split = _split_parameters(ctx, fn) if fn is not None else ()
        names = set()
        for param in split:
            passed = ctx.call_graph.argument_for(fn, param, call)  # type: ignore[arg-type]
            name = dotted_name(passed) if passed is not None else None
            if name is not None:
                names.add(name)
        if names:
            out.append((D.order(ctx, call), names))
    return out


def _split_parameters(ctx: FileContext, fn: cst.FunctionDef) -> list[cst.Param]:
    """The parameters ``fn`` itself splits (not through further calls), before any
    rebinding; remembered per function."""
    cache: dict[cst.FunctionDef, list[cst.Param]] = ctx.__dict__.setdefault(
        "_split_parameters", {})
    if fn in cache:
        return cache[fn]
    cache[fn] = []  # a recursive call sees no split
    calls = D.calls_by_scope(ctx).get(fn, [])
    splits = splits_in(ctx, fn, calls, slices=False) if calls else []
    splits += _named_parts(ctx, fn)
    if splits:
        assigns = D.assignments_in(ctx, fn)
        cache[fn] = [p for p in (*fn.params.posonly_params, *fn.params.params,
                                 *fn.params.kwonly_params)
                     if split_later(ctx, fn, {p.name.value}, splits, assigns)]
    return cache[fn]


def _named_parts(ctx: FileContext, fn: cst.FunctionDef) -> list[Split]:
    """``train, test = data[:n], data[n:]`` in ``fn``: slices of one name into parts named
    train / test (not ``x, y = seq[:-1], seq[1:]``, inputs and shifted targets)."""
    return [(D.order(ctx, assign), parts) for assign in D.assignments_in(ctx, fn)
            if any(D.split_of(n) for n in D.target_names(assign))
            and (parts := _parts_of(assign.value))]


def _flag_parts(ctx: FileContext, scope: cst.CSTNode) -> list[Split]:
    """``if train: self.data = X[:n]`` / ``else: self.data = X[n:]`` (or ``X[-m:]``): the two
    arms of a test on a train / eval flag bind one target to complementary slices of one
    name, so that name is split (at both assignments)."""
    out: list[Split] = []
    for node in D.nodes_in_scope(ctx, cst.If, scope):
        orelse = node.orelse
        if type(orelse) is not cst.Else or not _names_a_split(node.test):
            continue
        first, second = _slice_binding(node.body), _slice_binding(orelse.body)
        if (first is None or second is None or first[1:3] != second[1:3]
                or first[0] == second[0]):
            continue
        out += [(D.order(ctx, assign), {first[2]}) for assign in (first[3], second[3])]
    return out


def _names_a_split(test: cst.BaseExpression) -> bool:
    """``train_flag``, ``self.is_train``, ``mode == "test"``: a test that names a split."""
    if any(D.split_of(name.value) for name in names_in(test)):
        return True
    return any(type(s) is cst.SimpleString and D.split_of(str(s.evaluated_value))
               for s in _strings(test))


def _strings(node: cst.CSTNode) -> list[cst.CSTNode]:
    if type(node) is cst.SimpleString:
        return [node]
    return [s for child in iter_children(node) for s in _strings(child)]


def _slice_binding(
        block: cst.BaseSuite) -> tuple[str, str, str, cst.Assign] | None:
    """The one ``target = name[:n]`` (``"head"``) or ``target = name[n:]`` / ``name[-m:]``
    (``"tail"``) among a block's statements: (which end, target, name, assignment)."""
    found = []
    for statement in getattr(block, "body", ()):
        for small in getattr(statement, "body", ()) if type(
                statement) is cst.SimpleStatementLine else ():
            if type(small) is not cst.Assign or len(small.targets) != 1:
                continue
            end = _slice_end(small.value)
            target = dotted_name(small.targets[0].target)
            name = D.data_name(small.value.value) if end else None  # type: ignore[attr-defined]
            if end and target and name:
                found.append((end, target, name, small))
    return found[0] if len(found) == 1 else None


def _slice_end(expr: cst.BaseExpression) -> str | None:
    """``"head"`` for ``X[:n]``, ``"tail"`` for ``X[n:]``; None for any other expression."""
    if type(expr) is not cst.Subscript or len(expr.slice) != 1:
        return None
    part = expr.slice[0].slice
    if type(part) is not cst.Slice or part.step is not None:
        return None
    if part.lower is None and part.upper is not None:
        return "head"
    if part.upper is None and part.lower is not None:
        return "tail"
    return None


def _parts_of(expr: cst.BaseExpression) -> set[str]:
    """``X[:n], X[n:]`` (a tuple of two or more slices of one name): the name is split."""
    if type(expr) is not cst.Tuple:
        return set()
    counts: dict[str, int] = {}
    for element in expr.elements:
        for name in _sliced_names(element.value):
            counts[name] = counts.get(name, 0) + 1
    return {name for name, count in counts.items() if count >= 2}


def index_parts(ctx: FileContext, calls: list[cst.Call]) -> set[str]:
    """Names that hold the index parts of a split among ``calls`` (``X[tr]`` is one part
    of ``X``, not all of it)."""
    out: set[str] = set()
    for call in calls:
        splitter = _split_kind(ctx, call)
        if splitter is not None:
            out |= _index_parts(ctx, call, splitter)
    return out


def _split_kind(ctx: FileContext, call: cst.Call) -> bool | None:
    """True for ``splitter.split(X)`` (KFold & co), False for a split function
    (``train_test_split``), None for any other call."""
    _, entry = ctx.callee(call)
    if entry is not None and R.SPLIT_FUNCTION in entry.roles:
        return False
    if (type(call.func) is cst.Attribute and call.func.attr.value == "split"
            and _names_splitters(ctx)):
        receiver = ctx.value(call.func.value)
        if receiver is not None and receiver.has(R.SPLITTER):
            return True
    return None


def _validation_split(call: cst.Call) -> bool:
    """``model.fit(x, y, validation_split=0.2)``: keras holds out the last rows of ``x``."""
    if not (type(call.func) is cst.Attribute and call.func.attr.value == "fit"):
        return False
    fraction = keyword(call, "validation_split")
    return fraction is not None and float_value(fraction) not in (None, 0.0)


def _index_parts(ctx: FileContext, call: cst.Call, splitter: bool) -> set[str]:
    """Names bound to the index parts a split yields: ``tr, te = train_test_split(idx)``
    over an index array, and the targets of ``for tr, te in kf.split(X)``."""
    if splitter:
        for ancestor in ctx.index.ancestors(call):
            if type(ancestor) is cst.For and ctx.index.is_inside(call, ancestor.iter):
                return set(target_names(ancestor.target))
            if isinstance(ancestor, cst.BaseStatement):
                return set()
        return set()
    args = positional(call)
    if not args or not _is_index_array(args[0]):
        return set()
    parent = ctx.index.parent(call)
    if type(parent) is cst.Assign and parent.value is call:
        return {n for t in parent.targets for n in target_names(t.target)}
    return set()


def _is_index_array(expr: cst.BaseExpression) -> bool:
    """``np.arange(n)``, ``range(n)``, ``list(range(n))``, ``indices``, ``df.index``."""
    name = dotted_name(expr.func) if type(expr) is cst.Call else dotted_name(expr)
    if name is None:
        return False
    last = name.rsplit(".", 1)[-1].lower()
    if type(expr) is cst.Call and last in ("list", "array", "asarray") and expr.args:
        return _is_index_array(expr.args[0].value)
    return last in ("arange", "range", "index", "indices", "idx", "ids", "indexes")


def _indexed_names(expr: cst.CSTNode, indices: set[str]) -> set[str]:
    """``X[tr]``, ``df.iloc[tr]``: the names indexed by one of ``indices``."""
    out: set[str] = set()
    if not indices:  # most scopes split nothing by index: no walk (``children`` is costly)
        return out
    if type(expr) is cst.Subscript and len(expr.slice) >= 1:
        first = expr.slice[0].slice
        if type(first) is cst.Index and dotted_name(first.value) in indices:
            name = D.data_name(expr.value)
            if name is not None:
                out.add(name)
    for child in iter_children(expr):
        out |= _indexed_names(child, indices)
    return out


def _names_splitters(ctx: FileContext) -> bool:
    """The file names a KFold, ShuffleSplit...: else the dataflow is skipped for the many
    ``str.split`` calls. Searched once per file, not once per scope."""
    found = ctx.__dict__.get("_names_splitters")
    if found is None:
        found = ctx.__dict__["_names_splitters"] = "Fold" in ctx.source or "Split" in ctx.source
    return found


def _sliced_names(expr: cst.CSTNode) -> set[str]:
    """``X[:n]``, ``df.iloc[n:]``: the names sliced by a start/stop slice (not ``X[:, 0]``,
    every row of a column)."""
    out: set[str] = set()
    if type(expr) is cst.Subscript and len(expr.slice) >= 1:
        first = expr.slice[0].slice
        if type(first) is cst.Slice and first.step is None and (
                first.lower is not None or first.upper is not None):
            name = D.data_name(expr.value)
            if name is not None:
                out.add(name)
    for child in iter_children(expr):
        out |= _sliced_names(child)
    return out


def assigned_names(assign: cst.Assign) -> set[str]:
    """Assigned names; for ``df[cols] = ...`` and ``X[:, i] = ...``, the frame or array."""
    names = set(D.target_names(assign))
    for target in assign.targets:
        if type(target.target) is cst.Subscript:
            base = dotted_name(target.target.value)
            if base is not None:
                names.add(base)
    return names


def carried(ctx: FileContext, call: cst.CSTNode, names: frozenset[str],
             assigns: list[cst.Assign]) -> frozenset[str]:
    """``names`` and every name later computed from them in the scope (``X = df.drop(...)``
    after ``df[cols] = scaler.fit_transform(df[cols])``): what was done to the data at
    ``call`` (statistics, resampled rows) travels with them."""
    carried = set(names)
    start = D.order(ctx, call)
    scope = call if type(call) is cst.FunctionDef else ctx.scope_of(call)
    steps: list[cst.CSTNode] = [*assigns, *_appends(ctx, scope)]
    steps.sort(key=lambda node: D.order(ctx, node))
    for step in steps:
        if D.order(ctx, step) <= start or not carried:
            continue
        if type(step) is cst.Call:  # ``windows.append(X[i:i + n])``
            if D.mentions(step.args[0].value, carried):
                carried.add(step.func.value.value)  # type: ignore[attr-defined]
        elif D.mentions(step.value, carried) and not _scalar(step.value):  # type: ignore[attr-defined]
            carried |= assigned_names(step)  # type: ignore[arg-type]
    return frozenset(carried)


def _appends(ctx: FileContext, scope: cst.CSTNode) -> list[cst.Call]:
    """``rows.append(x)`` / ``rows.extend(x)`` statements of ``scope``: a list built from
    data holds that data (``windows.append(series[i:i + n])``, then ``np.array(windows)``)."""
    return [call for call in D.calls_by_scope(ctx).get(scope, ())
            if type(call.func) is cst.Attribute and type(call.func.value) is cst.Name
            and call.func.attr.value in ("append", "extend") and len(call.args) == 1
            and call.args[0].keyword is None and type(ctx.index.parent(call)) is cst.Expr]


def _scalar(expr: cst.BaseExpression) -> bool:
    """``len(X)``, ``X.shape[0]``: a number computed from the data, not the data."""
    if type(expr) is cst.Call and dotted_name(expr.func) in ("len", "int", "float"):
        return True
    return type(expr) in (cst.Subscript, cst.Attribute) and "shape" in (
        dotted_name(expr.value if type(expr) is cst.Subscript else expr) or "")


# Across functions and files -------------------------------------------------------------

def project_function(ctx: FileContext, call: cst.Call) -> str | None:
    """The qualified name of the project function ``call`` calls: one of this file
    (``helper(...)``, ``self.prepare(...)``) or one imported from the project
    (``from processor import prepare_data``); None for frameworks and anything unknown."""
    fn = ctx.call_graph.target(call)
    if fn is not None:
        return function_qualname(ctx, fn)
    qualname = ctx.qualname(call.func)
    if qualname is None or knowledge.is_framework_name(qualname) or (
            qualname.split(".")[0] in knowledge.KNOWN_ROOTS):
        return None
    return qualname


def function_qualname(ctx: FileContext, fn: cst.FunctionDef) -> str:
    owner = ctx.index.enclosing_class(fn)
    local = f"{owner.name.value}.{fn.name.value}" if owner is not None else fn.name.value
    return f"{ctx.module_name}.{local}" if ctx.module_name else local


def call_facts(ctx: FileContext) -> list[CallFact]:
    """For each call of a project function whose result this file splits afterwards, the
    positions of the result that are split (``X, y = prepare(df)`` then
    ``train_test_split(X, y)``): the leakage rules ask them of the function's callers."""
    facts: list[CallFact] = []
    for scope, calls in D.calls_by_scope(ctx).items():
        called = [(call, function) for call in calls
                  if _assigned(ctx, call) and (function := project_function(ctx, call))]
        splits = splits_in(ctx, scope, calls) if called else []
        if not splits:
            continue
        assigns = D.assignments_in(ctx, scope)
        for call, function in called:
            positions = _split_positions(ctx, call, splits, assigns)
            if positions:
                facts.append(CallFact(function, SPLIT, positions))
    return facts


def _assigned(ctx: FileContext, call: cst.Call) -> bool:
    """``call``'s result is assigned to one target (whose parts a split may take)."""
    parent = ctx.index.parent(call)
    return type(parent) is cst.Assign and parent.value is call and len(parent.targets) == 1


def _split_positions(ctx: FileContext, call: cst.Call, splits: list[Split],
                     assigns: list[cst.Assign]) -> tuple[int, ...]:
    parent = ctx.index.parent(call)
    if type(parent) is not cst.Assign or parent.value is not call or len(parent.targets) != 1:
        return ()
    target = parent.targets[0].target
    named: list[tuple[int, str]] = []
    if type(target) in (cst.Tuple, cst.List):
        for position, element in enumerate(target.elements):
            name = dotted_name(element.value)
            if name is not None:
                named.append((position, name))
    elif (name := dotted_name(target)) is not None:
        named.append((-1, name))
    return tuple(p for p, name in named if split_later(ctx, call, {name}, splits, assigns))


def returned_positions(ctx: FileContext, fn: cst.FunctionDef, names: set[str]) -> set[int]:
    """The positions of ``fn``'s result that hold one of ``names`` (-1: the whole result),
    over every ``return`` of the function itself."""
    positions: set[int] = set()
    for node in ctx.index.within(ctx.index.returns, fn):
        if ctx.index.enclosing_function(node) is not fn or node.value is None:
            continue
        value = node.value
        if type(value) in (cst.Tuple, cst.List):
            for position, element in enumerate(value.elements):
                if D.mentions(element.value, names):
                    positions.add(position)
        elif D.mentions(value, names):
            positions.add(-1)
    return positions


def split_by_a_caller(ctx: FileContext, fn: cst.FunctionDef,
                      carried: set[str]) -> Requirement | None:
    """``fn`` returns the data (fitted, resampled) and a caller splits that part of its result
    (in this file or another: ``X, y = prepare_data(df)`` then ``train_test_split(X, y)``),
    as a requirement the project's call facts settle."""
    positions = sorted(returned_positions(ctx, fn, carried))
    if not positions:
        return None
    function = function_qualname(ctx, fn)
    first, *rest = (Requirement(function, SPLIT, str(p), str(ctx.path)) for p in positions)
    if positions == [-1]:
        rest += _passed_on(ctx, fn, {fn})
    return Requirement(first.class_qualname, first.fact, first.role, first.near, tuple(rest))


_PASS_ON_DEPTH = 3


def _returns_whole(ctx: FileContext, outer: cst.FunctionDef, call: cst.Call) -> bool:
    """``outer`` returns what ``call`` returned, whole: ``return f(x)``, or ``y = f(x)``
    and every return of ``outer`` is ``y`` (or made from it)."""
    statement = ctx.index.statement_of(call)
    if type(statement) is cst.Return:
        return statement.value is call
    if not (type(statement) is cst.Assign and statement.value is call
            and len(statement.targets) == 1
            and type(statement.targets[0].target) is cst.Name):
        return False
    return returned_positions(ctx, outer, {statement.targets[0].target.value}) == {-1}


def _passed_on(ctx: FileContext, fn: cst.FunctionDef,
               seen: set[cst.FunctionDef]) -> list[Requirement]:
    """Functions of this file that return ``fn``'s whole result as theirs
    (``def load(): db = preprocess(db); return db``): a caller splitting their result
    splits ``fn``'s. Followed a few calls up."""
    out: list[Requirement] = []
    for call in ctx.call_graph.callers(fn):
        outer = ctx.index.enclosing_function(call)
        if outer is None or outer in seen or len(seen) > _PASS_ON_DEPTH:
            continue
        if not _returns_whole(ctx, outer, call):
            continue
        out.append(Requirement(function_qualname(ctx, outer), SPLIT, "-1", str(ctx.path)))
        out += _passed_on(ctx, outer, seen | {outer})
    return out


# Helpers that fit statistics on what they are given -------------------------------------

def split_of_data(ctx: FileContext, expr: cst.BaseExpression | None,
                  at: cst.CSTNode) -> str | None:
    """The split (``D.TRAIN``, ``D.EVAL``) the data ``expr`` holds, by its name or, for a
    name that says none, by the one it was last bound from (``X_t = test_data.values``:
    ``X_t`` holds test data); None when neither says."""
    name = D.data_name(expr)
    split = D.clear_split(name)
    if split is not None or name is None:
        return split
    base = expr
    while type(base) in (cst.Subscript, cst.Attribute) and type(base) is not cst.Name:
        base = base.value
    if type(base) is not cst.Name:
        return None
    value = ctx.assigned_value(base.value, ctx.index.statement_of(at))
    return D.clear_split(D.data_name(value)) if value is not None else None


def fitted_parameters(ctx: FileContext, fn: cst.FunctionDef) -> dict[str, cst.Call]:
    """The parameters of ``fn`` whose data a statistics estimator fits inside ``fn`` (itself,
    or what ``fn`` computed from it: ``X = data[:, cols]``, then ``scaler.fit(X)``), each
    with the first such fit; remembered per function."""
    cache: dict[cst.FunctionDef, dict[str, cst.Call]] = ctx.__dict__.setdefault(
        "_fitted_parameters", {})
    if fn in cache:
        return cache[fn]
    out: dict[str, cst.Call] = {}
    calls = D.calls_by_scope(ctx).get(fn, [])
    fits = [(call, data) for call in calls if (data := D.fitted_data(ctx, call)) is not None]
    if fits:
        assigns = D.assignments_in(ctx, fn)
        for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
            holding = carried(ctx, fn, frozenset({param.name.value}), assigns)
            found = next((call for call, data in fits if D.mentions(data, set(holding))), None)
            if found is not None:
                out[param.name.value] = found
    cache[fn] = out
    return out


def fold_splitter(ctx: FileContext, loop: cst.For) -> str | None:
    """The splitter class whose folds ``loop`` walks (``"KFold"`` for
    ``for tr, va in kfold.split(X)``, also through ``enumerate``/``list`` or a name bound to
    the split before the loop: ``folds = list(skf.split(X, y))``); None for other loops."""
    sources: list[cst.CSTNode] = [loop.iter]
    for name in D.iterated_names(loop.iter):
        value = ctx.assigned_value(name, loop)
        if value is not None:
            sources.append(value)
    for source in sources:
        for call in D.calls_in(ctx, source):
            if not (type(call.func) is cst.Attribute and call.func.attr.value == "split"):
                continue
            receiver = ctx.value(call.func.value)
            if receiver is not None and receiver.has(R.SPLITTER):
                return (receiver.qualname or "").rsplit(".", 1)[-1]
    return None

