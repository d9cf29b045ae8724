"""NN308: the test set chooses the model (best checkpoint, early stopping, the LR schedule)."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.modes import Event, mode_index
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import (
    argument,
    bool_value,
    dotted_name,
    has_star_args,
    keyword,
    method_name,
    string_value,
)

_TEST_WORDS = frozenset({"test", "testing", "holdout", "heldout"})
_TEST_STEMS = ("test", "holdout", "heldout")  # what a name with one of those words holds
# What a branch does when it selects: keep the weights, or stop training.
_SAVING_CALLS = frozenset({"save", "save_weights", "save_model", "save_checkpoint",
                           "state_dict", "deepcopy", "save_pretrained", "checkpoint"})
_SELECTING_CALLBACKS = frozenset({"EarlyStopping", "ModelCheckpoint"})
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
             Needs(calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS, "fit",
                          *_CALLBACK_REGISTRATIONS)))

    def check(self, ctx: FileContext) -> None:
        if D.is_test_module(ctx):
            return
        for node in D.nodes_of(ctx, cst.If):
            if _selects_on_test(ctx, node):  # type: ignore[arg-type]
                ctx.report(node.test)  # type: ignore[attr-defined]
        for assign in ctx.index.assignments:
            if _flag_saved_on_test(ctx, assign):
                ctx.report(assign.value)
        for call in _test_data_given_for_selection(ctx):
            ctx.report(call)
        for call in ctx.index.calls:
            if _keras_selects_on_test(ctx, call) or _plateau_on_test(ctx, call):
                ctx.report(call)


def _is_test_name(name: str | None) -> bool:
    """``test_acc``, ``X_test``, ``holdout_loss``; not ``val_test_split``-like mixtures."""
    found = D.words(name) if name else []
    return bool(_TEST_WORDS & set(found)) and not any(w.startswith("val") for w in found)


def _test_metric(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """A number computed on test data: named so (``test_acc``, ``test_losses[-1]``), traced
    to test data through its assignments and this file's functions (``acc =
    evaluate(model, test_loader)``, ``rmse = sqrt(mse(y_test, pred))``, ``acc =
    eval_epoch()`` returning ``correct / len(test_loader.dataset)``), or computed in a
    function named as the test pass (``def test(epoch): ... acc = correct / total``).
    Whatever also traces to validation data is left alone."""
    if isinstance(expr, cst.Subscript):
        expr = expr.value
    name = dotted_name(expr)
    if name is None:
        return False
    if _is_test_name(name):  # unless computed on validation data (``test_stats =
        return "." in name or _VALIDATION not in _splits_of_name(  # evaluate(val_loader)``)
            ctx, name, at, 0)
    function = ctx.index.enclosing_function(at)
    if function is not None and _is_test_name(function.name.value) and (
            name.split(".")[0] in ctx.flow(function).local_names):
        return True
    return "." not in name and _splits_of_name(ctx, name, at, 0) == {_TEST}


_TEST, _VALIDATION, _TRAIN = "test", "validation", "train"
_MAX_DEPTH = 3
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
    if assigned is None:
        return set()
    return _splits_of(ctx, assigned.value, assigned, depth + 1)


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
        if isinstance(node, (cst.Name, cst.Attribute)) and dotted_name(node) is not None:
            if (dotted_name(node) or "").split(".")[0] not in params:
                found |= _splits_of_reference(ctx, node, at, depth)
        elif isinstance(node, cst.Call):
            found |= _splits_of_call(ctx, node, depth)
            todo.extend(arg.value for arg in node.args)
            if not isinstance(node.func, (cst.Name, cst.Attribute)):
                todo.append(node.func)
        elif isinstance(node, cst.SimpleString):
            split = _SPLIT_STRINGS.get(string_value(node) or "")
            found |= {split} if split else set()
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            todo.extend(node.children)
    return found


def _splits_of_reference(ctx: FileContext, node: cst.BaseExpression, at: cst.CSTNode,
                         depth: int) -> set[str]:
    name = dotted_name(node) or ""
    if isinstance(node, cst.Name):
        built = _dataset_split_of_name(ctx, name, at)
        if built is not None:
            return {built} - {_TRAIN}
    split = _split_of_data_name(name)
    if split is not None:
        return {split}
    if D.clear_split(name) == D.TRAIN or "." in name:
        return set()
    return _splits_of_name(ctx, name, at, depth)


def _dataset_split_of_name(ctx: FileContext, name: str, at: cst.CSTNode) -> str | None:
    """The split the data set behind ``name`` was built on (``val_loader =
    DataLoader(CIFAR10(root, train=False))`` holds the test split, whatever its name)."""
    assigned = ctx.last_assignment(name, at)
    if assigned is None:
        return None
    splits = {split for call in D.calls_in(ctx, assigned.value)
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


def _selects_on_test(ctx: FileContext, node: cst.If) -> bool:
    """``if test_acc > best_acc: torch.save(...)`` (or ``break``, in either branch) in a
    loop that trains; the comparison may be one operand of ``and``/``or``."""
    comparisons = _comparisons(node.test)
    if not any(_compares_test_metric(ctx, c, node) for c in comparisons):
        return False
    if any(_names_validation_phase(c) for c in comparisons):
        return False  # ``if phase == "val" and best_test_acc < acc``: the data is validation
    if not _in_training_loop(ctx, node):
        return False
    return _keeps_or_stops(ctx, node.body) or (
        node.orelse is not None and _keeps_or_stops(ctx, node.orelse))


def _comparisons(test: cst.BaseExpression) -> list[cst.Comparison]:
    """The comparisons a condition is made of (``epoch > warm and best < acc``)."""
    if isinstance(test, cst.BooleanOperation):
        return [*_comparisons(test.left), *_comparisons(test.right)]
    return [test] if isinstance(test, cst.Comparison) else []


_VALIDATION_STRINGS = frozenset({"val", "valid", "validation", "validate", "dev", "eval"})


def _names_validation_phase(test: cst.Comparison) -> bool:
    """``phase == "val"``: the condition itself says the score is a validation score,
    whatever the variable holding it is called."""
    if not any(isinstance(c.operator, cst.Equal) for c in test.comparisons):
        return False
    sides = [test.left, *(c.comparator for c in test.comparisons)]
    return any(isinstance(side, cst.SimpleString)
               and str(side.evaluated_value).lower() in _VALIDATION_STRINGS for side in sides)


def _compares_test_metric(ctx: FileContext, test: cst.Comparison, at: cst.CSTNode) -> bool:
    """An ordering comparison with a test score on one side."""
    if not _orders(test):
        return False
    sides = [test.left, *(c.comparator for c in test.comparisons)]
    return any(_test_metric(ctx, side, at) for side in sides)


def _orders(test: cst.Comparison) -> bool:
    """``a < b``, ``a >= b``: a comparison that ranks (not ``is None``, ``==``)."""
    return any(isinstance(c.operator, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual,
                                       cst.GreaterThanEqual)) for c in test.comparisons)


def _flag_saved_on_test(ctx: FileContext, assign: cst.Assign) -> bool:
    """``is_best = prec1 > best_prec1`` with ``prec1`` a test score, the flag then given to
    a call that saves (``save_checkpoint(state, is_best)``), in a loop that trains."""
    if not isinstance(assign.value, cst.Comparison) or len(assign.targets) != 1:
        return False
    target = assign.targets[0].target
    if not isinstance(target, cst.Name):
        return False
    if not _compares_test_metric(ctx, assign.value, assign):
        return False
    loops = ctx.index.enclosing_loops(assign)
    if not loops or not _in_training_loop(ctx, assign):
        return False
    return any(_saves(call) and any(
        isinstance(arg.value, cst.Name) and arg.value.value == target.value
        for arg in call.args) for call in D.calls_in(ctx, loops[0]))


def _test_data_given_for_selection(ctx: FileContext) -> list[cst.Call]:
    """``trainer.train_model(train_loader, test_loader)`` where ``train_model(self,
    train_loader, val_loader)`` keeps the best checkpoint by its score on ``val_loader``:
    the test data takes the validation set's place."""
    found: list[cst.Call] = []
    for fn, param in _selecting_parameters(ctx):
        for call in _calls_of(ctx, fn):
            given = _argument_for(fn, param, call)
            if given is not None and call not in found and _splits_of(
                    ctx, given, call, 0) == {_TEST}:
                found.append(call)
    return found


def _selecting_parameters(ctx: FileContext) -> list[tuple[cst.FunctionDef, cst.Param]]:
    """The parameters of this file's functions whose data a selecting branch's score is
    computed from (``if score(val_loader) > best: save()``, in a loop that trains)."""
    found = []
    for node in D.nodes_of(ctx, cst.If):
        fn = ctx.index.enclosing_function(node)
        if fn is None:
            continue
        params = {p.name.value: p for p in _parameters(fn)
                  if p.name.value not in ("self", "cls")}
        read: set[str] = set()
        for comparison in _comparisons(node.test):  # type: ignore[attr-defined]
            if not _orders(comparison):
                continue
            for side in (comparison.left, *(c.comparator for c in comparison.comparisons)):
                read |= _names_read(ctx, side, node, 0) & params.keys()
        if read and _in_training_loop(ctx, node) and (
                _keeps_or_stops(ctx, node.body) or (  # type: ignore[attr-defined]
                    node.orelse is not None and _keeps_or_stops(ctx, node.orelse))):  # type: ignore[attr-defined]
            found += [(fn, params[name]) for name in sorted(read)
                      if (fn, params[name]) not in found]
    return found


def _names_read(ctx: FileContext, expr: cst.CSTNode, at: cst.CSTNode, depth: int) -> set[str]:
    """The plain names a value is computed from, through the local assignments before it."""
    names: set[str] = set()
    for name in {n.value for n in _plain_names(expr)}:
        assigned = ctx.last_assignment(name, at) if depth < _MAX_DEPTH else None
        if assigned is None:
            names.add(name)
        else:
            names |= _names_read(ctx, assigned.value, assigned, depth + 1)
    return names


def _plain_names(expr: cst.CSTNode) -> list[cst.Name]:
    """Names read as values (not attribute names, not the called function)."""
    found: list[cst.Name] = []
    todo: list[cst.CSTNode] = [expr]
    while todo:
        node = todo.pop()
        if isinstance(node, cst.Name):
            found.append(node)
        elif isinstance(node, cst.Attribute):
            todo.append(node.value)
        elif isinstance(node, cst.Call):
            todo.extend(arg.value for arg in node.args)
        elif not isinstance(node, (cst.Lambda, cst.BaseComp)):
            todo.extend(node.children)
    return found


def _parameters(fn: cst.FunctionDef) -> list[cst.Param]:
    return [*fn.params.posonly_params, *fn.params.params, *fn.params.kwonly_params]


def _calls_of(ctx: FileContext, fn: cst.FunctionDef) -> list[cst.Call]:
    """Calls of ``fn``: those the call graph resolves, and ``obj.method(...)`` of a
    method whose name no other function of the file has."""
    calls = list(ctx.call_graph.callers(fn))
    if ctx.index.enclosing_class(fn) is None:
        return calls
    name = fn.name.value
    if sum(1 for other in ctx.index.functions if other.name.value == name) != 1:
        return calls
    for call in ctx.index.calls:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == name and call not in calls \
                and not (isinstance(func.value, cst.Name) and func.value.value in (
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
        _in_training_loop(ctx, call, depth + 1) for call in ctx.call_graph.callers(function))


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
                               if isinstance(arg.value, cst.Name)}
        ctx.__dict__["_nn308_callbacks"] = registered
    return function.name.value in registered


def _keeps_or_stops(ctx: FileContext, body: cst.CSTNode) -> bool:
    """The branch saves or copies the weights, records them as the best, or stops."""
    if D.descendants(ctx, body, cst.Break):
        return True
    if any(_saves(call) for call in D.calls_in(ctx, body)):
        return True
    for assign in D.descendants(ctx, body, cst.Assign):
        if any("best" in n and ("model" in n or "weight" in n or "state" in n or
                                "param" in n) for n in D.target_names(assign)):
            return True
    return False


def _saves(call: cst.Call) -> bool:
    name = method_name(call) or (dotted_name(call.func) or "").rsplit(".", 1)[-1]
    return name in _SAVING_CALLS


def _keras_selects_on_test(ctx: FileContext, call: cst.Call) -> bool:
    """``fit(..., validation_data=(x_test, y_test), callbacks=[EarlyStopping(...)])``."""
    if method_name(call) != "fit" or "keras" not in ctx.frameworks:
        return False
    data = keyword(call, "validation_data")
    if data is None:
        return False
    parts = data.elements if isinstance(data, (cst.Tuple, cst.List)) else []
    names = [D.data_name(e.value) for e in parts] or [D.data_name(data)]
    if not any(_is_test_name(n) for n in names):
        return False
    callbacks = keyword(call, "callbacks")
    return callbacks is not None and _has_selecting_callback(ctx, callbacks, call)


def _has_selecting_callback(ctx: FileContext, callbacks: cst.BaseExpression,
                            at: cst.CSTNode) -> bool:
    if isinstance(callbacks, cst.Name):
        assigned = ctx.last_assignment(callbacks.value, at)
        return assigned is not None and _has_selecting_callback(ctx, assigned.value, assigned)
    elements = callbacks.elements if isinstance(callbacks, (cst.List, cst.Tuple)) else []
    for element in elements:
        value = element.value
        if isinstance(value, cst.Name):
            assigned = ctx.last_assignment(value.value, at)
            value = assigned.value if assigned is not None else value
        if isinstance(value, cst.Call) and (dotted_name(value.func) or "").rsplit(
                ".", 1)[-1] in _SELECTING_CALLBACKS and _monitors_validation(value):
            return True
    return False


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
    if method_name(call) != "step" or not isinstance(call.func, cst.Attribute):
        return False
    metric = argument(call, 0, "metrics")
    if metric is None or not _test_metric(ctx, metric, call):
        return False
    scheduler = ctx.value(call.func.value)
    known = scheduler is not None and R.SCHEDULER in scheduler.roles
    return known or "plateau" in (dotted_name(call.func.value) or "").lower()
