"""NN514: a JAX ``example_libraries`` optimizer updated with the same step index each time."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, positional

_MODULES = ("jax.example_libraries.optimizers.", "jax.experimental.optimizers.")
# Optimizers whose update reads the step index whatever the step size: bias correction.
_BIAS_CORRECTED = frozenset({"adam", "adamax"})
_SCHEDULES = frozenset({"constant", "exponential_decay", "inverse_time_decay",
                        "polynomial_decay", "piecewise_constant"})


class OptimizerStepIndexFixed(Rule):
    """``opt_update(0, grads, opt_state)``: the step index is what Adam's bias correction
    and every schedule read."""

    code = "NN514"
    name = "optimizer-step-index-fixed"
    severity = Severity.WARNING
    message = (
        "the step index passed to this optimizer update never changes: Adam's bias "
        "correction (and any step-size schedule) acts as on the same step at every update, "
        "so the effective step size is not the one configured; pass the iteration number "
        "(opt_update(i, grads, opt_state))"
    )
    frameworks = ("jax",)
    triggers = ("optimizers",)
    # The optimizer's qualified name starts with ``jax.``: an import of jax makes it.
    needs = (Needs(names=("optimizers",)), Needs(frameworks=("jax",)))

    def check(self, ctx: FileContext) -> None:
        updates = _update_functions(ctx)
        if not updates:
            return
        for call in ctx.index.calls:
            if type(call.func) is not cst.Name or call.func.value not in updates:
                continue
            args = positional(call)
            if len(args) == 3 and type(args[0]) is cst.Integer:
                ctx.report(call)


def _update_functions(ctx: FileContext) -> set[str]:
    """Names bound to the update function of an optimizer that reads the step index
    (``opt_init, opt_update, get_params = optimizers.adam(1e-3)``), and bound to nothing
    else anywhere in the file."""
    found: set[str] = set()
    other: set[str] = set()
    for assign in D.nodes_of(ctx, cst.Assign):
        for target in assign.targets:  # type: ignore[attr-defined]
            names = _element_names(target.target)
            if len(names) == 3 and names[1] is not None and _reads_step(
                    ctx, assign.value):  # type: ignore[attr-defined]
                found.add(names[1])
            else:
                other.update(D.target_names(assign))  # type: ignore[arg-type]
    return found - other


def _element_names(target: cst.BaseExpression) -> list[str | None]:
    if type(target) not in (cst.Tuple, cst.List):
        return []
    return [e.value.value if type(e.value) is cst.Name else None for e in target.elements]


def _reads_step(ctx: FileContext, value: cst.BaseExpression) -> bool:
    if type(value) is not cst.Call:
        return False
    qualname = ctx.qualname(value.func) or ""
    if not qualname.startswith(_MODULES):
        return False
    optimizer = qualname.rsplit(".", 1)[-1]
    if optimizer in _BIAS_CORRECTED:
        return True
    step_size = positional(value)[0] if positional(value) else None
    if type(step_size) is cst.Lambda:
        return True
    if type(step_size) is cst.Call:
        schedule = (ctx.qualname(step_size.func) or dotted_name(step_size.func) or "")
        return schedule.startswith(_MODULES) and schedule.rsplit(".", 1)[-1] in _SCHEDULES \
            and schedule.rsplit(".", 1)[-1] != "constant"
    return False
