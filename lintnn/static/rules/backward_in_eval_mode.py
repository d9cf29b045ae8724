"""NN205: ``loss.backward()`` after ``model.eval()`` with no ``.train()`` in between."""

from __future__ import annotations

from lintnn.diagnostics import Severity
from lintnn.static.analyses.modes import (
    SETS_TRAIN,
    Event,
    dominates,
    evals_of_trained_models,
    mode_index,
    scope_of,
)
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import method_name


class BackwardInEvalMode(Rule):
    """Gradients computed while the trained model is in eval mode."""

    code = "NN205"
    name = "backward-in-eval-mode"
    severity = Severity.WARNING
    message = "backward() runs while the model is in eval mode"
    frameworks = ("torch",)
    triggers = (".eval()", ".train(")
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
            if not any(Event.UPDATE in kinds for _, kinds in modes.call_events(scope)):
                continue  # input gradients (adversarial examples, saliency): no training
            for eval_call, model in evals:
                if scope_of(ctx, eval_call) is not scope or not dominates(ctx, eval_call, call):
                    continue
                if modes.position[eval_call] > modes.position[call]:
                    continue
                if modes.between(eval_call, call, scope, SETS_TRAIN):
                    continue
                ctx.report(call, (
                    f"backward() runs while `{model}` is in eval mode (`{model}.eval()` "
                    f"above, no `.train()` since): dropout is off and batch norm uses its "
                    f"running statistics, so the model trains as a different network than "
                    f"intended; call `{model}.train()` before the training step"))
                break
