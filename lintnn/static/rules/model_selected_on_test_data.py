"""NN308: the test set chooses the model (best checkpoint, early stopping, the LR schedule)."""

from __future__ import annotations

from collections.abc import Iterable

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.functions import (
    TRAINS,
    function_requirement,
    project_function,
    selects_on,
)
from lintnn.static.analyses.modes import Event, mode_index
from lintnn.static.analyses.selection import comparisons as _comparisons
from lintnn.static.analyses.selection import keeps_or_stops as _keeps_or_stops
from lintnn.static.analyses.selection import names_read as _names_read
from lintnn.static.analyses.selection import orders as _orders
from lintnn.static.analyses.selection import plain_names as _plain_names
from lintnn.static.analyses.selection import saves as _saves
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    has_star_args,
    keyword,
    method_name,
    string_value,
    target_names,
)
from lintnn.static.syntax.project import Requirement

_TEST_WORDS = frozenset({"test", "testing", "holdout", "heldout"})
_TEST_STEMS = ("test", "holdout", "heldout")  # what a name with one of those words holds
_SELECTING_CALLBACKS = frozenset({"EarlyStopping", "ModelCheckpoint", "ReduceLROnPlateau"})
# A trainer calls the function given to these while it trains.
_CALLBACK_REGISTRATIONS = frozenset({"set_callback", "add_callback", "register_callback"})


class ModelSelectedOnTestData(Rule):
    """The test set decides which weights are kept, when training stops, or the schedule."""

    code = "NN308"
    name = "model-selected-on-test-data"
    severity = Severity.WARNING
    message = (
        "the test set chooses the model here (the best checkpoint, early stopping or the "
        "learning-rate schedule): its score is then an optimistic, tuned number, not an "
        "estimate on unseen data; select on a validation split and touch the test set once, "
        "at the end"
    )
    frameworks = ("torch", "keras", "jax", "sklearn")
    triggers = ("test", "train=False")
    # Every finding names test data or a test pass (``_is_test_name``), or a data set
    # built with ``train=False``; it sits in or under a loop that takes steps or fits, in
    # a function registered as a trainer's callback, at a Keras ``fit`` or at a
    # scheduler's ``step``.
    needs = (Needs(words=lambda word: word == "train" or any(
                 w in word.lower() for w in _TEST_STEMS)),
             Needs(calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS, "fit", "fit_generator",
                          "search", *_CALLBACK_REGISTRATIONS),
                   project_imports=True))  # a function of another file may train

    def check(self, ctx: FileContext) -> None:
        if D.is_test_module(ctx):
            return
        reported = [node for node in D.nodes_of(ctx, cst.If)
                    if _selects_on_test(ctx, node)]  # type: ignore[arg-type]
        at = [_condition(ctx, node)[0] for node in reported]  # type: ignore[arg-type]
        at += [assign.value for assign in ctx.index.assignments
               if _flag_saved_on_test(ctx, assign) and assign.value not in at]
        for node in dict.fromkeys(at):
            ctx.report(node)
        for call in _test_data_given_for_selection(ctx, reported):
            ctx.report(call)
        for call, requires in _test_score_given_to_project_selector(ctx):
            ctx.report(call, requires=requires)
        for call in ctx.index.calls:
            if _keras_selects_on_test(ctx, call) or _plateau_on_test(ctx, call) or (
                    _booster_selects_on_test(ctx, call)):
                ctx.report(call)


def _is_test_name(name: str | None) -> bool:
    """``test_acc``, ``X_test``, ``holdout_loss``, ``testloader`` (glued to a data word);
    not ``val_test_split``-like mixtures."""
    found = D.words(name) if name else []
    return any(w in _TEST_WORDS or any(D.glued_to_data(w, stem) for stem in _TEST_STEMS)
               for w in found) and not any(w.startswith("val") for w in found)


def _test_metric(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """A number computed on test data: named so (``test_acc``, ``test_losses[-1]``), traced
    to test data through its assignments and this file's functions (``acc =
    evaluate(model, test_loader)``, ``rmse = sqrt(mse(y_test, pred))``, ``acc =
    eval_epoch()`` returning ``correct / len(test_loader.dataset)``), or computed in a
    function named as the test pass (``def test(epoch): ... acc = correct / total``).
    Whatever also traces to validation data is left alone."""
    if type(expr) is cst.Subscript:
        expr = expr.value
    name = dotted_name(expr)
    if name is None:
        return False
    if _is_test_name(name):  # unless computed on validation data (``test_stats =
        # evaluate(val_loader)``, ``test_acc += acc`` over the validation loader)
        return "." in name or _VALIDATION not in (
            _splits_of_name(ctx, name, at, 0) | _splits_of_total(ctx, name, at))
    function = ctx.index.enclosing_function(at)
    if function is not None and _is_test_name(function.name.value) and (
            name.split(".")[0] in ctx.flow(function).local_names):
        return True
    return "." not in name and _splits_of_name(ctx, name, at, 0) == {_TEST}


_TEST, _VALIDATION, _TRAIN = "test", "validation", "train"
_MAX_DEPTH = 4
# Words of settings, not data: ``test_size``, ``args.test_batch_size``, ``test_every``.
_SETTING_WORDS = frozenset({"size", "sizes", "ratio", "frac", "fraction", "split", "every",
                            "interval", "freq", "frequency", "num", "steps", "step", "path",
                            "dir", "file", "mode", "only", "bs", "epochs", "iters", "start",
                            "period", "batch"})
_SPLIT_STRINGS = {"test": _TEST, "testing": _TEST, "holdout": _TEST,
                  "val": _VALIDATION, "valid": _VALIDATION, "validation": _VALIDATION}


def _split_of_data_name(name: str) -> str | None:
    """``test_loader`` -> test, ``X_valid`` -> validation, ``args.test_size`` -> None."""
    found = D.words(name)
    if _SETTING_WORDS & set(found):
        return None
    if _is_test_name(name):
        return _TEST
    return _VALIDATION if D.split_of(name) == D.EVAL else None


def _splits_of_name(ctx: FileContext, name: str, at: cst.CSTNode, depth: int) -> set[str]:
    """The splits a plain local name's last assignment before ``at`` traces to."""
    if depth >= _MAX_DEPTH:
        return set()
    assigned = ctx.last_assignment(name, at)
    loop = _binding_loop(ctx, name, at, assigned)
    if loop is not None:  # ``for batch in test_ds: a = eval_step(model, batch)``
        return _splits_of(ctx, loop.iter, loop, depth + 1)
    if assigned is None or _picks_rows(_bound_part(assigned, name)[0]):
        return set()  # ``cv_input = input_data[cv_index]``: which rows, the name must say
    found = _splits_of_binding(ctx, name, assigned, depth + 1)
    if _is_empty_container(assigned.value):  # ``acc = []`` then ``acc.append(a)``
        for added in _added_to(ctx, name, assigned, at):
            found |= _splits_of(ctx, added.args[0].value, added, depth)
    return found


def _splits_of_total(ctx: FileContext, name: str, at: cst.CSTNode) -> set[str]:
    """The splits of what a total started at a number adds up before ``at`` (``acc = 0``,
    then ``acc += batch_acc`` in a loop over a loader)."""
    assigned = ctx.last_assignment(name, at)
    if assigned is None or type(assigned.value) not in (cst.Integer, cst.Float):
        return set()
    found: set[str] = set()
    for update in _accumulated_into(ctx, name, assigned, at):
        found |= _splits_of(ctx, update.value, update, 1)
    return found


def _bound_part(assigned: cst.Assign, name: str
                ) -> tuple[cst.BaseExpression, tuple[int, int] | None]:
    """What ``assigned`` binds to ``name``: the value itself; for ``a, name = x, y`` the
    element at its position; for ``a, name = f(...)`` the value with that position (index,
    count); a starred target or nested tuple leaves the whole value."""
    for target in (t.target for t in assigned.targets):
        if type(target) not in (cst.Tuple, cst.List):
            continue
        elements = [e.value for e in target.elements]
        names = [dotted_name(e) if type(e) is not cst.StarredElement else None
                 for e in elements]
        if name not in names or None in names:
            continue
        position, count = names.index(name), len(names)
        value = assigned.value
        if type(value) in (cst.Tuple, cst.List) and len(value.elements) == count and not (
                any(type(e) is cst.StarredElement for e in value.elements)):
            return value.elements[position].value, None
        return value, (position, count)
    return assigned.value, None


def _splits_of_binding(ctx: FileContext, name: str, assigned: cst.Assign,
                       depth: int) -> set[str]:
    """The splits of what ``assigned`` binds to ``name``. Unpacked from a call, the
    position alone: the same element of every tuple that a function of this file
    returns (its parameters standing for the arguments given for them), when what it is
    built from says its split (``return x_train, y_train, x_test, y_test``); else the
    whole call, unless the call is given training data as well as test data
    (``tr, va, te = make_sets(train_x, test_x)``): which part holds which is unknown."""
    value, position = _bound_part(assigned, name)
    if position is None or type(value) is not cst.Call:
        return _splits_of(ctx, value, assigned, depth)
    returned = _returned_splits(ctx, value, position, depth)
    if returned:
        return returned - {_TRAIN}
    found = _splits_of(ctx, value, assigned, depth)
    if _TEST in found and any(_reads_training_data(a.value) for a in value.args):
        return set()
    return found


def _returned_splits(ctx: FileContext, call: cst.Call, position: tuple[int, int],
                     depth: int) -> set[str]:
    """The splits (training included) of the element at ``position`` of every tuple the
    function ``call`` reaches returns; empty when some return is not such a tuple or an
    element says nothing of its data."""
    fn = ctx.call_graph.target(call)
    if fn is None or depth >= _MAX_DEPTH:
        return set()
    index, count = position
    returns = D.nodes_in_scope(ctx, cst.Return, fn)
    if not returns or any(
            type(r.value) is not cst.Tuple or len(r.value.elements) != count
            or any(type(e) is cst.StarredElement for e in r.value.elements)
            for r in returns):
        return set()
    params = {p.name.value: p for p in _parameters(fn)}
    found: set[str] = set()
    for ret in returns:
        element = ret.value.elements[index].value  # type: ignore[union-attr]
        split = _splits_of(ctx, element, ret, depth + 1, frozenset(params))
        split |= {_TRAIN} if _reads_training_data(element, params.keys()) else set()
        for read in {n.value for n in _plain_names(element)} & params.keys():
            given = _argument_for(fn, params[read], call)
            if given is not None:
                split |= _splits_of(ctx, given, call, depth + 1)
                split |= {_TRAIN} if _reads_training_data(given) else set()
        if not split:
            return set()  # this return says nothing: the position is not told
        found |= split
    return found


def _reads_training_data(expr: cst.BaseExpression,
                         skip: Iterable[str] = ()) -> bool:
    """``expr`` reads a name that says training data (``x_train``, ``self.train_ds``),
    not counting called functions (``model.train()``) nor the names of ``skip``."""
    skipped = set(skip)
    todo: list[cst.CSTNode] = [expr]
    while todo:
        node = todo.pop()
        if type(node) in (cst.Name, cst.Attribute) and dotted_name(node) is not None:
            name = dotted_name(node) or ""
            if name.split(".")[0] not in skipped and D.clear_split(name) == D.TRAIN:
                return True
        elif type(node) is cst.Call:
            todo.extend(arg.value for arg in node.args)
            if type(node.func) is cst.Attribute:
                todo.append(node.func.value)
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            todo.extend(iter_children(node))
    return False


def _picks_rows(expr: cst.BaseExpression) -> bool:
    """``data[idx]``, ``data[:n]``: rows picked by an index array or a slice (a part of
    data that may combine splits); not ``scores[-1]`` nor ``results["test"]``."""
    if type(expr) is not cst.Subscript:
        return False
    return any(type(e.slice) is cst.Slice or (
        type(e.slice) is cst.Index and type(e.slice.value) in (cst.Name, cst.Attribute))
        for e in expr.slice)


def _binding_loop(ctx: FileContext, name: str, at: cst.CSTNode,
                  assigned: cst.Assign | None) -> cst.For | None:
    """The loop around ``at`` whose target binds ``name`` after its last assignment."""
    for loop in ctx.index.enclosing_loops(at):
        if type(loop) is cst.For and name in set(target_names(loop.target)) and (
                assigned is None or D.order(ctx, loop) > D.order(ctx, assigned)):
            return loop
    return None


def _is_empty_container(expr: cst.BaseExpression) -> bool:
    if type(expr) in (cst.List, cst.Tuple):
        return not expr.elements
    return type(expr) is cst.Call and dotted_name(expr.func) == "list" and not expr.args


def _added_to(ctx: FileContext, name: str, start: cst.CSTNode,
              end: cst.CSTNode) -> list[cst.Call]:
    """The calls ``name.append(v)`` / ``name.extend(v)`` between ``start`` and ``end``, in
    the scope of ``start``."""
    first, last = D.order(ctx, start), D.order(ctx, end)
    return [call for call in D.calls_by_scope(ctx).get(ctx.scope_of(start), ())
            if method_name(call) in ("append", "extend") and call.args
            and type(call.func) is cst.Attribute and dotted_name(call.func.value) == name
            and first < D.order(ctx, call) < last]


def _accumulated_into(ctx: FileContext, name: str, start: cst.CSTNode,
                      end: cst.CSTNode) -> list[cst.AugAssign]:
    """The updates ``name += v`` (any operator) between ``start`` and ``end``, in the
    scope of ``start``: a total a loop adds each batch's metric to."""
    first, last = D.order(ctx, start), D.order(ctx, end)
    scope = ctx.scope_of(start)
    return [node for node in D.nodes_of(ctx, cst.AugAssign)
            if type(node.target) is cst.Name and node.target.value == name  # type: ignore[attr-defined]
            and first < D.order(ctx, node) < last and ctx.scope_of(node) is scope]


def _splits_of(ctx: FileContext, expr: cst.CSTNode, at: cst.CSTNode, depth: int,
               params: frozenset[str] = frozenset()) -> set[str]:
    """The data splits (test, validation) an expression is computed from: the data names
    it reads, a dataset built on a split (``CIFAR10(train=False)``, ``split="test"``),
    split strings passed to calls (``eval_split(model, "test")``), and what this file's
    functions it calls return or iterate over. A name that says its split is not
    followed further; a name that does not is followed to its last assignment. Inside a
    called function, its parameters (``params``) say nothing: the call's arguments do."""
    found: set[str] = set()
    todo: list[cst.CSTNode] = [expr]
    while todo:
        node = todo.pop()
        if type(node) in (cst.Name, cst.Attribute) and dotted_name(node) is not None:
            if (dotted_name(node) or "").split(".")[0] not in params:
                found |= _splits_of_reference(ctx, node, at, depth)
        elif type(node) is cst.Call:
            found |= _splits_of_call(ctx, node, depth)
            todo.extend(arg.value for arg in node.args)
            if type(node.func) not in (cst.Name, cst.Attribute):
                todo.append(node.func)
            elif type(node.func) is cst.Attribute and (
                    node.func.attr.value in _VALUE_METHODS):
                todo.append(node.func.value)  # ``loss.item()``: the loss's data
        elif type(node) is cst.SimpleString:
            split = _SPLIT_STRINGS.get(string_value(node) or "")
            found |= {split} if split else set()
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            todo.extend(iter_children(node))
    return found


# Methods whose result is computed from their receiver's data alone (``loss.item()``,
# ``x.to(device)``).
_VALUE_METHODS = D.PASSTHROUGH_METHODS | {"item", "mean", "sum", "detach", "tolist"}


def _splits_of_reference(ctx: FileContext, node: cst.BaseExpression, at: cst.CSTNode,
                         depth: int) -> set[str]:
    name = dotted_name(node) or ""
    if type(node) is cst.Name:
        built = _dataset_split_of_name(ctx, name, at)
        if built is not None:
            return {built} - {_TRAIN}
    split = _split_of_data_name(name)
    if split == _VALIDATION and type(node) is cst.Name and _holds_test_data(
            ctx, name, at, depth):
        return {_TEST}  # ``validation_data = (x_test_scaled, y_test_scaled)``
    if split == _TEST and type(node) is cst.Name and _holds_validation_data(
            ctx, name, at, depth):
        return {_VALIDATION}  # ``for x_test, y_test in validation_loader``
    if split is not None:
        return {split}
    if D.clear_split(name) == D.TRAIN or "." in name:
        return set()
    return _splits_of_name(ctx, name, at, depth)


def _holds_test_data(ctx: FileContext, name: str, at: cst.CSTNode, depth: int) -> bool:
    """A name that says validation assigned test data as it is, whatever its name
    (``validation_data = (np.expand_dims(x_test, 0), np.expand_dims(y_test, 0))``), or a
    list filled only with values computed on it (``val_losses = []``, then
    ``val_losses.append(loss.item())`` in ``for x, y in test_loader``). Not
    a part of it (``X_val = X_test[:500]``, a split of the test set): that part may well
    be a validation set."""
    assigned = ctx.last_assignment(name, at)
    if assigned is None or depth >= _MAX_DEPTH or _takes_a_part(
            ctx, _bound_part(assigned, name)[0]):
        return False
    if _is_empty_container(assigned.value):  # ``val_losses = []``, then filled on test data
        added = _added_to(ctx, name, assigned, at)
        return bool(added) and not any(
            _takes_a_part(ctx, call.args[0].value) for call in added) and set().union(
            *(_splits_of(ctx, call.args[0].value, call, depth + 1) for call in added)) == {_TEST}
    return _splits_of_binding(ctx, name, assigned, depth + 1) == {_TEST}


def _holds_validation_data(ctx: FileContext, name: str, at: cst.CSTNode, depth: int) -> bool:
    """A name that says test bound to validation data alone, whatever its name: a target of
    a loop over it (``for x_test, y_test in validation_loader``) or assigned from it
    (``n_test = len(val_set)``). The code says what it holds."""
    if depth >= _MAX_DEPTH:
        return False
    assigned = ctx.last_assignment(name, at)
    loop = _binding_loop(ctx, name, at, assigned)
    if loop is not None:
        return _splits_of(ctx, loop.iter, loop, depth + 1) == {_VALIDATION}
    if assigned is None or ctx.scope_of(assigned) is not ctx.scope_of(at):
        return False
    return _splits_of_binding(ctx, name, assigned, depth + 1) == {_VALIDATION}


def _takes_a_part(ctx: FileContext, expr: cst.BaseExpression) -> bool:
    """Rows picked (a subscript, ``.iloc``, ``.take``) or a split (``train_test_split``,
    ``random_split``) somewhere in ``expr``."""
    if D.descendants(ctx, expr, cst.Subscript):
        return True
    return any("split" in (method_name(c) or dotted_name(c.func) or "").lower()
               or method_name(c) in _PART_METHODS for c in D.calls_in(ctx, expr))


_PART_METHODS = frozenset({"take", "sample", "skip", "shard", "head", "tail"})


def _dataset_split_of_name(ctx: FileContext, name: str, at: cst.CSTNode) -> str | None:
    """The split the data set behind ``name`` was built on (``val_loader =
    DataLoader(CIFAR10(root, train=False))`` holds the test split, whatever its name)."""
    assigned = ctx.last_assignment(name, at)
    if assigned is None:
        return None
    splits = {split for call in D.calls_in(ctx, _bound_part(assigned, name)[0])
              if (split := _dataset_split(ctx, call)) is not None}
    return splits.pop() if len(splits) == 1 else None


def _dataset_split(ctx: FileContext, call: cst.Call) -> str | None:
    """``CIFAR10(root, train=False)`` (torchvision): test; ``train=True``: training;
    ``load_dataset(..., split="test")``, ``tfds.load(split="validation")``. Only for data
    sets (a callee named or imported as one): ``Net(train=False)`` is a model's flag."""
    callee = ctx.qualname(call.func) or dotted_name(call.func) or ""
    if "dataset" not in callee.lower():
        return None
    train = bool_value(keyword(call, "train"))
    if train is not None:
        return _TRAIN if train else _TEST
    split = string_value(keyword(call, "split"))
    if split is not None:
        return _SPLIT_STRINGS.get(split, _TRAIN if split.startswith("train") else None)
    return None


def _splits_of_call(ctx: FileContext, call: cst.Call, depth: int) -> set[str]:
    """What a function of this file returns, or the data its loops iterate over."""
    fn = ctx.call_graph.target(call)
    if fn is None or depth >= _MAX_DEPTH:
        return set()
    params = frozenset(p.name.value for p in (*fn.params.posonly_params, *fn.params.params,
                                              *fn.params.kwonly_params))
    found: set[str] = set()
    for ret in D.nodes_in_scope(ctx, cst.Return, fn):
        if ret.value is not None:
            found |= _splits_of(ctx, ret.value, ret, depth + 1, params)
    for loop in D.nodes_in_scope(ctx, cst.For, fn):
        found |= _splits_of(ctx, loop.iter, loop, depth + 1, params)
    return found


def _condition(ctx: FileContext, node: cst.If) -> tuple[cst.BaseExpression, cst.CSTNode]:
    """What a branch tests, and where that is computed: ``if is_best:`` tests the
    comparison last assigned to the flag alone (``is_best = acc > best_acc``), else the
    branch's own condition."""
    if type(node.test) is cst.Name:
        assigned = ctx.last_assignment(node.test.value, node)
        if assigned is not None and len(assigned.targets) == 1 and type(
                assigned.targets[0].target) is cst.Name and _comparisons(assigned.value):
            return assigned.value, assigned
    return node.test, node


def _selects_on_test(ctx: FileContext, node: cst.If) -> bool:
    """``if test_acc > best_acc: torch.save(...)`` (or ``break``, in either branch) in a
    loop that trains; the comparison may be one operand of ``and``/``or``, or assigned
    to the flag the branch tests (``is_best = acc > best; if is_best: ...``)."""
    test, at = _condition(ctx, node)
    comparisons = _comparisons(test)
    if not any(_compares_test_metric(ctx, c, at) for c in comparisons):
        return False
    if any(_names_validation_phase(c) for c in comparisons):
        return False  # ``if phase == "val" and best_test_acc < acc``: the data is validation
    if not _in_training_loop(ctx, node):
        return False
    if all(_against_fixed_bound(ctx, c, at) for c in comparisons
           if _compares_test_metric(ctx, c, at)):
        keeps = _stops  # ``acc >= accuracy_best`` never updated: every epoch is saved
    else:
        keeps = _keeps_or_stops
    return keeps(ctx, node.body) or (node.orelse is not None and keeps(ctx, node.orelse))


def _against_fixed_bound(ctx: FileContext, test: cst.Comparison, at: cst.CSTNode) -> bool:
    """The score is compared with a number (``acc > 0.9``) or a name that no statement
    of the loop (or of the function the comparison is in) rebinds: no best score is
    tracked, so a branch that saves keeps every epoch that passes, not the best one."""
    others = [side for side in (test.left, *(c.comparator for c in test.comparisons))
              if not _test_metric(ctx, side, at)]
    return bool(others) and all(_fixed(ctx, side, at) for side in others)


def _fixed(ctx: FileContext, side: cst.BaseExpression, at: cst.CSTNode) -> bool:
    if type(side) is cst.UnaryOperation:
        side = side.expression
    if type(side) in (cst.Integer, cst.Float):
        return True
    if type(side) is not cst.Name:
        return False
    name = side.value
    loops = ctx.index.enclosing_loops(at)
    function = ctx.index.enclosing_function(at)
    region = loops[-1] if loops else function
    if function is not None and name in {p.name.value for p in _parameters(function)}:
        return False  # its callers may pass the best so far (``validate(loader, best)``)
    if region is None or any(name in _declared(ctx, node) for node in (
            *D.nodes_of(ctx, cst.Global), *D.nodes_of(ctx, cst.Nonlocal))):
        return False  # a function may rebind it (``global best_acc``)
    return not any(name in _bound_names(node) and ctx.index.is_inside(node, region)
                   for kind in (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For,
                                cst.NamedExpr)
                   for node in D.nodes_of(ctx, kind))


def _declared(ctx: FileContext, node: cst.CSTNode) -> set[str]:
    return {n.name.value for n in node.names}  # type: ignore[attr-defined]


def _bound_names(node: cst.CSTNode) -> set[str]:
    """The plain names a binding statement binds."""
    if type(node) is cst.Assign:
        return {n for t in node.targets for n in target_names(t.target)}
    if type(node) in (cst.AugAssign, cst.AnnAssign, cst.NamedExpr, cst.For):
        return set(target_names(node.target))
    return set()


def _stops(ctx: FileContext, body: cst.CSTNode) -> bool:
    return bool(D.descendants(ctx, body, cst.Break))


_VALIDATION_STRINGS = frozenset({"val", "valid", "validation", "validate", "dev", "eval"})


def _names_validation_phase(test: cst.Comparison) -> bool:
    """``phase == "val"``: the condition itself says the score is a validation score,
    whatever the variable holding it is called."""
    if not any(type(c.operator) is cst.Equal for c in test.comparisons):
        return False
    sides = [test.left, *(c.comparator for c in test.comparisons)]
    return any(type(side) is cst.SimpleString
               and str(side.evaluated_value).lower() in _VALIDATION_STRINGS for side in sides)


def _compares_test_metric(ctx: FileContext, test: cst.Comparison, at: cst.CSTNode) -> bool:
    """An ordering comparison with a test score on one side (not a cap on iterations)."""
    if not _orders(test) or _caps_iterations(ctx, test, at):
        return False
    sides = [test.left, *(c.comparator for c in test.comparisons)]
    return any(_test_metric(ctx, side, at) for side in sides)


def _caps_iterations(ctx: FileContext, test: cst.Comparison, at: cst.CSTNode) -> bool:
    """``i < num_batches`` with ``i`` counting the passes of a loop around ``at``: a cap on
    the batches or steps (``for i, batch in enumerate(loader): if i >= n: break``), not a
    score, whatever the loop iterates over."""
    counters = _iteration_counters(ctx, at)
    return any(type(side) is cst.Name and side.value in counters
               for side in (test.left, *(c.comparator for c in test.comparisons)))


_INDEXING_WRAPPERS = frozenset({"tqdm", "tqdm.tqdm", "tqdm.auto.tqdm", "tqdm.notebook.tqdm"})


def _iteration_counters(ctx: FileContext, at: cst.CSTNode) -> set[str]:
    """The names that count the passes of the loops around ``at``: the index of ``for i
    in range(n)`` / ``for i, x in enumerate(data)`` (also under ``tqdm``), and a name
    the loop only advances by a constant (``step += 1``; a patience counter, reset when
    the score improves, is not one)."""
    found: set[str] = set()
    for loop in ctx.index.enclosing_loops(at):
        if type(loop) is not cst.For:
            continue
        source = _unwrapped(loop.iter)
        kind = dotted_name(source.func) if type(source) is cst.Call else None
        if kind in ("range", "trange") and type(loop.target) is cst.Name:
            found.add(loop.target.value)
        elif kind == "enumerate" and type(loop.target) in (cst.Tuple, cst.List) and (
                loop.target.elements and type(loop.target.elements[0].value) is cst.Name):
            found.add(loop.target.elements[0].value.value)  # type: ignore[attr-defined]
        found |= _advanced_counters(ctx, loop)
    return found


def _unwrapped(expr: cst.BaseExpression) -> cst.BaseExpression:
    """``tqdm(enumerate(loader))``: the iterable a progress bar wraps."""
    while type(expr) is cst.Call and dotted_name(expr.func) in _INDEXING_WRAPPERS and (
            expr.args and expr.args[0].keyword is None):
        expr = expr.args[0].value
    return expr


def _advanced_counters(ctx: FileContext, loop: cst.For) -> set[str]:
    """Names the loop's body advances by an integer constant and binds nowhere else in
    it (``n_batches += 1``)."""
    advanced = {aug.target.value for aug in D.descendants(ctx, loop.body, cst.AugAssign)
                if type(aug.target) is cst.Name and type(aug.operator) is cst.AddAssign
                and type(aug.value) is cst.Integer}
    for kind in (cst.Assign, cst.AugAssign, cst.AnnAssign, cst.For, cst.NamedExpr):
        for node in D.descendants(ctx, loop.body, kind):
            if not (type(node) is cst.AugAssign and type(node.value) is cst.Integer
                    and type(node.operator) is cst.AddAssign):
                advanced -= _bound_names(node)
    return advanced


def _flag_saved_on_test(ctx: FileContext, assign: cst.Assign) -> bool:
    """``is_best = prec1 > best_prec1`` with ``prec1`` a test score, the flag then given to
    a call that saves (``save_checkpoint(state, is_best)``), in a loop that trains."""
    if type(assign.value) is not cst.Comparison or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if type(target) is not cst.Name:
        return False
    if not _compares_test_metric(ctx, assign.value, assign) or _against_fixed_bound(
            ctx, assign.value, assign):
        return False
    loops = ctx.index.enclosing_loops(assign)
    if not loops or not _in_training_loop(ctx, assign):
        return False
    return any(_saves(call) and any(
        type(arg.value) is cst.Name and arg.value.value == target.value
        for arg in call.args) for call in D.calls_in(ctx, loops[0]))


def _test_data_given_for_selection(ctx: FileContext,
                                   reported: list[cst.CSTNode]) -> list[cst.Call]:
    """``trainer.train_model(train_loader, test_loader)`` where ``train_model(self,
    train_loader, val_loader)`` keeps the best checkpoint by its score on ``val_loader``:
    the test data takes the validation set's place. Not where the selecting branch is
    itself ``reported`` (its score already says test: the bug is there)."""
    found: list[cst.Call] = []
    for fn, param, looped in _selecting_parameters(ctx, reported):
        for call in _calls_of(ctx, fn):
            given = _argument_for(fn, param, call)
            if given is not None and call not in found and _splits_of(
                    ctx, given, call, 0) == {_TEST} and (
                    looped or _in_training_loop(ctx, call)):
                found.append(call)
    return found


def _test_score_given_to_project_selector(
        ctx: FileContext) -> list[tuple[cst.Call, tuple[Requirement, ...]]]:
    """``save_best_model(model, test_acc, best_acc)``, in a loop that trains, where the
    function comes from another project file: the finding requires that its branch keeps
    the weights when that argument ranks above another (its summary), and, for a loop that
    trains only through a function of another file (``train_epoch(model, loader, opt)``),
    that one of those takes steps."""
    found = []
    for call in ctx.index.calls:
        function = project_function(ctx, call)
        loops = ctx.index.enclosing_loops(call)
        if function is None or not loops or has_star_args(call):
            continue
        keys = [arg.keyword.value if arg.keyword is not None else f"#{position}"
                for position, arg in enumerate(call.args)
                if _test_metric(ctx, arg.value, call)]
        if not keys:
            continue
        trains = _training_requirement(ctx, call, loops[0])
        if trains is not None:
            found.append((call, (function_requirement(
                function, keys, selects_on("{key}"), str(ctx.path)), *trains)))
    return found


def _training_requirement(ctx: FileContext, call: cst.Call,
                          loop: cst.CSTNode) -> tuple[Requirement, ...] | None:
    """``()`` when ``call`` is in a loop that trains; one requirement when ``loop`` calls
    functions of other project files, one of which must train; else None."""
    if _in_training_loop(ctx, call):
        return ()
    others = [f for other in D.calls_in(ctx, loop)
              if other is not call and (f := project_function(ctx, other)) is not None]
    if not others:
        return None
    return (function_requirement(others[0], [""], TRAINS, str(ctx.path)) if len(others) == 1
            else _any_trains(others, str(ctx.path)),)


def _any_trains(functions: list[str], near: str) -> Requirement:
    first, *rest = [function_requirement(f, [""], TRAINS, near) for f in functions]
    return Requirement(first.class_qualname, first.fact, first.role, near, tuple(rest))


def _selecting_parameters(ctx: FileContext, skip: list[cst.CSTNode]
                          ) -> list[tuple[cst.FunctionDef, cst.Param, bool]]:
    """The parameters of this file's functions whose data a selecting branch's score is
    computed from (``if score(val_loader) > best: save()``, in a loop that trains), and
    whether that branch is in a loop of the function itself (else each call selects
    once: it must be made in the loop that trains); the branches of ``skip`` left out."""
    found = []
    for node in D.nodes_of(ctx, cst.If):
        fn = ctx.index.enclosing_function(node)
        if fn is None or node in skip:
            continue
        params = {p.name.value: p for p in _parameters(fn)
                  if p.name.value not in ("self", "cls")}
        read: set[str] = set()
        bounds: list[bool] = []  # per comparison on a parameter: its other sides are fixed
        for comparison in _comparisons(node.test):  # type: ignore[attr-defined]
            if not _orders(comparison) or _caps_iterations(ctx, comparison, node):
                continue
            others = []
            for side in (comparison.left, *(c.comparator for c in comparison.comparisons)):
                reads = _names_read(ctx, side, node, 0) & params.keys()
                read |= reads
                others += [] if reads else [side]
            if len(others) < 1 + len(comparison.comparisons):  # a side reads a parameter
                bounds.append(bool(others) and all(_fixed(ctx, o, node) for o in others))
        # ``if acc > 0.9: save()`` keeps every epoch that passes: only stopping chooses
        keeps = _stops if bounds and all(bounds) else _keeps_or_stops
        if read and _in_training_loop(ctx, node) and (
                keeps(ctx, node.body) or (  # type: ignore[attr-defined]
                    node.orelse is not None and keeps(ctx, node.orelse))):  # type: ignore[attr-defined]
            looped = any(ctx.index.is_inside(loop, fn)
                         for loop in ctx.index.enclosing_loops(node))
            found += [(fn, params[name], looped) for name in sorted(read)
                      if (fn, params[name], looped) not in found]
    return found



def _parameters(fn: cst.FunctionDef) -> list[cst.Param]:
    return [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]


def _calls_of(ctx: FileContext, fn: cst.FunctionDef) -> list[cst.Call]:
    """Calls of ``fn``: those the call graph resolves, and ``obj.method(...)`` of a
    method whose name no other function of the file has."""
    calls = _callers(ctx, fn)
    if ctx.index.enclosing_class(fn) is None:
        return calls
    name = fn.name.value
    if sum(1 for other in ctx.index.functions if other.name.value == name) != 1:
        return calls
    for call in ctx.index.calls:
        func = call.func
        if type(func) is cst.Attribute and func.attr.value == name and call not in calls \
                and not (type(func.value) is cst.Name and func.value.value in (
                    "self", "super")) and not ctx.index.is_inside(call, fn):
            calls.append(call)
    return calls


def _argument_for(fn: cst.FunctionDef, param: cst.Param,
                  call: cst.Call) -> cst.BaseExpression | None:
    """What ``call`` passes for ``param`` (by keyword or position; a method's ``self``
    is not passed), or None when unsure."""
    if has_star_args(call):
        return None
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == param.name.value:
            return arg.value
    positional_params = [*fn.params.posonly_params, *fn.params.params]
    if _is_method(fn, positional_params):
        positional_params = positional_params[1:]
    if param not in positional_params:
        return None
    position = positional_params.index(param)
    values = [arg.value for arg in call.args if arg.keyword is None]
    return values[position] if position < len(values) else None


def _is_method(fn: cst.FunctionDef, params: list[cst.Param]) -> bool:
    return bool(params) and params[0].name.value in ("self", "cls")


def _in_training_loop(ctx: FileContext, node: cst.CSTNode, depth: int = 0) -> bool:
    """In a loop that trains (takes steps, calls a function of the file whose loop does,
    or ``fit``s a model: a search over trials), in
    a function called from one (``for epoch in ...: train(epoch); test(epoch)``), or in a
    function a trainer calls back (``trainer.set_callback("on_batch_end", fn)``)."""
    modes = mode_index(ctx)
    for loop in ctx.index.enclosing_loops(node):
        if D.is_training_loop(ctx, loop) or any(
                Event.STEP in kinds for _, kinds in modes.call_events(loop)) or any(
                method_name(call) == "fit" or _trains_inside(ctx, call)
                for call in D.calls_in(ctx, loop)):
            return True
    function = ctx.index.enclosing_function(node)
    if function is None or depth >= 2:
        return False
    return _registered_as_callback(ctx, function) or any(
        _in_training_loop(ctx, call, depth + 1) for call in _callers(ctx, function))


def _callers(ctx: FileContext, fn: cst.FunctionDef) -> list[cst.Call]:
    """The call graph's callers of ``fn``; for a ``__call__`` method, also the calls of
    the instances of its class (``es = EarlyStopping()`` ... ``es(model, loss)``)."""
    calls = list(ctx.call_graph.callers(fn))
    owner = ctx.index.enclosing_class(fn)
    if fn.name.value != "__call__" or owner is None:
        return calls
    return calls + [call for call in ctx.index.calls if type(call.func) is cst.Name
                    and _instance_of(ctx, call.func.value, call) is owner]


def _instance_of(ctx: FileContext, name: str, at: cst.CSTNode) -> cst.ClassDef | None:
    """The class of this file ``name`` was last assigned an instance of, if certain."""
    value = ctx.assigned_value(name, at)
    if type(value) is not cst.Call or type(value.func) is not cst.Name:
        return None
    classes = [c for c in ctx.index.classes if c.name.value == value.func.value]
    return classes[0] if len(classes) == 1 else None


def _trains_inside(ctx: FileContext, call: cst.Call) -> bool:
    """``self.train_epoch(loader)``: a function of this file with a loop that trains."""
    fn = ctx.call_graph.target(call)
    return fn is not None and any(D.is_training_loop(ctx, loop)
                                  for loop in D.nodes_in_scope(ctx, cst.For, fn))


def _registered_as_callback(ctx: FileContext, function: cst.FunctionDef) -> bool:
    """``trainer.set_callback("on_batch_end", fn)`` / ``add_callback``: a trainer calls
    ``fn`` while it trains."""
    registered: set[str] | None = ctx.__dict__.get("_nn308_callbacks")
    if registered is None:
        registered = set()
        for call in ctx.index.calls:
            callee = method_name(call) or (dotted_name(call.func) or "").rsplit(".", 1)[-1]
            if callee in _CALLBACK_REGISTRATIONS:
                registered |= {arg.value.value for arg in call.args
                               if type(arg.value) is cst.Name}
        ctx.__dict__["_nn308_callbacks"] = registered
    return function.name.value in registered


def _keras_selects_on_test(ctx: FileContext, call: cst.Call) -> bool:
    """``fit(..., validation_data=(x_test, y_test), callbacks=[EarlyStopping(...)])``, the
    callback also built by a function of the file (``callbacks=[make_checkpoint(name)]``);
    a keras-tuner ``search(..., validation_data=test)``, which always keeps the best trial."""
    method = method_name(call)
    if method not in ("fit", "fit_generator", "search") or "keras" not in ctx.frameworks:
        return False
    data = keyword(call, "validation_data")
    if data is None or _splits_of(ctx, data, call, 0) != {_TEST}:
        return False
    if method == "search":
        return _is_tuner(ctx, call)
    callbacks = keyword(call, "callbacks")
    return callbacks is not None and any(
        _selecting_callback(c) for c in _callback_calls(ctx, callbacks, call, 0))


def _is_tuner(ctx: FileContext, call: cst.Call) -> bool:
    """``tuner.search(...)`` on a keras-tuner tuner (``kt.RandomSearch(...)``)."""
    if type(call.func) is not cst.Attribute or type(call.func.value) is not cst.Name:
        return False
    assigned = ctx.last_assignment(call.func.value.value, call)
    if assigned is None or type(assigned.value) is not cst.Call:
        return False
    qualname = ctx.qualname(assigned.value.func) or ""
    return qualname.split(".")[0] in _TUNER_MODULES


_TUNER_MODULES = frozenset({"keras_tuner", "kerastuner"})
_CALLBACK_DEPTH = 5


def _callback_calls(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode,
                    depth: int) -> list[cst.Call]:
    """The callback constructions a ``callbacks=`` value holds: the elements of a list or
    tuple, through the names they were assigned to and what a function of the file returns
    (``def create_model_checkpoint(name): return ModelCheckpoint(name, save_best_only=True)``)."""
    if depth > _CALLBACK_DEPTH:
        return []
    if type(expr) is cst.Name:
        assigned = ctx.last_assignment(expr.value, at)
        return [] if assigned is None else _callback_calls(ctx, assigned.value, assigned,
                                                          depth + 1)
    if type(expr) in (cst.List, cst.Tuple):
        return [c for e in expr.elements if type(e) is not cst.StarredElement
                for c in _callback_calls(ctx, e.value, at, depth)]
    if type(expr) is not cst.Call:
        return []
    fn = ctx.call_graph.target(expr)
    if fn is None:
        return [expr]
    return [c for ret in D.nodes_in_scope(ctx, cst.Return, fn) if ret.value is not None
            for c in _callback_calls(ctx, ret.value, ret, depth + 1)]


def _selecting_callback(callback: cst.Call) -> bool:
    """A callback that chooses on the score of ``validation_data``: ``EarlyStopping`` (the
    stopping epoch, and the weights with ``restore_best_weights``), ``ReduceLROnPlateau``
    (the schedule), ``ModelCheckpoint(save_best_only=True)`` (the kept weights; without it
    every epoch is saved and nothing is chosen)."""
    name = (dotted_name(callback.func) or "").rsplit(".", 1)[-1]
    if name not in _SELECTING_CALLBACKS:
        return False
    if name == "ModelCheckpoint" and bool_value(keyword(callback, "save_best_only")) is not True:
        return False
    return _monitors_validation(callback)


def _booster_selects_on_test(ctx: FileContext, call: cst.Call) -> bool:
    """``fit(..., eval_set=[(X_test, y_test)])`` of a gradient-boosting model that keeps the
    best iteration on it: CatBoost by default (``use_best_model`` is True when an
    ``eval_set`` is given), XGBoost and LightGBM with early stopping
    (``early_stopping_rounds``, ``callbacks=[lgb.early_stopping(...)]``)."""
    if method_name(call) != "fit" or type(call.func) is not cst.Attribute:
        return False
    data = keyword(call, "eval_set")
    if data is None or _splits_of(ctx, data, call, 0) != {_TEST}:
        return False
    built = _constructor(ctx, call.func.value, call)
    if built is None:
        return False
    library = (ctx.qualname(built.func) or "").split(".")[0]
    if library == "catboost":
        return all(bool_value(keyword(c, "use_best_model")) is not False for c in (built, call))
    if library in ("xgboost", "lightgbm"):
        return any(_stops_early(c) for c in (built, call))
    return False


def _constructor(ctx: FileContext, model: cst.BaseExpression, at: cst.CSTNode
                 ) -> cst.Call | None:
    """The call that built the model a name holds (``clf = CatBoostClassifier(...)``)."""
    if type(model) is cst.Call:
        return model
    if type(model) is not cst.Name:
        return None
    assigned = ctx.last_assignment(model.value, at)
    return assigned.value if assigned is not None and type(
        assigned.value) is cst.Call else None


def _stops_early(call: cst.Call) -> bool:
    """``early_stopping_rounds=10`` (not None), or an early-stopping callback."""
    rounds = keyword(call, "early_stopping_rounds")
    if rounds is not None and not (type(rounds) is cst.Name and rounds.value == "None"):
        return True
    callbacks = keyword(call, "callbacks")
    elements = callbacks.elements if type(callbacks) in (cst.List, cst.Tuple) else []
    return any(type(e.value) is cst.Call and (dotted_name(e.value.func) or "").rsplit(
        ".", 1)[-1] in ("early_stopping", "EarlyStopping") for e in elements)


def _monitors_validation(callback: cst.Call) -> bool:
    """The callback watches a score of ``validation_data`` (``monitor="val_..."``, the
    default), not a training one (``monitor="loss"``)."""
    monitor = keyword(callback, "monitor")
    if monitor is None:
        return True
    name = string_value(monitor)
    return name is not None and name.startswith("val")


def _plateau_on_test(ctx: FileContext, call: cst.Call) -> bool:
    """``scheduler.step(test_loss)``: the test loss drives the learning rate."""
    if method_name(call) != "step" or type(call.func) is not cst.Attribute:
        return False
    metric = argument(call, 0, "metrics")
    if metric is None or not _test_metric(ctx, metric, call):
        return False
    scheduler = ctx.value(call.func.value)
    known = scheduler is not None and R.SCHEDULER in scheduler.roles
    return known or "plateau" in (dotted_name(call.func.value) or "").lower()
