"""NN512: a JAX ``x.at[i].set(v)`` whose result is dropped (JAX arrays are immutable)."""

from __future__ import annotations

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name

# Mutable references (Pallas kernels' ``o_ref``, ``jax.new_ref``) are written in place by
# ``ref.at[i].set(v)``: files that use them, and names that say "ref", are left alone.
_REF_APIS = ("new_ref(", "empty_ref(", "mutable_array(", "run_state(")
_REF_MODULES = ("jax._src.state", "jax.experimental.state", "jax.experimental.mosaic")

# The methods of ``x.at[idx]`` that return an updated copy (``get`` only reads).
_UPDATE_METHODS = frozenset(
    {"set", "add", "subtract", "multiply", "mul", "divide", "div", "power", "min", "max",
     "apply"}
)


class AtUpdateDiscarded(Rule):
    """``x.at[i].set(v)`` as a statement: the updated copy is thrown away."""

    code = "NN512"
    name = "at-update-discarded"
    severity = Severity.ERROR
    message = (
        "JAX arrays are immutable: x.at[...].set(...) returns an updated copy and leaves "
        "x unchanged, so discarding the result makes this line do nothing; assign it, "
        "x = x.at[...].set(...)"
    )
    frameworks = ("jax",)
    triggers = (".at[",)
    needs = (Needs(frameworks=("jax",)), Needs(names=("at",)))

    def check(self, ctx: FileContext) -> None:
        if "jax" not in ctx.frameworks or _uses_refs(ctx):
            return
        for call in ctx.index.calls:
            update = _at_update(call)
            if update is None or _is_ref_name(update[1]):
                continue
            method = update[0]
            statement = ctx.index.statement_of(call)
            if type(statement) is cst.Expr and statement.value is call:
                ctx.report(call, self.message.replace(".set(", f".{method}("))


def _at_update(call: cst.Call) -> tuple[str, cst.BaseExpression] | None:
    """``<array>.at[<index>].<method>(...)`` with an updating method: the method's name
    and the array."""
    func = call.func
    if type(func) is not cst.Attribute or func.attr.value not in _UPDATE_METHODS:
        return None
    indexed = func.value
    if type(indexed) is not cst.Subscript:
        return None
    at = indexed.value
    if type(at) is cst.Attribute and at.attr.value == "at":
        return func.attr.value, at.value
    return None


def _uses_refs(ctx: FileContext) -> bool:
    """The file works with mutable JAX references (Pallas, ``jax.new_ref``, state)."""
    if any("pallas" in q or q.startswith(_REF_MODULES) for q in ctx.imports.aliases.values()):
        return True
    return any(api in ctx.source for api in _REF_APIS)


def _is_ref_name(expr: cst.BaseExpression) -> bool:
    """``o_ref``, ``acc_refs``, ``self.ref``: a reference by its name."""
    name = (dotted_name(expr) or "").rsplit(".", 1)[-1].lower()
    return name.endswith(("ref", "refs")) or name.startswith("ref")
