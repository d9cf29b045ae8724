"""What an analysis reads of its file, for the language server's per-statement cache.

A statement-local rule runs on a view of one top-level statement, yet its answers may rest
on other statements: a parameter's value comes from the calls that pass it, a call's
result from the function it calls, a class's attributes from its methods. The context
notes each node of the file it reads that way (:meth:`Reads.note`) into the current
*frame*. A memoised fact (a function's dataflow, a parameter's value...) is computed in a
frame of its own, kept with it and nested into the frame that asked; whoever asks later
gets the same frame nested into theirs (:meth:`Reads.replay`), so what a fact read is
counted for every reader, however it was memoised. Frames nest by reference: a fact
asked again while it is still being computed (a recursion) adds the frame that will hold
all it reads.

Tracking is off (``frame is None``) in a batch run, where nothing is kept between checks.
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Iterator

import libcst as cst

Frame = list  # of CSTNode, CallersOf, MentionsOf and nested frames


class CallersOf:
    """A read of every call of ``fn`` in the file: the answer changes when a statement
    that was not read gains or loses one."""

    __slots__ = ("fn",)

    def __init__(self, fn: cst.FunctionDef) -> None:
        self.fn = fn


class MentionsOf:
    """A read of every mention of ``name`` in the file (a function's uses, found by its
    name): the answer changes when a statement that was not read gains or loses one."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name


class Reads:
    """The frame being filled, and the frame of each memoised fact."""

    __slots__ = ("_facts", "frame")

    def __init__(self) -> None:
        self.frame: Frame | None = None
        self._facts: dict[Hashable, Frame] = {}

    @property
    def tracking(self) -> bool:
        return self.frame is not None

    def start(self) -> None:
        """Track from now on (before any fact is memoised: one made untracked would
        replay nothing)."""
        self.frame = []
        self._facts.clear()

    def release(self) -> None:
        """Empty every fact's frame (a frame nested into itself, by a recursion, is a
        reference cycle) and stop tracking."""
        for frame in self._facts.values():
            frame.clear()
        self._facts.clear()
        self.frame = None

    def note(self, node: cst.CSTNode) -> None:
        """What is being computed depends on ``node``."""
        frame = self.frame
        if frame is not None:
            frame.append(node)

    def note_callers(self, fn: cst.FunctionDef) -> None:
        """What is being computed depends on which calls of the file call ``fn``."""
        frame = self.frame
        if frame is not None:
            frame.append(CallersOf(fn))

    def note_mentions(self, name: str) -> None:
        """What is being computed depends on every mention of ``name`` in the file."""
        frame = self.frame
        if frame is not None:
            frame.append(MentionsOf(name))

    def replay(self, fact: Hashable) -> None:
        """A memoised ``fact`` is read again: what it read counts for this reader too."""
        frame = self.frame
        if frame is not None:
            kept = self._facts.get(fact)
            if kept is not None:
                frame.append(kept)

    @contextlib.contextmanager
    def computing(self, fact: Hashable) -> Iterator[None]:
        """Compute ``fact`` in its own frame, nested into the current one."""
        outer = self.frame
        if outer is None:
            yield
            return
        frame: Frame = []
        self._facts[fact] = frame
        outer.append(frame)
        self.frame = frame
        try:
            yield
        finally:
            self.frame = outer

    @contextlib.contextmanager
    def collecting(self) -> Iterator[Frame]:
        """A fresh frame for one run of an analysis (a rule on a statement's view); the
        frame before it is restored after."""
        outer = self.frame
        frame: Frame = []
        self.frame = frame
        try:
            yield frame
        finally:
            self.frame = outer


def flatten(frame: Frame) -> tuple[list[cst.CSTNode], list[cst.FunctionDef], list[str]]:
    """The nodes of ``frame`` and of the frames nested in it, the functions whose callers
    they read and the names whose mentions they read, each once."""
    seen: set[int] = {id(frame)}
    nodes: dict[int, cst.CSTNode] = {}
    called: dict[int, cst.FunctionDef] = {}
    mentioned: dict[str, None] = {}
    stack = [frame]
    while stack:
        current = stack.pop()
        for item in current:
            kind = type(item)
            if kind is list:
                if id(item) not in seen:
                    seen.add(id(item))
                    stack.append(item)
            elif kind is CallersOf:
                called.setdefault(id(item.fn), item.fn)
            elif kind is MentionsOf:
                mentioned[item.name] = None
            else:
                nodes.setdefault(id(item), item)
    return list(nodes.values()), list(called.values()), list(mentioned)
