"""NN516: the "best" model kept by reference while training goes on."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.analyses.after_loop import binds, reads_after
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, method_name

# Methods that train a Keras model in place (``model.fit(x, y, epochs=1)``).
_FITTING_METHODS = frozenset({"fit", "fit_generator", "train_on_batch"})
# Words of a function that trains what it is given (``train_loop(model, ...)``).
_TRAINING_WORDS = frozenset({"train", "training", "fit", "finetune"})
# Words of a name that holds a number or a function, not a model.
_NOT_MODEL_WORDS = frozenset({"loss", "losses", "acc", "accuracy", "score", "scores",
                              "metric", "metrics", "error", "epoch", "step", "iter", "lr",
                              "fn", "func", "criterion", "optimizer", "optim", "opt",
                              "scheduler", "sched", "data", "loader", "params", "state"})
# Calls on the kept name after the loop that load other weights into it.
_LOADING_METHODS = frozenset({"load_state_dict", "load_weights", "set_weights"})


class BestModelKeptByReference(Rule):
    """``best_model = model`` or ``best_state = model.state_dict()`` in a training loop,
    used after it: a reference to weights that keep training, not a copy."""

    code = "NN516"
    name = "best-model-kept-by-reference"
    severity = Severity.WARNING
    message = (
        "the best model is kept by reference (the model object, or its state_dict(), whose "
        "tensors are the live parameters): training goes on and changes it, so what is "
        "used after the loop holds the last epoch's weights, not the best ones; keep a "
        "copy (copy.deepcopy(model.state_dict()) or copy.deepcopy(model)) or save it to a "
        "file"
    )
    frameworks = ("torch", "keras")
    triggers = ("best",)
    # Every finding is an assignment to a name with ``best`` in it.
    needs = (Needs(assigned=lambda name: "best" in name.lower()),)

    def check(self, ctx: FileContext) -> None:
        for assign in D.nodes_of(ctx, cst.Assign):
            kept = _kept_best(assign)  # type: ignore[arg-type]
            if kept is None:
                continue
            best, model = kept
            loop = _training_loop(ctx, assign, model)
            if loop is None or not _selected(ctx, assign, loop):
                continue
            reads = reads_after(ctx, best, loop)
            if reads and not _reloaded(ctx, reads[0]):
                ctx.report(assign)


def _kept_best(assign: cst.Assign) -> tuple[str, str] | None:
    """``(best, model)`` for ``best = model`` and ``best = model.state_dict()``, where
    ``best`` names a best something and ``model`` may name a model."""
    if len(assign.targets) != 1:
        return None
    best = dotted_name(assign.targets[0].target)
    if best is None or "best" not in D.words(best.rsplit(".", 1)[-1]):
        return None
    value = assign.value
    if type(value) is cst.Call and method_name(value) == "state_dict" and not value.args:
        value = value.func.value  # type: ignore[attr-defined]
    model = dotted_name(value) if type(value) in (cst.Name, cst.Attribute) else None
    if model is None or model == best or model in ("self", "None", "True", "False"):
        return None
    if set(D.words(model.rsplit(".", 1)[-1])) & _NOT_MODEL_WORDS:
        return None
    return best, model


def _training_loop(ctx: FileContext, assign: cst.Assign, model: str) -> cst.CSTNode | None:
    """The innermost loop around ``assign`` that trains ``model`` in place, provided no
    loop up to it builds a new model under that name (then each model is kept whole)."""
    for loop in ctx.index.enclosing_loops(assign):
        if binds(ctx, model, loop):
            return None
        if _trains(ctx, loop, model):
            return loop
    return None


def _trains(ctx: FileContext, loop: cst.CSTNode, model: str) -> bool:
    """``model.fit(...)`` in the loop; ``model(x)`` or ``model.train()`` in a loop that
    takes optimizer steps; or ``model`` given to a training function (``train(model)``)."""
    stepping: bool | None = None
    for call in D.calls_in(ctx, loop):
        func = call.func
        if type(func) is cst.Attribute and dotted_name(func.value) == model:
            if func.attr.value in _FITTING_METHODS:
                return True
            if func.attr.value == "train":
                stepping = D.is_training_loop(ctx, loop) if stepping is None else stepping
                if stepping:
                    return True
        elif dotted_name(func) == model:
            stepping = D.is_training_loop(ctx, loop) if stepping is None else stepping
            if stepping:
                return True
        if _training_call(call) and any(dotted_name(a.value) == model for a in call.args):
            return True
    return False


def _training_call(call: cst.Call) -> bool:
    name = (dotted_name(call.func) or "").rsplit(".", 1)[-1]
    return bool(_TRAINING_WORDS & set(D.words(name)))


def _selected(ctx: FileContext, assign: cst.Assign, loop: cst.CSTNode) -> bool:
    """Kept under an ``if`` inside the loop (a selection), on a branch that does not end
    the loop right after (``best = model; break`` keeps what training ends with)."""
    branch = ctx.index.enclosing(assign, (cst.If, cst.Else))
    if branch is None or not ctx.index.is_inside(branch, loop) or branch is loop:
        return False
    body = branch.body  # type: ignore[attr-defined]
    statements = body.body if type(body) is cst.IndentedBlock else ()
    for statement in statements:
        if D.order(ctx, statement) < D.order(ctx, assign):
            continue
        small = statement.body if type(statement) is cst.SimpleStatementLine else ()
        if any(type(s) in (cst.Break, cst.Return) for s in small):
            return False
    return True


def _reloaded(ctx: FileContext, read: cst.BaseExpression) -> bool:
    """``best_model.load_state_dict(torch.load(path))``: other weights are loaded into it."""
    parent = ctx.index.parent(read)
    call = ctx.index.parent(parent) if type(parent) is cst.Attribute else None
    return type(call) is cst.Call and type(parent) is cst.Attribute and (
        parent.attr.value in _LOADING_METHODS)
