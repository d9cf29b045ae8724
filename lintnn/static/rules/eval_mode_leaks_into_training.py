"""NN202: ``model.eval()`` inside a training loop, never undone before the next step."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.modes import (
    SETS_TRAIN,
    Event,
    ModeIndex,
    chosen_by_branch,
    dominates,
    evals_of_trained_models,
    helper_evals_of_trained_models,
    mode_dependence,
    mode_index,
    model_value,
    receiver_dependence,
)
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name


class EvalModeLeaksIntoTraining(Rule):
    """An ``eval()`` in a training loop that the next iteration trains under."""

    code = "NN202"
    name = "eval-mode-leaks-into-training"
    severity = Severity.WARNING
    message = "model.eval() in the training loop is never undone before the next training step"
    frameworks = ("torch",)
    triggers = (".eval()", ".train(")
    absent = ("train",)
    needs = (Needs(frameworks=("torch",)), Needs(loop_calls=("eval", "train")),
             Needs(loop_calls=("step",)),
             Needs(calls=("train", "zero_grad", "parameters", "named_parameters")))

    def check(self, ctx: FileContext) -> None:
        if "torch" not in ctx.frameworks:
            return
        modes = mode_index(ctx)
        sites = [(node, model, node) for node, model in evals_of_trained_models(modes)]
        sites += helper_evals_of_trained_models(modes)
        for node, model, eval_call in sites:
            loop = _training_loop(ctx, modes, node)
            if chosen_by_branch(ctx, modes, node):
                continue
            if loop is None or not _leaks(ctx, modes, node, loop):
                continue
            passed = _passed_model(node, model) if node is not eval_call else None
            dependence = (mode_dependence(ctx, model_value(ctx, passed)) if passed is not None
                          else receiver_dependence(ctx, eval_call))
            if dependence is None:
                continue
            requires = (dependence.requirement,) if dependence.requirement else ()
            how = "is put in eval mode" if node is eval_call else (
                f"is put in eval mode by `{dotted_name(node.func)}()`")
            ctx.report(node, (
                f"`{model}` {how} inside the training loop and nothing "
                f"switches it back before the next training step: the following "
                f"iterations train with dropout off and frozen batch-norm statistics; "
                f"call `{model}.train()` at the start of each training step"),
                requires=requires)


def _passed_model(call: cst.Call, model: str) -> cst.BaseExpression | None:
    """The argument of ``call`` that is ``model`` (the helper gets it as a parameter); None
    when the helper reads the model itself (a global, ``self.model``)."""
    for arg in call.args:
        if dotted_name(arg.value) == model:
            return arg.value
    return None


def _training_loop(ctx: FileContext, modes: ModeIndex, call: cst.Call) -> cst.CSTNode | None:
    """The innermost loop around ``call`` whose body updates weights (an optimizer step)."""
    for loop in ctx.index.enclosing_loops(call):
        if any(Event.UPDATE in kinds for _, kinds in modes.call_events(loop)):
            return loop
    return None


def _leaks(ctx: FileContext, modes: ModeIndex, eval_call: cst.Call, loop: cst.CSTNode) -> bool:
    """Reading the loop body from the eval() on, wrapping around once, a training step
    comes before anything that may switch back to training mode (or leave the loop).

    A step reached in the same iteration after an eval() that always runs before it is
    NN205's finding (backward in eval mode), not this one.
    """
    start = modes.position[eval_call]
    events = sorted(modes.call_events(loop), key=lambda item: modes.position[item[0]])
    after = [e for e in events if modes.position[e[0]] > start]
    wrapped = [e for e in events if modes.position[e[0]] < start]
    exits = [x for x in modes.exits if ctx.index.is_inside(x, loop)
             and modes.position[x] > start]
    first_exit = min((modes.position[x] for x in exits), default=None)
    for same_iteration, sequence in ((True, after), (False, wrapped)):
        for node, kinds in sequence:
            if same_iteration and first_exit is not None and modes.position[node] > first_exit:
                return False
            if kinds & SETS_TRAIN:
                return False
            if Event.STEP in kinds:
                return not (same_iteration and dominates(ctx, eval_call, node))
        if same_iteration and first_exit is not None:
            return False
    return False

