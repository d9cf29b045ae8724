"""NN304: inputs and labels shuffled with two different permutations."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lintnn.diagnostics import Severity
from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.rules.base import Needs, Rule
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.nodes import keyword, positional

_SEED_KEYWORDS = ("random_state", "seed", "key", "generator")


@dataclass(frozen=True)
class Shuffle:
    """One reordering of one array; two with the same ``identity`` reorder alike."""

    node: cst.CSTNode  # where to report
    data: str
    identity: object
    at: int


class IndependentShuffles(Rule):
    """``shuffle(X); shuffle(y)``: each call draws its own permutation."""

    code = "NN304"
    name = "independent-shuffles"
    severity = Severity.ERROR
    message = (
        "inputs and labels are shuffled by two independent permutations: every input now "
        "has a random label; draw one permutation and index both with it "
        "(or shuffle them together, e.g. sklearn.utils.shuffle(X, y))"
    )
    frameworks = ("torch", "jax", "sklearn", "keras")
    triggers = ("shuffle", "perm")
    needs = (Needs(callee_roles=(R.PERMUTATION, R.SHUFFLE_IN_PLACE),
                   calls=("permutation", "shuffle", "permuted", "randperm")),)

    def check(self, ctx: FileContext) -> None:
        events: dict[cst.CSTNode, list[Shuffle]] = {}
        reseeds: dict[cst.CSTNode, list[int]] = {}
        for call in ctx.index.calls:
            scope = ctx.scope_of(call)
            _, entry = ctx.callee(call)
            if (entry is not None and R.RESEED in entry.roles) or _is_reseed_method(call):
                reseeds.setdefault(scope, []).append(D.order(ctx, call))
                continue
            shuffle = _shuffle(ctx, call)
            if shuffle is not None:
                events.setdefault(scope, []).append(shuffle)
        for scope, calls in D.calls_by_scope(ctx).items():
            if any(D.is_permutation_call(ctx, call) for call in calls):
                events.setdefault(scope, []).extend(_indexed_by_name(ctx, scope))
        for scope, found in events.items():
            self._pairs(ctx, sorted(found, key=lambda s: s.at), reseeds.get(scope, []))

    def _pairs(self, ctx: FileContext, found: list[Shuffle], reseeds: list[int]) -> None:
        reported: set[cst.CSTNode] = set()
        for i, first in enumerate(found):
            for second in found[i + 1:]:
                if second.node in reported or not _pair(first.data, second.data):
                    continue
                if first.identity == second.identity:
                    continue
                if ctx.index.exclusive(first.node, second.node):
                    continue  # ``if cutmix: ... elif mixup: ...``: never in one pass
                if any(first.at < at < second.at for at in reseeds):
                    continue  # re-seeded in between: the second shuffle repeats the first
                ctx.report(second.node)
                reported.add(second.node)


def _pair(a: str, b: str) -> bool:
    """One inputs array and one labels array of the same split."""
    if a == b or D.clear_split(a) != D.clear_split(b):
        return False
    return (D.is_input_name(a) and D.is_label_name(b)) or (
        D.is_label_name(a) and D.is_input_name(b)
    )


def _is_reseed_method(call: cst.Call) -> bool:
    return type(call.func) is cst.Attribute and call.func.attr.value in (
        "seed", "set_state", "manual_seed", "setstate", "set_rng_state"
    )


def _identity(ctx: FileContext, call: cst.Call) -> object:
    """Calls with the same explicit seed or PRNG key draw the same permutation."""
    qualname, _ = ctx.callee(call)
    args = positional(call)
    if qualname is not None and qualname.startswith("jax.random.") and args:
        return ("seed", ctx.code(args[0]))  # the PRNG key
    for name in _SEED_KEYWORDS:
        value = keyword(call, name)
        if value is not None:
            return ("seed", ctx.code(value))
    return call


def _shuffle(ctx: FileContext, call: cst.Call) -> Shuffle | None:
    """``np.random.shuffle(X)``, ``X = shuffle(X)``, ``jax.random.permutation(k, X)``,
    or ``X[np.random.permutation(n)]``/``X[perm]``: which array, by which permutation."""
    if not D.is_permutation_call(ctx, call):
        return None
    qualname, _ = ctx.callee(call)
    args = positional(call)
    identity = _identity(ctx, call)
    if qualname is not None and qualname.startswith("jax.random.") and args:
        args = args[1:]
    index = _indexed_by(ctx, call)
    if index is not None:
        return Shuffle(index, D.data_name(index.value) or "", identity, D.order(ctx, call))
    if len(args) != 1 or type(args[0]) not in (cst.Name, cst.Attribute):
        return None  # several arrays at once (joint), or a count
    data = D.data_name(args[0])
    if data is None or not (D.is_input_name(data) or D.is_label_name(data)):
        return None
    return Shuffle(call, data, identity, D.order(ctx, call))


def _indexed_by(ctx: FileContext, call: cst.Call) -> cst.Subscript | None:
    """The subscript ``A[<permutation call>]`` that an inline permutation reorders."""
    parent = ctx.index.parent(call)
    if type(parent) is cst.Index:
        subscript = ctx.index.parent(ctx.index.parent(parent))  # Index -> SubscriptElement
        return subscript if type(subscript) is cst.Subscript else None
    return None


def _indexed_by_name(ctx: FileContext, scope: cst.FunctionDef | cst.Module) -> list[Shuffle]:
    """``perm = rng.permutation(n); X = X[perm]``: each ``A[perm]`` reorders ``A`` by the
    permutation call last assigned to ``perm`` before it."""
    bound: dict[str, list[tuple[int, cst.Call | None]]] = {}
    for assign in D.assignments_in(ctx, scope):
        value = assign.value
        call = value if type(value) is cst.Call and D.is_permutation_call(ctx, value) else None
        for name in D.target_names(assign):
            bound.setdefault(name, []).append((D.order(ctx, assign), call))
    if not any(call for uses in bound.values() for _, call in uses):
        return []
    out = []
    for subscript in D.nodes_in_scope(ctx, cst.Subscript, scope):
        element = subscript.slice[0].slice if len(subscript.slice) == 1 else None
        if type(element) is not cst.Index or type(element.value) is not cst.Name:
            continue
        index = element.value
        at = D.order(ctx, subscript)
        earlier = [(o, c) for o, c in bound.get(index.value, []) if o < at]
        if not earlier or earlier[-1][1] is None:
            continue
        call = earlier[-1][1]
        out.append(Shuffle(subscript, D.data_name(subscript.value) or "", _identity(ctx, call), at))
    return out
