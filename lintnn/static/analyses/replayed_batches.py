"""Batches of a training loader taken once and replayed on every epoch (NN301).

``batches = list(train_loader)`` before the epoch loop, then ``for b in batches`` in it,
and ``it = itertools.cycle(train_loader)`` consumed with ``next(it)`` by a training loop:
both keep the batches of one pass and replay them, in the same order and with the same
random augmentations, however the loader shuffles.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from lintnn.static.analyses import datasets as D
from lintnn.static.knowledge import roles as R
from lintnn.static.syntax.context import FileContext
from lintnn.static.syntax.index import iter_children
from lintnn.static.syntax.nodes import dotted_name, positional

# Calls that copy an iterable's items into a list once.
_MATERIALISING = frozenset({"list", "tuple"})
# Calls whose result walks the batches of their first argument unchanged.
_WRAPPERS = frozenset({"tqdm", "enumerate", "trange", "iter"})
# Words that name a loader (``train_loader``, ``trainloader``, ``train_dl``).
_LOADER_WORDS = frozenset({"loader", "dataloader", "dl", "trainloader"})


@dataclass(frozen=True)
class Replay:
    """A call that keeps one pass of a training loader's batches (``list(loader)``,
    ``itertools.cycle(loader)``), and which kind it is."""

    call: cst.Call
    kind: str  # "materialised" or "cycled"


def replays(ctx: FileContext) -> list[Replay]:
    """Every ``list(loader)`` bound before an epoch loop whose training loop walks it, and
    every ``itertools.cycle(loader)`` that feeds a training loop for more than one pass."""
    found: list[Replay] = []
    for call in ctx.index.calls:
        if dotted_name(call.func) in _MATERIALISING and _materialised_for_epochs(ctx, call):
            found.append(Replay(call, "materialised"))
        elif ctx.qualname(call.func) == "itertools.cycle" and _cycled_into_training(ctx, call):
            found.append(Replay(call, "cycled"))
    return found


def _loader_argument(ctx: FileContext, call: cst.Call) -> cst.BaseExpression | None:
    """The training loader ``call`` takes as its only argument (also through ``iter``)."""
    args = positional(call)
    if len(call.args) != 1 or len(args) != 1:
        return None
    loader = args[0]
    if type(loader) is cst.Call and dotted_name(loader.func) == "iter" and len(
            loader.args) == 1 and positional(loader):
        loader = positional(loader)[0]
    name = dotted_name(loader)
    if name is None or D.split_of(name) == D.EVAL or D.is_ordered_name(name) or (
            D.is_debug_name(name) or D.is_random_data_name(name)):
        return None
    value = ctx.value(loader)
    if (value is not None and value.has(R.DATA_LOADER)) or D.has_word(name, _LOADER_WORDS):
        return loader
    return None


def _materialised_for_epochs(ctx: FileContext, call: cst.Call) -> bool:
    """``batches = list(loader)``, and a training loop over ``batches`` (or a ``tqdm`` of
    it) inside an epoch loop that the assignment precedes, which never rebinds, reorders
    or hands ``batches`` to anything else."""
    if _loader_argument(ctx, call) is None:
        return False
    assign = ctx.index.parent(call)
    name = D.assigned_name(ctx, call)
    if type(assign) is not cst.Assign or name is None or "." in name:
        return False
    scope = ctx.scope_of(call)
    if sum(name in D.target_names(a) for a in D.assignments_in(ctx, scope)) != 1:
        return False
    walked = {name} | _wrapped_names(ctx, scope, name)
    for loop in ctx.index.within(ctx.index.loops, scope):
        if type(loop) is not cst.For or ctx.scope_of(loop) is not scope or not (
                D.iterated_names(loop.iter) & walked) or not D.is_training_loop(ctx, loop):
            continue
        epochs = [e for e in ctx.index.enclosing_loops(loop)
                  if is_epoch_loop(e) and ctx.index.before(assign, e)
                  and not ctx.index.is_inside(assign, e)]
        if epochs and _only_walked(ctx, scope, name, epochs[-1]):
            return True
    return False


def _wrapped_names(ctx: FileContext, scope: cst.CSTNode, name: str) -> set[str]:
    """Names bound to a progress bar or ``enumerate`` of ``name``
    (``pbar = tqdm(batches, desc=...)``)."""
    found: set[str] = set()
    for assign in D.assignments_in(ctx, scope):
        value = assign.value
        if type(value) is cst.Call and (dotted_name(value.func) or "").rsplit(".", 1)[
                -1] in _WRAPPERS and D.iterated_names(value) == {name}:
            target = D.assigned_name(ctx, value)
            if target is not None:
                found.add(target)
    return found


def _only_walked(ctx: FileContext, scope: cst.CSTNode, name: str,
                 epoch: cst.For | cst.While) -> bool:
    """Inside ``epoch``, ``name`` is only iterated (directly, through a wrapper, or read
    with ``len``): never passed to another call (``random.shuffle(batches)``), never
    changed by a method (``batches.sort()``), subscripted or rebound."""
    for read in D.reads_of(ctx, name, epoch):
        if ctx.scope_of(read) is not scope:
            return False
        parent = ctx.index.parent(read)
        if type(parent) is cst.For and parent.iter is read:
            continue
        if type(parent) is cst.Arg and parent.keyword is None:
            call = ctx.index.parent(parent)
            if type(call) is cst.Call and (dotted_name(call.func) or "").rsplit(
                    ".", 1)[-1] in (_WRAPPERS | {"len"}):
                continue
        return False
    return True


def is_epoch_loop(loop: cst.For | cst.While) -> bool:
    """A loop whose target or count names epochs (``for epoch in range(num_epochs)``,
    ``for _ in range(EPOCHS)``, ``while epoch < max_epochs``)."""
    parts = (loop.target, loop.iter) if type(loop) is cst.For else (loop.test,)
    return any("epoch" in n.value.lower() for part in parts for n in _names(part))


def _names(node: cst.CSTNode) -> list[cst.Name]:
    if type(node) is cst.Name:
        return [node]
    found: list[cst.Name] = []
    for child in iter_children(node):
        found.extend(_names(child))
    return found


def _cycled_into_training(ctx: FileContext, call: cst.Call) -> bool:
    """``it = itertools.cycle(loader)`` whose ``next(it)`` a training loop reads, or a
    training loop over ``zip(..., cycle(loader))`` / ``cycle(loader)`` itself; unless the
    loop visibly stops within one pass (``for _ in range(len(loader))``) and no epoch
    loop around it repeats it."""
    loader = _loader_argument(ctx, call)
    if loader is None:
        return False
    scope = ctx.scope_of(call)
    name = D.assigned_name(ctx, call)
    loops: list[cst.For | cst.While] = []
    if name is not None and "." not in name:
        for read in D.reads_of(ctx, name, scope):
            parent = ctx.index.parent(read)
            caller = ctx.index.parent(parent) if type(parent) is cst.Arg else None
            if type(caller) is cst.Call and dotted_name(caller.func) == "next":
                loops.extend(ctx.index.enclosing_loops(caller)[:1])
    else:
        loop = _iterating_loop(ctx, call)
        if loop is not None:
            loops.append(loop)
    return any(D.is_training_loop(ctx, loop) and not _within_one_pass(
        ctx, loop, loader, call) for loop in loops)


def _iterating_loop(ctx: FileContext, call: cst.Call) -> cst.For | None:
    """The ``for`` whose iterable is ``call``, or a ``zip``/``enumerate`` of it."""
    node: cst.CSTNode = call
    parent = ctx.index.parent(node)
    while type(parent) is cst.Arg:
        outer = ctx.index.parent(parent)
        if type(outer) is not cst.Call or dotted_name(outer.func) not in (
                "zip", "enumerate", "tqdm"):
            return None
        node, parent = outer, ctx.index.parent(outer)
    return parent if type(parent) is cst.For and parent.iter is node else None


def _within_one_pass(ctx: FileContext, loop: cst.For | cst.While,
                     loader: cst.BaseExpression, cycle: cst.Call) -> bool:
    """The loop's count reads ``len(loader)`` (one pass at most) and no loop around it,
    entered after the cycle was made, runs it again."""
    counted = loop.iter if type(loop) is cst.For else loop.test
    name = dotted_name(loader)
    if not any(dotted_name(c.func) == "len" and positional(c) and dotted_name(
            positional(c)[0]) == name for c in _calls(counted)):
        return False
    return not any(not ctx.index.is_inside(cycle, outer)
                   for outer in ctx.index.enclosing_loops(loop))


def _calls(node: cst.CSTNode) -> list[cst.Call]:
    found: list[cst.Call] = [node] if type(node) is cst.Call else []
    for child in iter_children(node):
        found.extend(_calls(child))
    return found
