"""NN205: ``loss.backward()`` after ``model.eval()`` with no ``.train()`` in between."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.modes import (
    SETS_TRAIN,
    Event,
    ModeIndex,
    dominates,
    evals_of_trained_models,
    mode_index,
    receiver_dependence,
    scope_of,
)
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import dotted_name, method_name


class BackwardInEvalMode(Rule):
    """Gradients computed while the trained model is in eval mode."""

    code = "NN205"
    name = "backward-in-eval-mode"
    severity = Severity.WARNING
    message = "backward() runs while the model is in eval mode"
    frameworks = ("torch",)
    triggers = (".eval()", ".train(")
    absent = ("train",)
    needs = (Needs(frameworks=("torch",)), Needs(calls=("backward",)),
             Needs(calls=("eval", "train")), Needs(calls=("step",)),
             Needs(calls=("train", "zero_grad", "parameters", "named_parameters")))

    def check(self, ctx: FileContext) -> None:
        if "torch" not in ctx.frameworks:
            return
        modes = mode_index(ctx)
        evals = evals_of_trained_models(modes)
        for call in ctx.index.calls:
            if method_name(call) != "backward":
                continue
            scope = scope_of(ctx, call)
            if not _gradients_update_weights(ctx, modes, scope, call):
                continue  # input gradients (adversarial examples, saliency): no training
            for eval_call, model in evals:
                if scope_of(ctx, eval_call) is not scope or not dominates(ctx, eval_call, call):
                    continue
                if modes.position[eval_call] > modes.position[call]:
                    continue
                if modes.between(eval_call, call, scope, SETS_TRAIN):
                    continue
                if not _makes_the_loss(ctx, model, call):
                    continue  # the eval'd model does not make this step's loss
                dependence = receiver_dependence(ctx, eval_call)
                if dependence is None:
                    continue
                requires = (dependence.requirement,) if dependence.requirement else ()
                ctx.report(call, (
                    f"backward() runs while `{model}` is in eval mode (`{model}.eval()` "
                    f"above, no `.train()` since): dropout is off and batch norm uses its "
                    f"running statistics, so the model trains as a different network than "
                    f"intended; call `{model}.train()` before the training step"),
                    requires=requires)
                break


def _gradients_update_weights(ctx: FileContext, modes: ModeIndex, scope: cst.CSTNode,
                              backward: cst.Call) -> bool:
    """An update (an optimizer step, a helper that steps) uses what ``backward`` computed:
    one after it in its scope, or one in a loop around it (the next iteration's step). A
    saliency map drawn after training (``loss.backward()``, then ``x.grad`` read, no step
    after it) updates nothing."""
    at = modes.position.get(backward, -1)
    loops = ctx.index.enclosing_loops(backward)
    return any(Event.UPDATE in kinds and (
        modes.position.get(event, -1) > at or any(ctx.index.is_inside(event, loop)
                                                  for loop in loops))
        for event, kinds in modes.call_events(scope))


def _makes_the_loss(ctx: FileContext, model: str, backward: cst.Call) -> bool:
    """``model`` is called in the expression ``backward()`` is called on, or in what its
    names were assigned from before it in the same scope (``out = model(x); loss = f(out)``)."""
    receiver = backward.func.value  # type: ignore[attr-defined]
    return model in _callees(ctx, receiver, backward, depth=0)


def _callees(ctx: FileContext, expr: cst.BaseExpression, before: cst.CSTNode,
             depth: int) -> set[str]:
    """Dotted names called in ``expr``, and in the last assignments of the names it reads."""
    found: set[str] = set()
    if depth > 4:
        return found
    nodes = [expr]
    while nodes:
        node = nodes.pop()
        if type(node) is cst.Call:
            func = node.func
            if method_name(node) == "forward":
                func = func.value  # type: ignore[attr-defined]
            name = dotted_name(func)
            if name is not None:
                found.add(name)
        if type(node) is cst.Name:
            assigned = ctx.last_assignment(node.value, before)
            if assigned is not None:
                found |= _callees(ctx, assigned.value, assigned, depth + 1)
            continue
        nodes.extend(iter_children(node))
    return found
