"""Where a scope splits data into train/test parts, and what was split after a point.

Shared by the leakage rules: statistics fitted (NN302) or rows resampled (NN307) on the
full data before it is split.
"""

from __future__ import annotations

import libcst as cst

from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import dotted_name, positional

# (source order of the split, names of the data it splits)
Split = tuple[int, set[str]]


def split_later(
    ctx: FileContext, node: cst.CSTNode, names: set[str], splits: list[Split],
    assigns: list[cst.Assign],
) -> bool:
    """One of ``names`` (data used at ``node``, or derived from it) is split after
    ``node``, and the name was not bound to unrelated data in between."""
    start = D.order(ctx, node)
    for at, sources in splits:
        for name in names & sources if at > start else ():
            if not any(
                start < D.order(ctx, a) < at and name in D.target_names(a)
                and not D.mentions(a.value, names)
                for a in assigns
            ):
                return True
    return False


def full_data_name(expr: cst.BaseExpression | None) -> str | None:
    """A plain name of data that is not already one split (``X``, ``df``, ``features``);
    for a column selection (``df[cols]``, ``df["age"]``), the frame's name."""
    if isinstance(expr, cst.Subscript):
        expr = expr.value
    if not isinstance(expr, (cst.Name, cst.Attribute)):
        return None
    name = dotted_name(expr)
    if name is None or D.split_of(name) is not None:
        return None
    return name


def splits_in(ctx: FileContext, scope: cst.CSTNode, calls: list[cst.Call]) -> list[Split]:
    """Where data is split in ``scope``, and the names of what is split."""
    out: list[Split] = []
    has_splitters = _names_splitters(ctx)
    for call in calls:
        _, entry = ctx.callee(call)
        splitter = False
        if (isinstance(call.func, cst.Attribute) and call.func.attr.value == "split"
                and has_splitters):
            receiver = ctx.value(call.func.value)
            splitter = receiver is not None and receiver.has(R.SPLITTER)
        if (entry is not None and R.SPLIT_FUNCTION in entry.roles) or splitter:
            names = {dotted_name(a) for a in positional(call)} - {None}
            out.append((D.order(ctx, call), names))  # type: ignore[arg-type]
    for assign in D.assignments_in(ctx, scope):
        if not any(D.split_of(n) for n in D.target_names(assign)):
            continue
        sliced = _sliced_names(assign.value)
        if sliced:
            out.append((D.order(ctx, assign), sliced))
    return out


def _names_splitters(ctx: FileContext) -> bool:
    """The file names a KFold, ShuffleSplit...: else the dataflow is skipped for the many
    ``str.split`` calls. Searched once per file, not once per scope."""
    found = ctx.__dict__.get("_names_splitters")
    if found is None:
        found = ctx.__dict__["_names_splitters"] = "Fold" in ctx.source or "Split" in ctx.source
    return found


def _sliced_names(expr: cst.CSTNode) -> set[str]:
    """``X[:n]``, ``df.iloc[n:]``: the names sliced by a start/stop slice."""
    out: set[str] = set()
    if isinstance(expr, cst.Subscript) and len(expr.slice) >= 1:
        first = expr.slice[0].slice
        if isinstance(first, cst.Slice) and first.step is None:
            name = D.data_name(expr.value)
            if name is not None:
                out.add(name)
    for child in expr.children:
        out |= _sliced_names(child)
    return out
