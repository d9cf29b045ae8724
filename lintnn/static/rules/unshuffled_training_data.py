"""NN301: training data fed in the same order every epoch."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static import knowledge
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.replayed_batches import is_epoch_loop, replays
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext, returns_of
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    has_star_args,
    keyword,
)
from lintnn.static.syntax.project import ITEM_BY_INDEX, UNSHUFFLED_BY_DEFAULT, Requirement

_TENSOR_SOURCES = frozenset({"tensorflow.data.Dataset.from_tensor_slices",
                            "tensorflow.data.Dataset.from_tensors"})
# Keywords that settle the order of a loader's batches.
_SHUFFLE_KEYWORDS = frozenset({"shuffle", "sampler", "batch_sampler"})
# Keras ``ImageDataGenerator`` methods that make an iterator (shuffled unless told not to).
_FLOWS = frozenset({"flow", "flow_from_directory", "flow_from_dataframe"})
# Names of data that keras does not shuffle anyway (datasets, generators, Sequences).
_PIPELINE_WORDS = frozenset({"ds", "dataset", "datasets", "gen", "generator", "loader",
                             "pipeline", "iterator", "iter", "flow", "sequence"})


_REPLAY_MESSAGES = {
    "materialised": (
        "the training batches are taken once, before the epoch loop, and replayed: every "
        "epoch sees the same batches in the same order (and the same random augmentations), "
        "whatever the loader shuffles; iterate the loader itself in each epoch"),
    "cycled": (
        "itertools.cycle keeps the batches of the loader's first pass and replays them: "
        "after one pass every epoch sees the same batches in the same order (and the same "
        "random augmentations); restart the loader instead (`while True: yield from "
        "loader`, or iter(loader) again when it is exhausted)"),
}


class UnshuffledTrainingData(Rule):
    """A training loader, ``fit`` or batching loop that never shuffles the data."""

    code = "NN301"
    name = "unshuffled-training-data"
    severity = Severity.WARNING
    message = (
        "training data is never shuffled: every epoch sees the batches in the same order "
        "(and a sorted data set gives single-class batches); pass shuffle=True or a sampler, "
        "or permute the indices each epoch"
    )
    frameworks = ("torch", "jax", "keras", "sklearn")
    triggers = ("DataLoader", "shuffle", "train", "from_tensor_slices", "loader", "cycle")
    absent = ("",)
    needs = (Needs(callee_roles=(R.DATA_LOADER,),
                   calls=("fit", "fit_generator", "train_on_batch", "from_tensor_slices"),
                   loop_calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS)),)

    def check(self, ctx: FileContext) -> None:
        if D.is_test_module(ctx):
            return
        for call in ctx.index.calls:
            _, entry = ctx.callee(call)
            if entry is not None and R.DATA_LOADER in entry.roles:
                self._check_loader(ctx, call)
            elif type(call.func) is cst.Attribute and call.func.attr.value == "fit":
                self._check_keras_fit(ctx, call)
            elif type(call.func) is cst.Attribute and call.func.attr.value in _FLOWS:
                self._check_keras_flow(ctx, call)
            elif entry is None and _SHUFFLE_KEYWORDS.isdisjoint(
                    a.keyword.value for a in call.args if a.keyword is not None):
                self._check_project_loader(ctx, call)
        self._check_manual_batching(ctx)
        self._check_tf_data(ctx)
        for replay in replays(ctx):
            ctx.report(replay.call, _REPLAY_MESSAGES[replay.kind])

    # tf.data pipelines ----------------------------------------------------------------

    def _check_tf_data(self, ctx: FileContext) -> None:
        """``tf.data.Dataset.from_tensor_slices(...)`` that no step of the pipeline
        shuffles, iterated by a training loop or given to ``fit`` (which does not shuffle
        a dataset: ``fit(shuffle=True)`` applies to arrays only)."""
        if "keras" not in ctx.frameworks:
            return
        for call in ctx.index.calls:
            if ctx.qualname(call.func) not in _TENSOR_SOURCES:
                continue
            top, methods = D.method_chain(ctx, call)
            bound, later = D.pipeline_bindings(ctx, top)
            if "shuffle" in methods or "shuffle" in later or not bound:
                continue
            names = [n for n, _ in bound]
            if any(D.split_of(n) == D.EVAL or D.is_ordered_name(n) or D.is_debug_name(n)
                   or D.is_random_data_name(n) for n in names):
                continue
            if any(D.TRAINS in D.name_uses(ctx, n, at) for n, at in bound):
                ctx.report(call)

    # torch DataLoader ---------------------------------------------------------------

    def _check_loader(self, ctx: FileContext, call: cst.Call) -> None:
        if len([a for a in call.args if a.keyword is None and not a.star]) > 2:
            return
        keywords = D.star_keywords(ctx, call)  # ``**train_kwargs`` read through
        if keywords is None:
            return
        shuffle = keywords.get("shuffle")
        if shuffle is D.SOME_PATHS:
            shuffle = None  # ``if use_cuda: kwargs.update(shuffle=True)``: off on the others
        if any(keywords.get(n) is D.SOME_PATHS for n in ("sampler", "batch_sampler")):
            return  # a sampler on some paths: the others may not want one (iterable data)
        if type(shuffle) is cst.Name and bool_value(shuffle) is None:
            if not has_star_args(call):
                self._check_factory(ctx, call, shuffle.value)
            return
        if type(shuffle) is cst.Attribute and _constructor_default_off(ctx, call, shuffle):
            shuffle = cst.Name("False")  # ``shuffle=self.shuffle``, left at its default False
        if shuffle is not None and bool_value(shuffle) is not False:
            return  # shuffle=True, or shuffle=<variable>: not known to be off
        for name in ("sampler", "batch_sampler"):
            sampler = keywords.get(name)
            if sampler is not None and not _is_none(sampler):
                return
        dataset = argument(call, 0, "dataset")
        if dataset is None or _is_iterable_dataset(ctx, dataset) or _is_full_batch(
                ctx, call, dataset, keywords) or _reshuffled_every_epoch(ctx, call, dataset) or (
                _drawn_at_random(ctx, call, dataset)):
            return
        in_lambda = any(type(a) is cst.Lambda for a in ctx.index.ancestors(call))
        function = None if in_lambda else D.function_name(ctx, call)
        names = [D.data_name(dataset), D.assigned_name(ctx, call), function]
        if any(D.is_ordered_name(n) or D.is_debug_name(n) or D.is_random_data_name(n)
               for n in names):
            return
        uses = D.loader_uses(ctx, call)
        requires = _order_matters(ctx, dataset)
        if D.TRAINS in uses:
            ctx.report(call, requires=requires)  # use outweighs names: it trains
            return
        if uses == {D.INSPECTS} or (not uses and D.trains_on_other_data(ctx, call)):
            return  # only looked at, or a leftover beside the loader the file trains on
        if not any(D.split_of(n) == D.EVAL for n in names) and any(
                D.split_of(n) == D.TRAIN for n in names):
            ctx.report(call, requires=requires)  # where it goes is unknown: its name says so
        elif uses == {D.UNKNOWN} and not in_lambda:
            self._check_made_for_training(ctx, call, requires)

    def _check_made_for_training(self, ctx: FileContext, call: cst.Call,
                                 requires: tuple[Requirement, ...]) -> None:
        """``def make_loader(df): return DataLoader(ds, batch_size=32)`` with
        ``train_loader = make_loader(df_train)``: the helper makes the training loader (by
        the caller's name or use) and never shuffles it."""
        fn = ctx.index.enclosing_function(call)
        if fn is None or type(ctx.index.parent(call)) is not cst.Return or (
                ctx.index.enclosing_class(fn) is not None):
            return
        dataset = argument(call, 0, "dataset")
        params = {p.name.value: p for p in (*fn.params.posonly_params, *fn.params.params,
                                            *fn.params.kwonly_params)}
        if type(dataset) is cst.Call and dotted_name(dataset.func) in params:
            return  # ``DataLoader(dataset(), ...)``: the caller picks what data set it is
        for site in ctx.call_graph.callers(fn):
            names = [D.assigned_name(ctx, site), D.function_name(ctx, site)]
            if type(dataset) is cst.Name and dataset.value in params:
                passed = ctx.call_graph.argument_for(fn, params[dataset.value], site)
                if passed is None or _is_iterable_dataset(ctx, passed):
                    continue  # the data set the caller passes is not known
                names.append(D.data_name(passed))
            if any(D.split_of(n) == D.EVAL or D.is_ordered_name(n) or D.is_debug_name(n)
                   or D.is_random_data_name(n) for n in names):
                continue
            uses = D.loader_uses(ctx, site)
            if D.TRAINS in uses or (not uses - {D.UNKNOWN} and any(
                    D.split_of(n) == D.TRAIN for n in names)):
                made = names[0] or fn.name.value
                ctx.report(call, (
                    f"training data is never shuffled: `{fn.name.value}` builds this loader "
                    f"without shuffle=True or a sampler, and `{made}` is the training loader "
                    "it makes; pass shuffle=True "
                    "for training (a `shuffle` parameter of the helper)"), requires=requires)
                return

    def _check_project_loader(self, ctx: FileContext, call: cst.Call) -> None:
        """``NumpyLoader(train_set, batch_size=128)``, a loader class of the project that
        shuffles only when told to (:data:`UNSHUFFLED_BY_DEFAULT`, checked once every file
        is indexed), told nothing here, whose loader trains."""
        positional = [a for a in call.args if a.keyword is None]
        if not positional or len(positional) > 2 or has_star_args(call):
            return
        qualname = ctx.qualname_of_class(call.func)
        if qualname is None or not ctx.may_be_project_class(qualname):
            return
        dataset = positional[0].value
        if _is_iterable_dataset(ctx, dataset):
            return
        names = [D.data_name(dataset), D.assigned_name(ctx, call), D.function_name(ctx, call)]
        if any(D.split_of(n) == D.EVAL or D.is_ordered_name(n) or D.is_debug_name(n)
               or D.is_random_data_name(n) for n in names):
            return
        if D.TRAINS in D.loader_uses(ctx, call):
            requires = (Requirement(qualname, UNSHUFFLED_BY_DEFAULT, "", str(ctx.path)),
                        *_order_matters(ctx, dataset))
            ctx.report(call, requires=requires)

    def _check_factory(self, ctx: FileContext, call: cst.Call, flag: str) -> None:
        """``def make_loader(ds, shuffle=False): return DataLoader(ds, shuffle=shuffle)``:
        a call of the factory that leaves ``shuffle`` off, and whose loader trains, is
        reported where it is made."""
        fn = ctx.index.enclosing_function(call)
        if fn is None or type(ctx.index.parent(call)) is not cst.Return:
            return
        param = next((p for p in (*fn.params.params, *fn.params.kwonly_params)
                      if p.name.value == flag), None)
        if param is None or any(sampler is not None for sampler in (
                keyword(call, "sampler"), keyword(call, "batch_sampler"))):
            return
        for site in ctx.call_graph.callers(fn):
            passed = ctx.call_graph.argument_for(fn, param, site)
            if passed is None and has_star_args(site):
                continue
            value = bool_value(passed) if passed is not None else bool_value(param.default)
            if value is not False:
                continue
            names = [D.assigned_name(ctx, site), D.function_name(ctx, site)]
            if any(D.split_of(n) == D.EVAL or D.is_ordered_name(n) or D.is_debug_name(n)
                   for n in names):
                continue
            uses = D.loader_uses(ctx, site)
            if D.TRAINS in uses or (not uses - {D.UNKNOWN} and any(
                    D.split_of(n) == D.TRAIN for n in names)):
                ctx.report(site, (
                    f"this training loader is never shuffled: `{fn.name.value}` passes "
                    f"shuffle={flag} to DataLoader and this call leaves it False; pass "
                    f"{flag}=True here"))

    # keras fit(shuffle=False) -------------------------------------------------------------

    def _check_keras_fit(self, ctx: FileContext, call: cst.Call) -> None:
        if "keras" not in ctx.frameworks or bool_value(keyword(call, "shuffle")) is not False:
            return
        data = argument(call, 0, "x")
        if type(data) not in (cst.Name, cst.Attribute, cst.Subscript):
            return  # a generator or dataset built inline: keras ignores shuffle= there
        name = D.data_name(data)
        if name is None or D.has_word(name, _PIPELINE_WORDS) or D.is_ordered_name(name):
            return
        if D.split_of(name) == D.EVAL or _is_stateful_model(ctx, call.func.value):
            return
        ctx.report(call)

    def _check_keras_flow(self, ctx: FileContext, call: cst.Call) -> None:
        """``datagen.flow_from_directory(..., shuffle=False)`` (Keras shuffles by default)
        whose iterator trains (``fit``, ``fit_generator``, a training loop): the images come
        in directory order, one class after the other, every epoch. One used only to
        predict (features, evaluation) keeps its order on purpose."""
        if "keras" not in ctx.frameworks or bool_value(keyword(call, "shuffle")) is not False:
            return
        names = [D.assigned_name(ctx, call), D.function_name(ctx, call)]
        if any(D.split_of(n) == D.EVAL or D.is_ordered_name(n) or D.is_debug_name(n)
               for n in names):
            return
        if D.TRAINS in D.loader_uses(ctx, call):
            ctx.report(call)

    # Manual batching: X_train[i:i + bs] ------------------------------------------------

    def _check_manual_batching(self, ctx: FileContext) -> None:
        # With a permutation somewhere, only a loop the permutations cannot reorder between
        # epochs counts (:func:`_permuted_once_before`); else assume they reorder the data.
        permutations = [call for call in ctx.index.calls if D.is_permutation_call(ctx, call)]
        reported: set[cst.CSTNode] = set()
        for loop in ctx.index.loops:
            if type(loop) is not cst.For or loop in reported:
                continue
            targets = set(_names_in(loop.target))
            counters = _counters(ctx, loop) - targets
            if not targets or not _is_range(loop.iter) or not D.is_training_loop(ctx, loop):
                continue
            slices = _batch_slices(ctx, loop, targets | counters) + _chunks_walked(
                ctx, loop, targets)
            if slices and all(_drawn_data(ctx, data, loop) for data, _, _ in slices):
                continue  # i.i.d. random draws: a fixed order undoes nothing
            if permutations and not _permuted_once_before(ctx, loop, permutations, slices):
                continue
            for data, start, batch in slices:
                if _unshuffled_batches_of(ctx, loop, D.data_name(data)):
                    # a range over the data is the batching; a counter the loop advances
                    # (``start += batch_size``) makes the slice the batching
                    by_counter = not D.mentions(start, targets)
                    ctx.report(batch if by_counter else loop)
                    reported.add(loop)
                    break
        if permutations:
            return
        for loop in _batching_generator_loops(ctx):
            if loop not in reported:
                ctx.report(loop)


_ONCE_DEPTH = 3


def _permuted_once_before(
    ctx: FileContext, loop: cst.For,
    permutations: list[cst.Call],
    slices: list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode]],
) -> bool:
    """``perm = rng.permutation(n); X = X[perm]`` once, then ``for epoch in ...: for i in
    range(...): X[i:i + bs]``: the batching ``loop`` sits in an epoch loop of its function
    that no permutation of the file can run in (each runs outside it, at most through
    functions called outside it), and that never rebinds the sliced data: the order was
    drawn once, and every epoch walks it again."""
    epochs = [e for e in ctx.index.enclosing_loops(loop) if is_epoch_loop(e)]
    if not epochs or not slices:
        return False
    epoch = epochs[-1]
    sliced = {dotted_name(data) for data, _, _ in slices}
    if None in sliced or any(_rebound_in(ctx, epoch, name) for name in sliced):  # type: ignore[arg-type]
        return False
    return all(_runs_outside(ctx, p, epoch, 0) for p in permutations)


def _rebound_in(ctx: FileContext, region: cst.CSTNode, name: str) -> bool:
    """``name`` (or the object it is an attribute of) is bound inside ``region``."""
    root = name.split(".")[0]
    return any(name in D.target_names(a) or root in D.target_names(a)
               for a in D.descendants(ctx, region, cst.Assign)) or any(
        dotted_name(a.target) in (name, root) for a in D.descendants(ctx, region, cst.AugAssign))


def _runs_outside(ctx: FileContext, node: cst.CSTNode, region: cst.CSTNode, depth: int) -> bool:
    """``node`` never runs while ``region`` (a loop) runs: it is outside it, not in a
    lambda or comprehension, and its function (if another one) is called only from
    outside it (or not at all in this file), never passed around as a value."""
    opaque = (cst.Lambda, cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
    if depth > _ONCE_DEPTH or ctx.index.is_inside(node, region) or any(
            isinstance(a, opaque) for a in ctx.index.ancestors(node)):
        return False
    fn = ctx.index.enclosing_function(node)
    if fn is None or ctx.index.is_inside(region, fn):
        return True
    if ctx.index.enclosing_class(fn) is not None or ctx.index.enclosing_function(fn):
        return False  # a method or a closure: called from where the analysis cannot see
    sites = ctx.call_graph.callers(fn)
    uses = [n for n in D.nodes_of(ctx, cst.Name) if n.value == fn.name.value  # type: ignore[attr-defined]
            and n is not fn.name]
    if len(uses) != len(sites):
        return False  # also read as a value (a callback): it may run anywhere
    return all(_runs_outside(ctx, site, region, depth + 1) for site in sites)


def _batching_generator_loops(ctx: FileContext) -> list[cst.For]:
    """``def batches(X, y, bs): for i in range(0, len(y), bs): yield X[i:i + bs], ...``:
    the slicing loop of a generator of this file, reported when a training loop
    iterates the generator over training data (``for xb, yb in batches(X_train, y_train,
    bs): state = train_step(...)``, or inputs and labels in an epoch loop)."""
    found: list[cst.For] = []
    for fn in ctx.index.functions:
        params = {p.name.value: p for p in (*fn.params.posonly_params, *fn.params.params,
                                            *fn.params.kwonly_params)}
        for loop in D.nodes_in_scope(ctx, cst.For, fn):
            targets = set(_names_in(loop.target))
            if not targets or not _is_range(loop.iter) or not D.descendants(
                    ctx, loop.body, cst.Yield):
                continue
            sliced = [params[name] for data, _, _ in _batch_slices(ctx, loop, targets)
                      if (name := dotted_name(data)) in params]
            if sliced and any(_trains_on_batches_of(ctx, fn, sliced, site)
                              for site in ctx.call_graph.callers(fn)):
                found.append(loop)
    return found


def _trains_on_batches_of(ctx: FileContext, fn: cst.FunctionDef, sliced: list[cst.Param],
                          site: cst.Call) -> bool:
    """``site`` is iterated by a loop that trains, and gives training data (a plain name)
    for one of the ``sliced`` parameters."""
    loop = _iterating_loop(ctx, site)
    if loop is None or not D.is_training_loop(ctx, loop):
        return False
    given = [ctx.call_graph.argument_for(fn, param, site) for param in sliced]
    return all(type(g) in (cst.Name, cst.Attribute) for g in given) and any(
        _unshuffled_batches_of(ctx, loop, dotted_name(g)) for g in given)  # type: ignore[arg-type]


def _iterating_loop(ctx: FileContext, call: cst.Call) -> cst.For | None:
    """The loop that iterates ``call`` (also through ``enumerate`` / ``tqdm``)."""
    node: cst.CSTNode = call
    parent = ctx.index.parent(node)
    while type(parent) is cst.Arg:
        outer = ctx.index.parent(parent)
        if type(outer) is not cst.Call or parent.keyword is not None or (
                dotted_name(outer.func) or "").rsplit(".", 1)[-1] not in _ITERATING:
            return None
        node, parent = outer, ctx.index.parent(outer)
    return parent if type(parent) is cst.For and parent.iter is node else None


_ITERATING = frozenset({"enumerate", "tqdm", "trange", "iter"})


def _constructor_default_off(ctx: FileContext, call: cst.Call,
                             flag: cst.Attribute) -> bool:
    """``shuffle=self.shuffle`` in a method of a class of this file whose ``__init__`` takes
    ``shuffle=False`` and stores it (``self.shuffle = shuffle``, or ``setattr(self, ...)``
    over its arguments), instantiated in this file, and never told otherwise: no
    instantiation passes it (nor ``*args`` / ``**kwargs``), no ``x.shuffle = ...`` but that
    store, no ``"shuffle"`` string (``set_params``, a parameter grid), no subclass."""
    attr = flag.attr.value
    class_def = ctx.index.enclosing_class(call)
    if dotted_name(flag.value) != "self" or class_def is None:
        return False
    init = ctx.method(class_def, "__init__")
    param = next((p for p in (*init.params.params, *init.params.kwonly_params)
                  if p.name.value == attr), None) if init is not None else None
    if param is None or param.default is None or bool_value(param.default) is not False:
        return False
    stores = [a for a in ctx.index.assignments if any(
        type(t.target) is cst.Attribute and t.target.attr.value == attr for t in a.targets)]
    stored = [a for a in stores if ctx.index.is_inside(a, init) and dotted_name(a.value) == attr]
    if len(stores) != len(stored) or not (stored or any(
            dotted_name(c.func) == "setattr" for c in ctx.index.within(ctx.index.calls, init))):
        return False
    if any(type(s) is cst.SimpleString and s.evaluated_value == attr
           for s in D.nodes_of(ctx, cst.SimpleString)):
        return False
    if any(dotted_name(base.value) == class_def.name.value
           for other in ctx.index.classes for base in other.bases):
        return False
    sites = ctx.call_graph.callers(init)
    return bool(sites) and all(
        not has_star_args(site) and bool_value(
            ctx.call_graph.argument_for(init, param, site) or param.default) is False
        for site in sites)


def _is_stateful_model(ctx: FileContext, model: cst.BaseExpression) -> bool:
    """A Keras model whose recurrent state runs from one batch to the next, so its batches
    must keep their order (``shuffle=False`` is required): its states are reset by hand
    (``model.reset_states()``), or a layer is built with ``stateful=True`` that is not
    visibly part of another model (``other.add(...)``, ``other = Sequential([...])``)."""
    name = dotted_name(model)
    if name is None:
        return False
    for call in ctx.index.calls:
        func = call.func
        if type(func) is cst.Attribute and dotted_name(func.value) == name and (
                func.attr.value in ("reset_states", "reset_state")):
            return True
        if bool_value(keyword(call, "stateful")) is True and _model_of(ctx, call) in (
                name, None):
            return True
    return False


def _model_of(ctx: FileContext, layer: cst.Call) -> str | None:
    """The model ``layer`` is built into: ``model.add(layer)`` or ``model = Sequential([
    layer])``; None when that is not visible (a functional ``layer(x)``, a layer named
    first)."""
    node: cst.CSTNode = layer
    for ancestor in ctx.index.ancestors(layer):
        if type(ancestor) is cst.Call and ancestor.func is node:
            return None  # applied to a tensor: the functional API, the model is made later
        if type(ancestor) is cst.Call and type(ancestor.func) is cst.Attribute and (
                ancestor.func.attr.value == "add"):
            return dotted_name(ancestor.func.value)
        if type(ancestor) is cst.Assign:
            if ancestor.value is layer:
                return None  # ``lstm = LSTM(..., stateful=True)``: where it goes is later
            names = [dotted_name(t.target) for t in ancestor.targets]
            return names[0] if len(names) == 1 else None
        if isinstance(ancestor, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return None
        node = ancestor
    return None


def _unshuffled_batches_of(ctx: FileContext, loop: cst.For, name: str | None) -> bool:
    """Batches of training data: named so (``X_train``), or inputs and labels
    (``images``, ``y``) batched again in every pass of an outer (epoch) loop."""
    if D.is_ordered_name(name) or D.split_of(name) == D.EVAL:
        return False
    if D.split_of(name) == D.TRAIN:
        return True
    return (D.is_input_name(name) or D.is_label_name(name)) and bool(
        ctx.index.enclosing_loops(loop))


def _counters(ctx: FileContext, loop: cst.For) -> set[str]:
    """Names the loop body advances (``start += batch_size``): a batch index kept by hand."""
    return {aug.target.value for aug in D.descendants(ctx, loop.body, cst.AugAssign)
            if type(aug.target) is cst.Name and type(aug.operator) is cst.AddAssign}


def _is_iterable_dataset(ctx: FileContext, dataset: cst.BaseExpression) -> bool:
    """An ``IterableDataset`` (a DataLoader cannot shuffle it), also a subclass defined
    in this file."""
    value = ctx.value(dataset)
    if value is None:
        return False
    if value.has(R.ITERABLE_DATASET):
        return True
    if value.project_class is None:
        return False
    class_def = ctx.class_named(value.project_class)
    if class_def is None:
        return False
    for base in class_def.bases:
        entry = knowledge.lookup(ctx.qualname_of_class(base.value))
        if entry is not None and R.ITERABLE_DATASET in entry.roles:
            return True
    return False


def _reshuffled_every_epoch(ctx: FileContext, call: cst.Call,
                            dataset: cst.BaseExpression) -> bool:
    """A data set of this file whose ``__init__`` shuffles its items, built anew in the loop
    that makes the loader (every epoch): each epoch gets its own order."""
    value = ctx.value(dataset)
    if value is None or value.project_class is None:
        return False
    class_def = ctx.class_named(value.project_class)
    init = ctx.method(class_def, "__init__") if class_def is not None else None
    if init is None or not any(type(c) is cst.Call and D.is_permutation_call(ctx, c)
                               for c in ctx.index.within(ctx.index.calls, init)):
        return False
    built: cst.CSTNode | None = dataset
    if type(dataset) is cst.Name:
        built = ctx.last_assignment(dataset.value, call)
    if built is None:
        return False
    loops = set(ctx.index.enclosing_loops(call))
    return any(loop in loops for loop in ctx.index.enclosing_loops(built))


# Draws of i.i.d. random samples (``torch.rand(n, d)``, ``np.random.normal(size=...)``).
_TORCH_DRAWS = frozenset({"torch.rand", "torch.randn", "torch.randint", "torch.normal",
                          "torch.bernoulli", "torch.rand_like", "torch.randn_like",
                          "torch.randint_like"})
_NOT_DRAWS = frozenset({"permutation", "shuffle", "seed", "permuted", "get_state",
                        "set_state", "default_rng", "RandomState", "PRNGKey", "key", "split"})


def _drawn_at_random(ctx: FileContext, call: cst.Call, dataset: cst.BaseExpression) -> bool:
    """``TensorDataset(x, y)`` whose every tensor is drawn at random in this scope
    (``x = torch.rand(n, d)``, ``y = torch.randint(c, (n,))``): i.i.d. samples in random
    order, with no order to shuffle (like data named ``random`` / ``dummy``)."""
    made = dataset
    if type(dataset) is cst.Name:
        made = _only_value(ctx, dataset.value, call)
    if type(made) is not cst.Call or not (ctx.qualname(made.func) or "").endswith(
            "TensorDataset"):
        return False
    tensors = [a.value for a in made.args]
    if not tensors or any(a.keyword is not None or a.star for a in made.args):
        return False
    return all(_is_draw(ctx, _only_value(ctx, t.value, call) if type(t) is cst.Name
                        else t) for t in tensors)


def _only_value(ctx: FileContext, name: str, at: cst.CSTNode) -> cst.BaseExpression | None:
    """The value of ``name`` when its scope binds it once, alone, before ``at``."""
    bindings = [a for a in D.assignments_in(ctx, ctx.scope_of(at)) if name in D.target_names(a)]
    if len(bindings) != 1 or not ctx.index.before(bindings[0], at):
        return None
    return ctx.assigned_value(name, at)


def _is_draw(ctx: FileContext, expr: cst.BaseExpression | None) -> bool:
    """A call that draws random samples, through ``.float()`` / ``.to(device)``."""
    while type(expr) is cst.Call and type(expr.func) is cst.Attribute and (
            expr.func.attr.value in ("float", "double", "long", "to", "cuda", "astype")):
        expr = expr.func.value
    if type(expr) is not cst.Call:
        return False
    qualname = ctx.qualname(expr.func) or ""
    last = qualname.rsplit(".", 1)[-1]
    if qualname in _TORCH_DRAWS:
        return True
    return qualname.startswith(("numpy.random.", "jax.random.")) and last not in _NOT_DRAWS


_MAX_DEPTH = 8


def _drawn_data(ctx: FileContext, expr: cst.BaseExpression | None, at: cst.CSTNode,
                depth: int = 0) -> bool:
    """``expr`` holds i.i.d. random draws: a draw (``jax.random.uniform(key, (n, 1))``),
    simple arithmetic of one with constants (``2 * np.random.rand(n)``), an element-wise
    numpy / jax / torch function of one (``jnp.sin(x)``), or a name bound once to such a
    value, also through a parameter every call of the file fills with one and a tuple that
    a function of the file returns (``x, y = make_data(key)``)."""
    if expr is None or depth > _MAX_DEPTH:
        return False
    if _is_draw(ctx, expr):
        return True
    if type(expr) is cst.BinaryOperation:
        sides = (expr.left, expr.right)
        return any(_drawn_data(ctx, side, at, depth + 1) for side in sides) and all(
            _is_constant(ctx, side, at) or _drawn_data(ctx, side, at, depth + 1)
            for side in sides)
    if type(expr) is cst.UnaryOperation:
        return _drawn_data(ctx, expr.expression, at, depth + 1)
    if type(expr) is cst.Call:
        return _elementwise_of_draws(ctx, expr, at, depth)
    if type(expr) is cst.Name:
        return _name_drawn(ctx, expr.value, at, depth)
    return False


def _elementwise_of_draws(ctx: FileContext, call: cst.Call, at: cst.CSTNode,
                          depth: int) -> bool:
    """``jnp.sin(x)`` / ``np.exp(2 * x)`` of a draw: one positional argument, no keyword."""
    qualname = ctx.qualname(call.func) or ""
    if qualname.rsplit(".", 1)[0] not in ("numpy", "jax.numpy", "torch") or len(
            call.args) != 1 or call.args[0].keyword is not None or call.args[0].star:
        return False
    return _drawn_data(ctx, call.args[0].value, at, depth + 1)


def _is_constant(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """A number, ``np.pi``, or a name bound once to arithmetic of those."""
    if type(expr) in (cst.Integer, cst.Float):
        return True
    if type(expr) is cst.Attribute:
        return dotted_name(expr) in ("np.pi", "numpy.pi", "math.pi", "jnp.pi", "np.e", "math.e")
    if type(expr) is cst.UnaryOperation:
        return _is_constant(ctx, expr.expression, at)
    if type(expr) is cst.BinaryOperation:
        return _is_constant(ctx, expr.left, at) and _is_constant(ctx, expr.right, at)
    if type(expr) is cst.Name:
        value = _only_value(ctx, expr.value, at)
        return value is not None and type(value) is not cst.Name and _is_constant(
            ctx, value, at)
    return False


def _name_drawn(ctx: FileContext, name: str, at: cst.CSTNode, depth: int) -> bool:
    """A name bound once in its scope to draws, unpacked from a function of the file that
    returns draws at its position, or a parameter every caller fills with draws."""
    scope = ctx.scope_of(at)
    bindings = [a for a in D.assignments_in(ctx, scope) if name in D.target_names(a)]
    if len(bindings) == 1 and ctx.index.before(bindings[0], at):
        assign = bindings[0]
        if len(assign.targets) != 1:
            return False
        target = assign.targets[0].target
        if type(target) is cst.Name:
            return _drawn_data(ctx, assign.value, assign, depth + 1)
        return _unpacked_draw(ctx, target, name, assign.value, depth)
    if bindings or type(scope) is not cst.FunctionDef:
        return False
    params = [p for p in (*scope.params.posonly_params, *scope.params.params,
                          *scope.params.kwonly_params) if p.name.value == name]
    if not params:
        return False
    callers = ctx.call_graph.callers(scope)
    return bool(callers) and all(
        _drawn_data(ctx, ctx.call_graph.argument_for(scope, params[0], site), site, depth + 1)
        for site in callers)


def _unpacked_draw(ctx: FileContext, target: cst.BaseExpression, name: str,
                   value: cst.BaseExpression, depth: int) -> bool:
    """``x, y = make_data(key)`` where every ``return`` of ``make_data`` (a function of the
    file) gives draws at ``x``'s position."""
    if type(target) not in (cst.Tuple, cst.List) or type(value) is not cst.Call:
        return False
    names = [e.value.value if type(e.value) is cst.Name else None for e in target.elements]
    if any(type(e) is cst.StarredElement for e in target.elements) or names.count(name) != 1:
        return False
    position = names.index(name)
    fn = ctx.call_graph.target(value)
    returns = returns_of(fn) if fn is not None else []
    if not returns:
        return False
    for ret in returns:
        parts = ret.value
        if type(parts) is not cst.Tuple or len(parts.elements) != len(names):
            return False
        if not _drawn_data(ctx, parts.elements[position].value, ret, depth + 1):
            return False
    return True


def _is_full_batch(ctx: FileContext, call: cst.Call, dataset: cst.BaseExpression,
                   keywords: dict[str, cst.BaseExpression]) -> bool:
    """The batch is the whole data set (``batch_size=len(train_set)``, ``x_train.shape[0]``
    for ``TabularDataset(x_train, y_train)``): one batch per epoch, whose order is moot."""
    size = _length_of(keywords.get("batch_size") or argument(call, 1, "batch_size"))
    return size is not None and size in _sources(ctx, call, dataset)


def _length_of(expr: cst.BaseExpression | None) -> str | None:
    """``N`` of ``len(N)``, ``N.shape[0]`` or ``N.size(0)``."""
    if type(expr) is cst.Call and len(expr.args) == 1:
        if dotted_name(expr.func) == "len":
            return dotted_name(expr.args[0].value)
        if type(expr.func) is cst.Attribute and expr.func.attr.value == "size" and (
                _is_zero(expr.args[0].value)):
            return dotted_name(expr.func.value)
    if type(expr) is cst.Subscript and len(expr.slice) == 1 and type(
            expr.value) is cst.Attribute and expr.value.attr.value == "shape":
        element = expr.slice[0].slice
        if type(element) is cst.Index and _is_zero(element.value):
            return dotted_name(expr.value.value)
    return None


def _is_zero(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Integer and expr.value == "0"


def _sources(ctx: FileContext, call: cst.Call, dataset: cst.BaseExpression) -> set[str]:
    """The data set's name and the data it is built from (the positional arguments of the
    call that made it: ``TabularDataset(x_train, y_train)``), each as long as it."""
    names = {n for n in (dotted_name(dataset),) if n}
    made = dataset
    if type(dataset) is cst.Name:
        assign = ctx.last_assignment(dataset.value, call)
        if assign is not None and len(assign.targets) == 1 and type(
                assign.targets[0].target) is cst.Name:
            made = assign.value
    if type(made) is cst.Call:
        names.update(n for a in made.args if a.keyword is None and not a.star
                     and (n := dotted_name(a.value)))
    return names


def _order_matters(ctx: FileContext, dataset: cst.BaseExpression) -> tuple[Requirement, ...]:
    """For a data set of a project class (of this file or another), that its items are the
    ones the index asks for (a ``__getitem__`` that picks its item at random has no order
    to shuffle: :data:`ITEM_BY_INDEX`)."""
    value = ctx.value(dataset)
    if value is None or value.project_class is None:
        return ()
    return (Requirement(value.project_class, ITEM_BY_INDEX, "", str(ctx.path)),)


def _is_none(expr: cst.BaseExpression) -> bool:
    return type(expr) is cst.Name and expr.value == "None"


def _names_in(target: cst.BaseExpression) -> list[str]:
    if type(target) is cst.Name:
        return [target.value]
    if type(target) in (cst.Tuple, cst.List):
        return [n for el in target.elements for n in _names_in(el.value)]
    return []


def _is_range(expr: cst.BaseExpression) -> bool:
    """``range(...)``, possibly wrapped in ``tqdm(...)``/``enumerate(...)``."""
    if type(expr) is not cst.Call:
        return False
    name = dotted_name(expr.func)
    if name == "range":
        return True
    return any(_is_range(arg.value) for arg in expr.args if arg.keyword is None)


# Calls that cut an array into a list of consecutive chunks (``np.array_split(X, 50)``).
_CHUNKING = frozenset({"numpy.array_split", "numpy.split", "torch.split", "torch.chunk",
                       "torch.tensor_split"})


def _chunks_walked(
    ctx: FileContext, loop: cst.For, targets: set[str]
) -> list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode]]:
    """``batches[i]`` for ``i`` of the loop, where ``batches = np.array_split(X_train, 50)``
    is bound once, before the loop, in its scope: consecutive chunks cut once and walked in
    the same order. The data cut, the index, the subscript."""
    found: list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode]] = []
    for node in D.descendants(ctx, loop.body, cst.Subscript):
        element = node.slice[0].slice if len(node.slice) == 1 else None
        if not (type(element) is cst.Index and type(element.value) is cst.Name
                and element.value.value in targets and type(node.value) is cst.Name):
            continue
        made = _only_value(ctx, node.value.value, loop)
        if (type(made) is cst.Call and ctx.qualname(made.func) in _CHUNKING
                and made.args and made.args[0].keyword is None and not made.args[0].star):
            found.append((made.args[0].value, element.value, node))
    return found


def _batch_slices(
    ctx: FileContext, loop: cst.For, variables: set[str]
) -> list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode]]:
    """``data[i:i + bs]`` and ``data.narrow(0, i, bs)`` whose start depends on the loop
    variable (or a counter the loop advances): the data, the start, the slicing node."""
    found: list[tuple[cst.BaseExpression, cst.BaseExpression, cst.CSTNode]] = []
    for node in D.descendants(ctx, loop.body, cst.Subscript):
        element = node.slice[0].slice if len(node.slice) == 1 else None
        if type(element) is cst.Slice and element.lower is not None and D.mentions(
            element.lower, variables
        ):
            found.append((node.value, element.lower, node))
    for call in D.calls_in(ctx, loop.body):
        start = argument(call, 1, "start")
        if (type(call.func) is cst.Attribute and call.func.attr.value == "narrow"
                and start is not None and D.mentions(start, variables)):
            found.append((call.func.value, start, call))
    return found
