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
    dotted_name,
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
    triggers = ("test",)
    # Every finding names test data or a test pass (``_is_test_name``), and sits in or
    # under a loop that takes steps, at a Keras ``fit`` or at a scheduler's ``step``.
    needs = (Needs(words=lambda word: any(w in word.lower() for w in _TEST_STEMS)),
             Needs(calls=(*D.STEP_METHODS, *D.STEP_FUNCTIONS, "fit")))

    def check(self, ctx: FileContext) -> None:
        if D.is_test_module(ctx):
            return
        for node in D.nodes_of(ctx, cst.If):
            if _selects_on_test(ctx, node):  # type: ignore[arg-type]
                ctx.report(node.test)  # type: ignore[attr-defined]
        for call in ctx.index.calls:
            if _keras_selects_on_test(ctx, call) or _plateau_on_test(ctx, call):
                ctx.report(call)


def _is_test_name(name: str | None) -> bool:
    """``test_acc``, ``X_test``, ``holdout_loss``; not ``val_test_split``-like mixtures."""
    found = D.words(name) if name else []
    return bool(_TEST_WORDS & set(found)) and not any(w.startswith("val") for w in found)


def _test_metric(ctx: FileContext, expr: cst.BaseExpression, at: cst.CSTNode) -> bool:
    """A number computed on test data: named so (``test_acc``), assigned from a call that
    is given test data (``acc = evaluate(model, test_loader)``), or computed in a function
    named as the test pass (``def test(epoch): ... acc = correct / total``)."""
    name = dotted_name(expr)
    if name is None:
        return False
    if _is_test_name(name):
        return True
    function = ctx.index.enclosing_function(at)
    if function is not None and _is_test_name(function.name.value) and (
            name.split(".")[0] in ctx.flow(function).local_names):
        return True
    if "." in name:
        return False
    assigned = ctx.last_assignment(name, at)
    if assigned is None or not isinstance(assigned.value, cst.Call):
        return False
    return any(_is_test_name(D.data_name(arg.value)) for arg in assigned.value.args)


def _selects_on_test(ctx: FileContext, node: cst.If) -> bool:
    """``if test_acc > best_acc: torch.save(...)`` (or ``break``) in a loop that trains."""
    test = node.test
    if not isinstance(test, cst.Comparison) or not any(
            isinstance(c.operator, (cst.LessThan, cst.GreaterThan, cst.LessThanEqual,
                                    cst.GreaterThanEqual)) for c in test.comparisons):
        return False
    sides = [test.left, *(c.comparator for c in test.comparisons)]
    if not any(_test_metric(ctx, side, node) for side in sides):
        return False
    if not _in_training_loop(ctx, node):
        return False
    return _keeps_or_stops(ctx, node.body)


def _in_training_loop(ctx: FileContext, node: cst.CSTNode, depth: int = 0) -> bool:
    """In a loop that trains, or in a function called from one (``for epoch in ...:
    train(epoch); test(epoch)``)."""
    modes = mode_index(ctx)
    for loop in ctx.index.enclosing_loops(node):
        if D.is_training_loop(ctx, loop) or any(
                Event.STEP in kinds for _, kinds in modes.call_events(loop)):
            return True
    function = ctx.index.enclosing_function(node)
    if function is None or depth >= 2:
        return False
    return any(_in_training_loop(ctx, call, depth + 1)
               for call in ctx.call_graph.callers(function))


def _keeps_or_stops(ctx: FileContext, body: cst.BaseSuite) -> bool:
    """The branch saves or copies the weights, records them as the best, or stops."""
    if D.descendants(ctx, body, cst.Break):
        return True
    for call in D.calls_in(ctx, body):
        name = method_name(call) or (dotted_name(call.func) or "").rsplit(".", 1)[-1]
        if name in _SAVING_CALLS:
            return True
    for assign in D.descendants(ctx, body, cst.Assign):
        if any("best" in n and ("model" in n or "weight" in n or "state" in n or
                                "param" in n) for n in D.target_names(assign)):
            return True
    return False


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
