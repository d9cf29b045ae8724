"""Shared analysis for data rules: which names hold training or evaluation data, which
loops train, and what a data expression is called.

Training code says which split a value holds in its names (``X_train``, ``val_loader``,
``test_transform``, ``def train_dataloader``); the data rules read those names. A name
that says nothing about its split gives ``None``, and rules stay silent on ``None``.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from typing import Any

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    has_star_args,
    keyword,
    positional,
)

TRAIN = "train"
EVAL = "eval"

_EVAL_WORDS = frozenset({"val", "vali", "valid", "validation", "validate", "test", "testing",
                         "eval", "evaluation", "evaluate", "holdout", "heldout"})
_EVAL_PREFIXES = ("valid", "test", "eval", "holdout")
# ``valset``, ``valloader``: "val" glued to a data word (but not "value", "valuation").
_GLUED_SUFFIXES = frozenset({"set", "loader", "ds", "data", "dataset", "dl", "iter", "x", "y",
                             "gen", "sampler", "transform", "transforms", "tf", "split",
                             "idx", "indices", "images", "labels", "df", "batch", "batches"})
_TRAIN_WORDS = frozenset({"tr", "trn"})
_LABEL_WORDS = frozenset({"y", "ys", "label", "labels", "lbl", "lbls", "target", "targets",
                          "gt", "classes", "class", "answer", "answers"})
_INPUT_WORDS = frozenset({"x", "xs", "input", "inputs", "feature", "features", "feats", "data",
                          "image", "images", "img", "imgs", "sample", "samples", "example",
                          "examples", "text", "texts", "sentences", "tokens", "sequences",
                          "seqs", "audio", "signals", "points", "documents", "docs"})
# Ordered data (time series, sequences): the order may be the point, so loaders over it
# are not asked to shuffle.
_ORDERED_WORDS = frozenset({"time", "timeseries", "series", "seq", "sequence", "sequences",
                            "sequential", "temporal", "stream", "streaming", "ordered",
                            "sorted", "window", "windows", "forecast", "chronological"})
# Data that is random by construction: its order carries no information.
_RANDOM_DATA_WORDS = frozenset({"random", "dummy", "fake", "synthetic", "noise", "boring"})
# Deliberate debugging with one batch.
_DEBUG_WORDS = frozenset({"overfit", "sanity", "single", "one", "debug", "fixed", "tiny",
                          "smoke"})

FIT_METHODS = frozenset({"fit", "fit_transform", "partial_fit"})
# Calls inside a loop that mean the loop takes optimization steps.
STEP_METHODS = frozenset({"backward", "step", "apply_gradients", "apply_updates",
                           "train_on_batch", "minimize", "manual_backward"})
STEP_FUNCTIONS = frozenset({"train_step", "training_step", "train_batch", "update_step",
                             "train_on_batch", "sgd_step", "update", "step", "apply_updates",
                             "value_and_grad", "grad"})
# Step functions that, called as a method, are mostly something else: a meter's or a
# progress bar's ``update`` (``losses.update(loss.item(), n)``, ``pbar.update(1)``), a dict's.
_NOT_STEP_METHODS = frozenset({"update"})
_CONVERSIONS = frozenset({"array", "asarray", "tensor", "as_tensor", "from_numpy",
                          "asanyarray", "ascontiguousarray", "DataFrame", "Tensor"})
_PASSTHROUGH = frozenset({"reshape", "astype", "to_numpy", "copy", "float", "double", "to",
                          "numpy", "squeeze", "unsqueeze", "flatten", "view", "cpu", "cuda",
                          "toarray", "todense", "ravel", "long", "int", "values", "iloc", "loc"})
# Methods that return their receiver's data converted or moved (``x.to(device)``).
PASSTHROUGH_METHODS = _PASSTHROUGH


def words(name: str) -> list[str]:
    """``valLoader_2`` -> ``["val", "loader", "2"]``."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        out.extend(w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", part))
    return out


def _is_eval_word(word: str) -> bool:
    if word in _EVAL_WORDS or word.startswith(_EVAL_PREFIXES):
        return True
    return word.startswith("val") and word[3:] in _GLUED_SUFFIXES


def glued_to_data(word: str, prefix: str) -> bool:
    """``testloader``, ``testset``: ``prefix`` glued to a data word."""
    return word.startswith(prefix) and word[len(prefix):] in _GLUED_SUFFIXES


def _is_train_word(word: str) -> bool:
    return word in _TRAIN_WORDS or word.startswith("train") or word in ("pretrain", "pretraining")


def split_of(name: str | None) -> str | None:
    """``TRAIN``, ``EVAL`` (validation/test/holdout), or None when the name does not say.

    A name that mentions both (``train_val_split``) is never training.
    """
    if not name:
        return None
    found = words(name)
    if any(_is_eval_word(w) for w in found):
        return EVAL
    if any(_is_train_word(w) for w in found):
        return TRAIN
    return None


def clear_split(name: str | None) -> str | None:
    """Like :func:`split_of`, but None for names that mention both (``trainval``)."""
    if not name:
        return None
    found = words(name)
    is_eval = any(_is_eval_word(w) for w in found)
    is_train = any(_is_train_word(w) for w in found)
    if is_eval == is_train:
        return None
    return EVAL if is_eval else TRAIN


def has_word(name: str | None, vocabulary: frozenset[str]) -> bool:
    return bool(name) and any(w in vocabulary for w in words(name))  # type: ignore[arg-type]


def is_label_name(name: str | None) -> bool:
    """``y``, ``y_train``, ``labels``, ``targets``: the labels of a data set."""
    return has_word(name, _LABEL_WORDS)


def is_input_name(name: str | None) -> bool:
    """``X``, ``x_train``, ``images``, ``features`` (and not a label name)."""
    return has_word(name, _INPUT_WORDS) and not is_label_name(name)


def is_ordered_name(name: str | None) -> bool:
    """Names of time series and sequences, where the order may be deliberate."""
    return has_word(name, _ORDERED_WORDS)


def is_random_data_name(name: str | None) -> bool:
    """``RandomDataset``, ``dummy_data``, ``fake_train``: samples drawn at random."""
    return has_word(name, _RANDOM_DATA_WORDS)


def is_test_module(ctx: FileContext) -> bool:
    """Unit tests pin the data order on purpose, to assert exact numbers."""
    return ctx.is_test_file


def is_debug_name(name: str | None) -> bool:
    """``overfit_batch``, ``single_batch``, ``sanity_check``: deliberate one-batch runs."""
    return has_word(name, _DEBUG_WORDS)


def data_name(expr: cst.BaseExpression | None) -> str | None:
    """The name that says what ``expr`` holds: ``X_test.values`` -> ``X_test``,
    ``data["val"]`` -> ``data val``, ``np.asarray(X_train)`` -> ``X_train``."""
    if expr is None:
        return None
    if type(expr) in (cst.Name, cst.Attribute):
        if type(expr) is cst.Attribute and expr.attr.value in _PASSTHROUGH:
            return data_name(expr.value)
        return dotted_name(expr)
    if type(expr) is cst.Subscript:
        base = data_name(expr.value)
        keys = [e.slice.value for e in expr.slice if type(e.slice) is cst.Index]
        key = keys[0] if len(keys) == 1 and type(keys[0]) is cst.SimpleString else None
        if key is not None:
            return f"{base or ''} {key.evaluated_value}".strip()
        return base
    if type(expr) is cst.Call:
        func = expr.func
        if type(func) is cst.Attribute and func.attr.value in _PASSTHROUGH:
            return data_name(func.value)
        callee = dotted_name(func)
        args = positional(expr)
        if callee is not None and callee.rsplit(".", 1)[-1] in _CONVERSIONS and args:
            return data_name(args[0])
        return callee
    return None


def assigned_name(ctx: FileContext, node: cst.CSTNode) -> str | None:
    """The single name an expression is assigned to (``a = <node>``, also ``a, b = <node>,
    <other>``), if any."""
    parent = ctx.index.parent(node)
    if type(parent) is cst.Element and parent.value is node:
        values = ctx.index.parent(parent)
        assign = ctx.index.parent(values) if values is not None else None
        if type(values) is cst.Tuple and type(assign) is cst.Assign and (
            len(assign.targets) == 1 and type(assign.targets[0].target) is cst.Tuple
        ):
            targets = assign.targets[0].target.elements  # type: ignore[attr-defined]
            position = values.elements.index(parent)
            if len(targets) == len(values.elements):
                return dotted_name(targets[position].value)
        return None
    if type(parent) is cst.Assign and parent.value is node and len(parent.targets) == 1:
        return dotted_name(parent.targets[0].target)
    if type(parent) is cst.AnnAssign and parent.value is node:
        return dotted_name(parent.target)
    return None


def function_name(ctx: FileContext, node: cst.CSTNode) -> str | None:
    fn = ctx.index.enclosing_function(node)
    return fn.name.value if fn is not None else None


def nodes_of(ctx: FileContext, kind: type[cst.CSTNode]) -> list[cst.CSTNode]:
    """Every node of one type in the file, in source order (from the index, no new walk:
    a libcst visit costs as much as the index build)."""
    cache: dict[type, list[cst.CSTNode]] | None = getattr(ctx, "_data_nodes", None)
    if cache is None:
        cache = {}
        for node in ctx.index.parents:
            cache.setdefault(type(node), []).append(node)
        ctx._data_nodes = cache  # type: ignore[attr-defined]
    return cache.get(kind, [])


def nodes_in_scope(ctx: FileContext, kind: type[cst.CSTNode], scope: cst.CSTNode) -> list:
    """Nodes of one type whose scope (function or module) is ``scope``, in source order."""
    cache: dict[type, dict[cst.CSTNode, list[cst.CSTNode]]] | None = getattr(
        ctx, "_data_scoped", None)
    if cache is None:
        cache = {}
        ctx._data_scoped = cache  # type: ignore[attr-defined]
    grouped = cache.get(kind)
    if grouped is None:
        grouped = {}
        for node in nodes_of(ctx, kind):
            grouped.setdefault(ctx.scope_of(node), []).append(node)
        cache[kind] = grouped
    return grouped.get(scope, [])


def assignments_in(ctx: FileContext, scope: cst.CSTNode) -> list[cst.Assign]:
    """Every ``a = ...`` of a scope, in source order (not in nested functions)."""
    return nodes_in_scope(ctx, cst.Assign, scope)


def descendants(ctx: FileContext, container: cst.CSTNode, kind: type[cst.CSTNode]) -> list:
    """Nodes of ``kind`` inside ``container``, in its scope (not in nested functions)."""
    return [n for n in nodes_in_scope(ctx, kind, ctx.scope_of(container))
            if ctx.index.is_inside(n, container)]


def target_names(assign: cst.Assign) -> set[str]:
    from lintnn.static.syntax.nodes import target_names as names

    return {n for t in assign.targets for n in names(t.target)}


def mentions(node: cst.CSTNode, names: set[str]) -> bool:
    """True when ``node`` reads one of ``names`` (plain or dotted)."""
    if type(node) in (cst.Name, cst.Attribute):
        dotted = dotted_name(node)
        if dotted is not None and dotted in names:
            return True
    return any(mentions(child, names) for child in iter_children(node))


def calls_in(ctx: FileContext, node: cst.CSTNode) -> list[cst.Call]:
    """Every call inside ``node`` (not inside nested functions)."""
    scope = ctx.scope_of(node)
    return [call for call in calls_by_scope(ctx).get(scope, ())
            if ctx.index.is_inside(call, node)]


def is_training_loop(ctx: FileContext, loop: cst.CSTNode) -> bool:
    """A loop whose body takes optimization steps (``loss.backward()``, ``opt.step()``,
    ``optax.apply_updates``, ``train_step(...)``)."""
    return any(_is_step_call(call) for call in calls_in(ctx, loop))


def _is_step_call(call: cst.Call) -> bool:
    """A call that takes an optimization step (see :func:`is_training_loop`)."""
    func = call.func
    if type(func) is cst.Attribute and func.attr.value in STEP_METHODS:
        return True
    name = dotted_name(func)
    return name is not None and name.rsplit(".", 1)[-1] in STEP_FUNCTIONS and not (
        type(func) is cst.Attribute and func.attr.value in _NOT_STEP_METHODS)


def loops_over(ctx: FileContext, name: str, scope: cst.CSTNode) -> Iterator[cst.For]:
    """``for ... in <name>`` (also ``enumerate(name)``, ``tqdm(name)``) inside ``scope``."""
    for loop in ctx.index.loops:
        if type(loop) is not cst.For or ctx.scope_of(loop) is not scope:
            continue
        if name in iterated_names(loop.iter):
            yield loop


def iterated_names(expr: cst.BaseExpression) -> set[str]:
    """Names a ``for`` iterates over, through ``enumerate``/``tqdm``/``zip`` wrappers."""
    names: set[str] = set()
    dotted = dotted_name(expr)
    if dotted is not None:
        names.add(dotted)
    elif type(expr) is cst.Call:
        for arg in positional(expr):
            names |= iterated_names(arg)
    return names


def is_permutation_call(ctx: FileContext, call: cst.Call) -> bool:
    """``np.random.permutation``, ``torch.randperm``, ``rng.permutation``, ``random.shuffle``,
    ``np.random.shuffle``, ``rng.shuffle``, ``sklearn.utils.shuffle``..."""
    _, entry = ctx.callee(call)
    if entry is not None and entry.roles & {R.PERMUTATION, R.SHUFFLE_IN_PLACE}:
        return True
    func = call.func
    return type(func) is cst.Attribute and func.attr.value in (
        "permutation", "shuffle", "permuted", "randperm"
    )


def calls_by_scope(ctx: FileContext) -> dict[cst.CSTNode, list[cst.Call]]:
    """Every call of the file grouped by its scope (function or module), in source order."""
    cache: dict[cst.CSTNode, list[cst.Call]] | None = getattr(ctx, "_data_calls", None)
    if cache is None:
        cache = {}
        for call in ctx.index.calls:
            cache.setdefault(ctx.scope_of(call), []).append(call)
        ctx._data_calls = cache  # type: ignore[attr-defined]
    return cache


def order(ctx: FileContext, node: cst.CSTNode) -> int:
    """Source order of a node (pre-order position), for "before"/"after" questions."""
    cache: dict[cst.CSTNode, int] | None = getattr(ctx, "_data_order", None)
    if cache is None:
        # The index records parents in pre-order, which is source order.
        cache = {node: i for i, node in enumerate(ctx.index.parents, start=1)}
        ctx._data_order = cache  # type: ignore[attr-defined]
    return cache.get(node, 0)


def fitted_data(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The data a statistics estimator is fitted on: ``scaler.fit(X)`` -> ``X``.

    Covers ``fit``/``fit_transform``/``partial_fit`` on sklearn scalers and keras
    ``Normalization.adapt``; None for pipelines and anything unknown.
    """
    func = call.func
    if type(func) is not cst.Attribute:
        return None
    method = func.attr.value
    if method not in FIT_METHODS and method != "adapt":
        return None
    receiver = ctx.value(func.value)
    if receiver is None or receiver.kind is not Kind.INSTANCE:
        return None
    if receiver.has(R.PIPELINE):
        # fitted with a target (``pipe.fit(X, y)``) it is used as a model
        with_target = len(positional(call)) > 1 or keyword(call, "y") is not None
        if method == "adapt" or with_target or not _preprocessing_pipeline(
                ctx, receiver.qualname, receiver.node):
            return None
    elif not receiver.has(R.ADAPTS_STATISTICS if method == "adapt" else R.FITS_STATISTICS):
        return None
    return argument(call, 0, "data" if method == "adapt" else "X")


def _preprocessing_pipeline(ctx: FileContext, qualname: str | None,
                            built: cst.CSTNode | None) -> bool:
    """A pipeline whose last step learns statistics (``make_pipeline(SimpleImputer(),
    StandardScaler())``, ``Pipeline([..., ("scale", StandardScaler())])``), or a column
    transformer with such a step: it only preprocesses, so its ``fit`` fits statistics,
    not a model."""
    if type(built) is cst.Call and qualname in _COLUMN_TRANSFORMERS:
        return any(_learns_statistics(ctx, step) for step in _column_steps(built, qualname))
    if type(built) is not cst.Call or qualname not in (
            "sklearn.pipeline.make_pipeline", "sklearn.pipeline.Pipeline"):
        return False
    args = positional(built)
    if qualname.endswith("make_pipeline"):
        last = args[-1] if args else None
    else:
        steps = argument(built, 0, "steps")
        final = steps.elements[-1].value if type(steps) in (cst.List, cst.Tuple) and (
            steps.elements) else None
        last = final.elements[-1].value if type(final) is cst.Tuple and (
            final.elements) else None
    return last is not None and _learns_statistics(ctx, last)


_COLUMN_TRANSFORMERS = ("sklearn.compose.ColumnTransformer",
                        "sklearn.compose.make_column_transformer")


def _column_steps(built: cst.Call, qualname: str) -> list[cst.BaseExpression]:
    """The estimators of ``ColumnTransformer([("num", StandardScaler(), cols), ...])`` or
    ``make_column_transformer((StandardScaler(), cols), ...)`` written as literals."""
    if qualname.endswith("make_column_transformer"):
        items, at = [a.value for a in built.args if a.keyword is None and not a.star], 0
    else:
        listed = argument(built, 0, "transformers")
        items = [e.value for e in listed.elements] if type(
            listed) in (cst.List, cst.Tuple) else []
        at = 1
    return [item.elements[at].value for item in items
            if type(item) is cst.Tuple and len(item.elements) > at]


def _learns_statistics(ctx: FileContext, step: cst.BaseExpression) -> bool:
    """A step that fits statistics: a scaler, imputer, ... or a preprocessing pipeline."""
    value = ctx.value(step)
    if value is None or value.kind is not Kind.INSTANCE:
        return False
    return value.has(R.FITS_STATISTICS) or (value.has(R.PIPELINE) and _preprocessing_pipeline(
        ctx, value.qualname, value.node))


def reads_of(ctx: FileContext, name: str, region: cst.CSTNode) -> Iterator[cst.Name]:
    """Every occurrence of the plain ``name`` inside ``region`` (nested functions included)
    that is not the target of an assignment: reads, and anything this cannot tell apart
    from a read (parameters, ``global``, attribute names), which keeps callers silent."""
    for node in nodes_of(ctx, cst.Name):
        if node.value != name or not ctx.index.is_inside(node, region):  # type: ignore[attr-defined]
            continue
        child: cst.CSTNode = node
        parent = ctx.index.parent(node)
        while type(parent) in (cst.Element, cst.Tuple, cst.List, cst.StarredElement):
            child, parent = parent, ctx.index.parent(parent)
        if type(parent) is cst.AssignTarget and parent.target is child:
            continue
        yield node  # type: ignore[misc]


# How a loader is used -------------------------------------------------------------------

TRAINS = "trains"  # a training loop iterates it (here or in a function it is passed to)
INSPECTS = "inspects"  # only evaluation loops, ``next(iter(...))``, ``len``, attributes
UNKNOWN = "unknown"  # returned, stored, passed to code the analysis cannot read

# Calls that look at a loader without training on it.
_INSPECTING_CALLS = frozenset({"iter", "next", "len", "print", "enumerate", "list", "type",
                               "isinstance", "repr", "str"})
_MAX_USE_DEPTH = 3


def loader_uses(ctx: FileContext, loader: cst.Call) -> set[str]:
    """How the loader (or data set) that ``loader`` builds is used; the evidence of use
    outweighs what its name says (a ``val_trainloader`` that feeds ``backward()`` trains,
    a ``train_loader`` only peeked at with ``next(iter(...))`` does not). Empty when the
    file never reads it (another module may import it)."""
    name = assigned_name(ctx, loader)
    if name is None:
        return {_use_of(ctx, loader, 0)}
    if "." in name:
        return {UNKNOWN}  # ``self.loader``: used wherever the object goes
    return _uses_of_name(ctx, name, ctx.scope_of(loader), 0, loader)


def _uses_of_name(ctx: FileContext, name: str, scope: cst.CSTNode, depth: int,
                  bound_at: cst.CSTNode | None = None, site: cst.Call | None = None) -> set[str]:
    """Uses of the value ``name`` holds in ``scope``; with ``bound_at``, only the reads that
    no later assignment of ``name`` comes between (in source order), and none before it in
    straight-line code; with ``site``, ``scope`` is the function that call runs."""
    rebinds = [order(ctx, a) for a in assignments_in(ctx, scope)
               if name in target_names(a)] if bound_at is not None else []
    start = order(ctx, bound_at) if bound_at is not None else 0
    uses: set[str] = set()
    for read in reads_of(ctx, name, scope):
        if type(ctx.index.parent(read)) in (cst.Param, cst.NameItem):
            continue  # the parameter's own declaration, ``global name``
        at = order(ctx, read)
        if any(start < rebind < at for rebind in rebinds):
            continue  # reads a later binding of the name
        inner = ctx.scope_of(read)
        if bound_at is not None and at < start and inner is scope and not _shares_loop(
                ctx, read, bound_at):
            continue  # read before the binding, in straight-line code: an earlier value
        if inner is not scope and type(inner) is cst.FunctionDef and (
            name in ctx.flow(inner).local_names
        ):
            continue  # a local of the same name in a nested function
        uses.add(_use_of(ctx, read, depth, site))
    return uses


def _shares_loop(ctx: FileContext, first: cst.CSTNode, second: cst.CSTNode) -> bool:
    """Both nodes sit in one loop of their scope: a later pass runs the first after the
    second."""
    return bool(set(ctx.index.enclosing_loops(first)) & set(ctx.index.enclosing_loops(second)))


# Calls whose result iterates the loader's batches (``for i, b in tqdm(enumerate(loader))``,
# ``for x, y in list(loader)``).
_ITERATING_WRAPPERS = frozenset({"enumerate", "tqdm", "zip", "iter", "trange", "list",
                                 "tuple"})


def _use_of(ctx: FileContext, node: cst.BaseExpression, depth: int,
            site: cst.Call | None = None) -> str:
    """What the expression ``node`` (a loader) is used for where it appears."""
    child: cst.CSTNode = node
    parent = ctx.index.parent(node)
    while type(parent) in (cst.Element, cst.Tuple, cst.List):
        child, parent = parent, ctx.index.parent(parent)  # ``[("train", loader), ...]``
    if child is not node:
        # one item of the loop's list: it does not train if the loop does not (a loop
        # that trains may train on another item: ``for phase, loader in [...]``)
        looped = type(parent) is cst.For and parent.iter is child
        return INSPECTS if looped and not _loop_trains(ctx, parent, site) else UNKNOWN
    while type(parent) in (cst.Arg, cst.Call) and not (
        type(parent) is cst.Call and parent.func is child
    ):
        if type(parent) is cst.Call:
            last = (dotted_name(parent.func) or "").rsplit(".", 1)[-1]
            if last in _ITERATING_WRAPPERS:
                outer = _through_wrappers(ctx, parent)
                loop = ctx.index.parent(outer)
                if type(loop) is cst.For and loop.iter is outer:
                    return TRAINS if _loop_trains(ctx, loop, site) else INSPECTS
            if last in _INSPECTING_CALLS:
                return INSPECTS
            if last in _FITTING_METHODS and type(parent.func) is cst.Attribute:
                return _fit_use(parent, child)  # type: ignore[arg-type]
            return _passed_to(ctx, parent, child, depth)  # type: ignore[arg-type]
        child, parent = parent, ctx.index.parent(parent)
    if type(parent) is cst.For and parent.iter is child:
        return TRAINS if _loop_trains(ctx, parent, site) else INSPECTS
    if type(parent) is cst.Attribute and parent.value is child:
        return INSPECTS  # ``loader.dataset``, ``loader.batch_size``
    return UNKNOWN


def _through_wrappers(ctx: FileContext, call: cst.Call) -> cst.Call:
    """The outermost of nested iterating wrappers around ``call``
    (``tqdm(enumerate(loader))`` from ``enumerate(loader)``)."""
    while True:
        arg = ctx.index.parent(call)
        outer = ctx.index.parent(arg) if type(arg) is cst.Arg else None
        if not (type(outer) is cst.Call and arg.keyword is None and not arg.star  # type: ignore[union-attr]
                and (dotted_name(outer.func) or "").rsplit(".", 1)[-1] in _ITERATING_WRAPPERS):
            return call
        call = outer


def _loop_trains(ctx: FileContext, loop: cst.For, site: cst.Call | None) -> bool:
    """A loop that takes optimization steps, itself or in a function of this file it calls
    (``loss = train(model, x, y, optimizer)``); with ``site``, the call that runs the
    function holding the loop, not counting steps that call switches off
    (``if optimizer is not None: optimizer.step()`` called with ``optimizer=None``)."""
    fn = ctx.index.enclosing_function(loop)
    if site is not None and (fn is None or ctx.call_graph.target(site) is not fn):
        site = None
    for call in calls_in(ctx, loop):
        if _is_step_call(call):
            if site is None or not _switched_off(ctx, call, loop, fn, site):  # type: ignore[arg-type]
                return True
        elif _calls_steps(ctx, call):
            return True
    return False


def _calls_steps(ctx: FileContext, call: cst.Call) -> bool:
    """A call of a function of this file that takes optimization steps, not all switched
    off by this call (``train_step(batch, train=False)``)."""
    fn = ctx.call_graph.target(call)
    return fn is not None and any(_is_step_call(c) and not _switched_off(ctx, c, fn, fn, call)
                                  for c in calls_in(ctx, fn.body))


def _switched_off(ctx: FileContext, step: cst.Call, within: cst.CSTNode, fn: cst.FunctionDef,
                  site: cst.Call) -> bool:
    """``step`` runs only under ``if flag:`` / ``if flag is not None:`` (inside ``within``)
    on a parameter ``flag`` of ``fn`` that ``site`` sets to ``False`` / ``None`` (or leaves
    so)."""
    if has_star_args(site):
        return False
    params = {p.name.value: p for p in (*fn.params.posonly_params, *fn.params.params,
                                        *fn.params.kwonly_params)}
    child: cst.CSTNode = step
    for ancestor in ctx.index.ancestors(step):
        if ancestor is within:
            return False
        if type(ancestor) is cst.If and child is ancestor.body:
            flag = _guard_flag(ancestor.test)
            param = params.get(flag) if flag is not None else None
            if param is not None:
                passed = ctx.call_graph.argument_for(fn, param, site)
                value = passed if passed is not None else param.default
                if value is not None and (bool_value(value) is False or (
                        type(value) is cst.Name and value.value == "None")):
                    return True
        if type(ancestor) is cst.If and child in (ancestor.body, ancestor.orelse):
            outcome = _guard_outcome(ctx, ancestor.test, fn, params, site)
            if outcome is not None and outcome is (child is ancestor.orelse):
                return True  # ``if mode == 0:`` called with ``mode=3`` (or its ``else``)
        child = ancestor
    return False


_NO_VALUE = object()


def _guard_outcome(ctx: FileContext, test: cst.BaseExpression, fn: cst.FunctionDef,
                   params: dict[str, cst.Param], site: cst.Call) -> bool | None:
    """What ``test`` evaluates to when the parameters it reads hold the literals ``site``
    passes (or their literal defaults): ``mode == 0``, ``mode != 0``, ``mode in (1, 2)``,
    ``mode < 2``, ``not flag``, ``and`` / ``or`` of those. None when unsure: a parameter
    not given a literal, or rebound in ``fn``."""
    if type(test) is cst.UnaryOperation and type(test.operator) is cst.Not:
        inner = _guard_outcome(ctx, test.expression, fn, params, site)
        return None if inner is None else not inner
    if type(test) is cst.BooleanOperation:
        left = _guard_outcome(ctx, test.left, fn, params, site)
        right = _guard_outcome(ctx, test.right, fn, params, site)
        decisive = type(test.operator) is cst.Or  # ``or``: one True; ``and``: one False
        if decisive in (left, right):
            return decisive
        return None if None in (left, right) else not decisive
    if type(test) is cst.Name:
        value = _parameter_literal(ctx, test, fn, params, site)
        return None if value is _NO_VALUE else bool(value)
    if type(test) is not cst.Comparison or len(test.comparisons) != 1:
        return None
    left = _parameter_literal(ctx, test.left, fn, params, site)
    right = _literal(ctx, test.comparisons[0].comparator)
    if left is _NO_VALUE or right is _NO_VALUE:
        return None
    return _compare(left, test.comparisons[0].operator, right)


def _parameter_literal(ctx: FileContext, expr: cst.BaseExpression, fn: cst.FunctionDef,
                       params: dict[str, cst.Param], site: cst.Call) -> object:
    """The literal a parameter read as ``expr`` holds on the call ``site``, if sure."""
    if type(expr) is not cst.Name or expr.value not in params or any(
            expr.value in target_names(a) for a in assignments_in(ctx, fn)):
        return _NO_VALUE
    param = params[expr.value]
    passed = ctx.call_graph.argument_for(fn, param, site)
    value = passed if passed is not None else param.default
    return _NO_VALUE if value is None else _literal(ctx, value)


def _literal(ctx: FileContext, expr: cst.BaseExpression) -> object:
    """The value of a constant (``0``, ``-1``, ``"train"``, ``None``, ``(1, 2)``)."""
    if type(expr) in (cst.Integer, cst.Float, cst.SimpleString, cst.Name, cst.Tuple, cst.List,
                      cst.Set, cst.UnaryOperation):
        try:
            return ast.literal_eval(ctx.code(expr))
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return _NO_VALUE
    return _NO_VALUE


def _compare(left: object, operator: cst.BaseCompOp, right: object) -> bool | None:
    """``left <operator> right`` on constants; None for an operator or types it cannot
    judge."""
    try:
        if type(operator) is cst.Equal:
            return bool(left == right)
        if type(operator) is cst.NotEqual:
            return bool(left != right)
        if type(operator) in (cst.In, cst.NotIn) and isinstance(
                right, (tuple, list, set, frozenset, str)):
            return (left in right) is (type(operator) is cst.In)
        if type(operator) in (cst.Is, cst.IsNot) and (left is None or right is None):
            return (left is right) is (type(operator) is cst.Is)
        if isinstance(left, (int, float)) and isinstance(right, (int, float)) and not (
                isinstance(left, bool) or isinstance(right, bool)):
            ordering = {cst.LessThan: left < right, cst.LessThanEqual: left <= right,
                        cst.GreaterThan: left > right, cst.GreaterThanEqual: left >= right}
            return ordering.get(type(operator))
    except TypeError:
        return None
    return None


def _guard_flag(test: cst.BaseExpression) -> str | None:
    """``flag`` of ``if flag:`` and ``if flag is not None:``."""
    if type(test) is cst.Name:
        return test.value
    if type(test) is cst.Comparison and len(test.comparisons) == 1 and type(
            test.left) is cst.Name:
        target = test.comparisons[0]
        if type(target.operator) is cst.IsNot and type(
                target.comparator) is cst.Name and target.comparator.value == "None":
            return test.left.value
    return None


_FITTING_METHODS = frozenset({"fit", "fit_generator", "train_on_batch"})


def _fit_use(call: cst.Call, arg: cst.Arg) -> str:
    """A loader given to keras' ``model.fit(x, ...)`` or Lightning's
    ``trainer.fit(model, train_loader, val_loader)``: training data, or validation data."""
    if arg.keyword is not None:
        name = arg.keyword.value
        if "val" in name or "test" in name:
            return INSPECTS
        return TRAINS if name in ("x", "train_dataloaders", "train_dataloader",
                                  "generator") else UNKNOWN
    positional = [a for a in call.args if a.keyword is None]
    if arg.star or arg not in positional:
        return UNKNOWN
    index = positional.index(arg)
    receiver = dotted_name(call.func.value) or ""  # type: ignore[attr-defined]
    if "trainer" in receiver.lower():
        return TRAINS if index == 1 else INSPECTS if index >= 2 else UNKNOWN
    return TRAINS if index == 0 else UNKNOWN


def name_uses(ctx: FileContext, name: str, bound_at: cst.CSTNode) -> set[str]:
    """How the value bound to ``name`` at ``bound_at`` is used (see :func:`loader_uses`)."""
    return _uses_of_name(ctx, name, ctx.scope_of(bound_at), 0, bound_at)


def method_chain(ctx: FileContext, call: cst.Call) -> tuple[cst.Call, list[str]]:
    """The outermost call of a method chain that starts at ``call``
    (``from_tensor_slices(...).shuffle(n).batch(32)``), and the chained methods' names."""
    top, methods = call, []
    while True:
        attribute = ctx.index.parent(top)
        outer = ctx.index.parent(attribute) if type(attribute) is cst.Attribute else None
        if not (type(outer) is cst.Call and outer.func is attribute):
            return top, methods
        methods.append(attribute.attr.value)  # type: ignore[union-attr]
        top = outer


def pipeline_bindings(ctx: FileContext, top: cst.Call) -> tuple[list[tuple[str, cst.CSTNode]],
                                                                   set[str]]:
    """The names a data pipeline is bound to, in order (``ds = ...``, then
    ``ds = ds.batch(32)``, ``train_ds = ds.prefetch(1)``), with where each was bound, and
    the methods every later step chains on."""
    name = assigned_name(ctx, top)
    if name is None or "." in name:
        return [], set()
    bound: list[tuple[str, cst.CSTNode]] = [(name, top)]
    methods: set[str] = set()
    start = order(ctx, top)
    for assign in assignments_in(ctx, ctx.scope_of(top)):
        value = assign.value
        if order(ctx, assign) <= start or type(value) is not cst.Call:
            continue
        root, chained = value, []
        while type(root) is cst.Call and type(root.func) is cst.Attribute:
            chained.append(root.func.attr.value)
            root = root.func.value  # type: ignore[assignment]
        targets = target_names(assign)
        if type(root) is cst.Name and chained and any(root.value == n for n, _ in bound) \
                and len(targets) == 1:
            methods.update(chained)
            bound.append((next(iter(targets)), value))
    return bound, methods


def _passed_to(ctx: FileContext, call: cst.Call, arg: cst.Arg, depth: int) -> str:
    """A loader passed to a function of this file is used as that function uses it."""
    fn = ctx.call_graph.target(call)
    if fn is None or depth >= _MAX_USE_DEPTH or arg.star:
        return UNKNOWN
    for param in (*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params):
        if ctx.call_graph.argument_for(fn, param, call) is arg.value:
            uses = _uses_of_name(ctx, param.name.value, fn, depth + 1, site=call)
            if TRAINS in uses:
                return TRAINS
            return UNKNOWN if UNKNOWN in uses else INSPECTS
    return UNKNOWN


def trains_on_other_data(ctx: FileContext, loader: cst.Call) -> bool:
    """A training loop of this file iterates something other than ``loader``'s name."""
    name = assigned_name(ctx, loader)
    for loop in ctx.index.loops:
        if type(loop) is cst.For and is_training_loop(ctx, loop):
            iterated = iterated_names(loop.iter)
            if iterated and name not in iterated:
                return True
    return False


# Keyword arguments passed through ``**kwargs`` ----------------------------------------

# Calls that read a keyword dict without changing it.
_READS_DICT = frozenset({"print", "len", "repr", "str", "format"})


@functools.cache
def _some_paths() -> cst.Name:
    """:data:`SOME_PATHS`, made on first use (libcst loads then: ``lintnn.static``)."""
    return cst.Name("__set_on_some_paths_only__")


def __getattr__(name: str) -> Any:
    """``SOME_PATHS``: the value :func:`star_keywords` gives a key only some paths set."""
    if name == "SOME_PATHS":
        return _some_paths()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def star_keywords(ctx: FileContext, call: cst.Call) -> dict[str, cst.BaseExpression] | None:
    """The keywords ``call`` surely receives, ``**kwargs`` included, when every ``**``
    argument is a name bound in this scope to a dict literal with string keys and changed
    only by ``kwargs.update({...})`` and ``kwargs["key"] = value`` before the call
    (``train_kwargs = {"batch_size": 64}; train_kwargs.update(cuda_kwargs)``). A key set
    only on some paths (inside an ``if`` that does not also hold the call) has the value
    :data:`SOME_PATHS`: the other paths do not pass it. None when anything is unknown
    (``*args``, a dict from elsewhere, one passed to a function that may change it)."""
    out = {arg.keyword.value: arg.value for arg in call.args if arg.keyword is not None}
    for arg in call.args:
        if arg.star == "*":
            return None
        if arg.star == "**":
            found = _dict_keywords(ctx, arg.value, call, 0)
            if found is None:
                return None
            out.update(found)
    return out


def _dict_keywords(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode,
                   depth: int) -> dict[str, cst.BaseExpression] | None:
    """The keys a dict expression surely holds where it is read at ``at`` (see
    :func:`star_keywords`)."""
    if type(expr) is cst.Dict:
        return _literal_keys(ctx, expr, at, depth)
    if type(expr) is not cst.Name or depth > 2:
        return None
    scope = ctx.scope_of(at)
    binding = [a for a in assignments_in(ctx, scope) if expr.value in target_names(a)]
    if len(binding) != 1 or type(binding[0].value) is not cst.Dict or len(
            binding[0].targets) != 1 or type(binding[0].targets[0].target) is not cst.Name:
        return None
    bound = binding[0]
    if not (order(ctx, bound) < order(ctx, at)) or not _always_reaches(ctx, bound, at):
        return None
    keys = _literal_keys(ctx, bound.value, at, depth)  # type: ignore[arg-type]
    if keys is None:
        return None
    for read in reads_of(ctx, expr.value, scope):
        if ctx.scope_of(read) is not scope:
            return None  # a nested function reads (or changes) it
        if order(ctx, read) < order(ctx, bound):
            continue
        if order(ctx, read) > order(ctx, at):
            continue  # after the call
        change = _dict_change(ctx, read, depth)
        if change is None:
            return None
        always = _always_reaches(ctx, read, at)
        for key, value in change.items():
            if always:
                keys[key] = value
            elif key in keys:
                return None  # changed on some paths only: either value may reach the call
            else:
                keys[key] = _some_paths()
    return keys


def _literal_keys(ctx: FileContext, literal: cst.Dict, at: cst.CSTNode,
                  depth: int) -> dict[str, cst.BaseExpression] | None:
    keys: dict[str, cst.BaseExpression] = {}
    for element in literal.elements:
        if type(element) is cst.StarredDictElement:
            inner = _dict_keywords(ctx, element.value, at, depth + 1)
            if inner is None:
                return None
            keys.update(inner)
        elif type(element.key) is cst.SimpleString and isinstance(
                element.key.evaluated_value, str):
            keys[element.key.evaluated_value] = element.value
        else:
            return None
    return keys


def _dict_change(ctx: FileContext, read: cst.Name,
                 depth: int) -> dict[str, cst.BaseExpression] | None:
    """What a read of the dict does to it: ``{}`` for ``**kwargs`` and ``print(kwargs)``,
    the keys ``kwargs.update({...})`` or ``kwargs["key"] = value`` set; None otherwise."""
    parent = ctx.index.parent(read)
    if type(parent) is cst.Arg and parent.value is read:
        user = ctx.index.parent(parent)
        if parent.star == "**" or (type(user) is cst.Call and (
                dotted_name(user.func) in _READS_DICT)):
            return {}
        return None
    if type(parent) is cst.Attribute and parent.value is read:
        user = ctx.index.parent(parent)
        if parent.attr.value in ("get", "items", "keys", "values", "copy"):
            return {}
        if parent.attr.value == "update" and type(user) is cst.Call and len(
                user.args) == 1 and not user.args[0].star and user.args[0].keyword is None:
            return _dict_keywords(ctx, user.args[0].value, user, depth + 1)
        return None
    if type(parent) is cst.Subscript and parent.value is read:
        target = ctx.index.parent(parent)
        key = parent.slice[0].slice if len(parent.slice) == 1 else None
        if not (type(target) is cst.AssignTarget and target.target is parent):
            return {}  # ``kwargs["batch_size"]``: read
        assign = ctx.index.parent(target)
        if (type(key) is cst.Index and type(key.value) is cst.SimpleString
                and type(assign) is cst.Assign):
            return {key.value.evaluated_value: assign.value}  # type: ignore[dict-item]
    return None


def _always_reaches(ctx: FileContext, node: cst.CSTNode, at: cst.CSTNode) -> bool:
    """Every pass that runs ``at`` has run ``node`` before it: no ``if``, loop or
    ``try`` around ``node`` that does not also hold ``at``."""
    for ancestor in ctx.index.ancestors(node):
        if ancestor is ctx.scope_of(at) or type(ancestor) in (cst.FunctionDef, cst.ClassDef):
            return True
        if type(ancestor) in (cst.If, cst.For, cst.While, cst.Try, cst.Match) and (
                not ctx.index.is_inside(at, ancestor)):
            return False
    return True
