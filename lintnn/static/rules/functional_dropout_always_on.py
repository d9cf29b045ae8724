"""NN203: ``F.dropout(x, p)`` in ``forward`` without ``training=self.training``."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses.modes import defined_in_test
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext, NodeFix
from lintnn.static.syntax.nodes import has_star_args, keyword, positional

# Functions whose ``training`` flag is the third parameter and defaults to True.
# (``torch.dropout(input, p, train)`` has no default: it cannot be forgotten.)
_TRAINING_POSITION = 2
_NO_DEFAULT = frozenset({"torch.dropout"})


class FunctionalDropoutAlwaysOn(Rule):
    """Functional dropout in a module's forward that ignores the module's mode."""

    code = "NN203"
    name = "functional-dropout-always-on"
    severity = Severity.ERROR
    message = (
        "F.dropout defaults to training=True: in forward it stays on after model.eval(); "
        "pass training=self.training"
    )
    frameworks = ("torch",)
    triggers = ("dropout",)
    needs = (Needs(callee_roles=(R.FUNCTIONAL_DROPOUT,)), Needs(names=("forward",)))
    fixable = True

    def check(self, ctx: FileContext) -> None:
        for call in ctx.index.calls:
            qualname, entry = ctx.callee(call)
            if entry is None or R.FUNCTIONAL_DROPOUT not in entry.roles:
                continue
            if qualname in _NO_DEFAULT or _passes_training(call):
                continue
            owner = _forward_owner(ctx, call)
            if owner is None:
                continue
            flag = cst.Arg(
                keyword=cst.Name("training"),
                value=cst.Attribute(value=cst.Name(owner), attr=cst.Name("training")),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            fixed = call.with_changes(args=_append(call.args, flag))
            ctx.report(call, fix=NodeFix(f"pass training={owner}.training", ((call, fixed),)))


def _passes_training(call: cst.Call) -> bool:
    return (keyword(call, "training") is not None or has_star_args(call)
            or len(positional(call)) > _TRAINING_POSITION)


def _forward_owner(ctx: FileContext, call: cst.Call) -> str | None:
    """The name of ``self`` when ``call`` is in the ``forward`` of an ``nn.Module``."""
    for ancestor in ctx.index.ancestors(call):
        if type(ancestor) is cst.FunctionDef and ancestor.name.value == "forward":
            owner = ctx.index.enclosing_class(ancestor)
            if owner is None or ctx.index.parent(ctx.index.parent(ancestor)) is not owner:
                return None
            if not ctx.is_module_class(owner) or defined_in_test(ctx, owner):
                return None
            params = ancestor.params.params
            if not params or ancestor.decorators:
                return None
            return params[0].name.value
    return None


def _append(args: tuple[cst.Arg, ...] | list[cst.Arg], new: cst.Arg) -> list[cst.Arg]:
    """``args`` plus ``new`` at the end, keeping a trailing comma and the call's layout."""
    out = list(args)
    if not out:
        return [new]
    last = out[-1]
    if type(last.comma) is cst.Comma:  # trailing comma: the new argument inherits it
        between = out[-2].comma if len(out) > 1 and type(out[-2].comma) is cst.Comma \
            else cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
        out[-1] = last.with_changes(comma=between)
        return [*out, new.with_changes(comma=last.comma)]
    out[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
    return [*out, new]
