"""Summaries of the classes in one file, for the project index."""

from __future__ import annotations

import libcst as cst

from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.dataflow import Kind, Value
from lintnn.static.syntax.project import ClassSummary

OUTPUT_METHODS = ("forward", "__call__", "call")
CONTAINED_ROLES = frozenset({R.DROPOUT, R.BATCHNORM})
_FUNCTIONAL = {R.FUNCTIONAL_DROPOUT: R.DROPOUT}


def summarize_classes(ctx: FileContext) -> list[ClassSummary]:
    calls_by_class = calls_by_outer_class(ctx, ctx.index.calls)
    return [_summarize(ctx, c, calls_by_class) for c in ctx.local_classes.values()]


def calls_by_outer_class(
    ctx: FileContext, calls: list[cst.Call]
) -> dict[cst.ClassDef, list[cst.Call]]:
    """``calls`` grouped by the outermost class around each (calls in no class dropped)."""
    calls_by_class: dict[cst.ClassDef, list[cst.Call]] = {}
    for call in calls:
        outer = None
        for ancestor in ctx.index.ancestors(call):
            if isinstance(ancestor, cst.ClassDef):
                outer = ancestor
        if outer is not None:
            calls_by_class.setdefault(outer, []).append(call)
    return calls_by_class


def summarize_class(ctx: FileContext, class_def: cst.ClassDef,
                    calls_by_class: dict[cst.ClassDef, list[cst.Call]]) -> ClassSummary:
    """The summary of one top-level class; ``calls_by_class`` must hold its calls."""
    return _summarize(ctx, class_def, calls_by_class)


def _summarize(
    ctx: FileContext, class_def: cst.ClassDef, calls_by_class: dict[cst.ClassDef, list[cst.Call]]
) -> ClassSummary:
    bases = tuple(
        q for q in (ctx.qualname_of_class(arg.value) for arg in class_def.bases) if q
    )
    output = ctx.method(class_def, *OUTPUT_METHODS)
    returns: frozenset[str] = frozenset()
    returns_via: str | None = None
    if output is not None:
        returns, returns_via = _returns(ctx, output)
    contains: set[str] = set()
    submodules: set[str] = set()
    for call in calls_by_class.get(class_def, ()):
        _, entry = ctx.callee(call)
        if entry is not None:
            contains.update(entry.roles & CONTAINED_ROLES)
            contains.update(_FUNCTIONAL[r] for r in entry.roles if r in _FUNCTIONAL)
            continue
        qualname = ctx.qualname_of_class(call.func)
        if qualname and ctx.may_be_project_class(qualname):
            submodules.add(qualname)
    if contains & CONTAINED_ROLES:
        contains.add(R.MODE_DEPENDENT)
    return ClassSummary(
        qualname=ctx.class_qualname(class_def),
        bases=bases,
        returns=returns,
        returns_via=returns_via,
        defines_output=output is not None,
        contains=frozenset(contains),
        submodules=tuple(sorted(submodules)),
    )


def _returns(ctx: FileContext, method: cst.FunctionDef) -> tuple[frozenset[str], str | None]:
    """Roles every ``return`` of the method agrees on, or the class they all delegate to."""
    values: list[Value | None] = []
    for node in _return_values(ctx, method):
        values.append(ctx.value(node) if node is not None else None)
    if not values or any(v is None or v.kind is not Kind.RESULT for v in values):
        return frozenset(), None
    roles = frozenset.intersection(*(v.roles for v in values))  # type: ignore[union-attr]
    vias = {v.project_class for v in values}  # type: ignore[union-attr]
    via = vias.pop() if len(vias) == 1 else None
    return frozenset(r for r in roles if r.startswith("makes.")), via


def _return_values(ctx: FileContext, method: cst.FunctionDef) -> list[cst.BaseExpression | None]:
    index = ctx.index
    return [r.value for r in index.within(index.returns, method)
            if index.enclosing_function(r) is method]
