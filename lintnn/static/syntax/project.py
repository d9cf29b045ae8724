"""The project index: what each class of the checked project is, across files.

Each file yields :class:`ClassSummary` records while it is analysed (in a worker
process); findings that depend on another file's class carry :class:`Requirement`s
and are kept only if the index, built once every file is read, satisfies them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from lintnn.static import knowledge

T = TypeVar("T")

# Facts a requirement can ask about a class.
RETURNS = "returns"  # the forward / __call__ / call output has a role
# A RETURNS role as one call asks it: ``makes.softmax|return_features,#1`` for a call that
# passes ``return_features=`` and a second positional argument (``analyses.losses.returns_role``).
PASSING = "|"
ANY_ARGUMENT = "*"  # ``*args`` / ``**kwargs``, or a call not known
# A RETURNS role of one part of a tuple output (``return logits, hidden``):
# ``makes.relu@0`` (``ClassSummary.returns`` holds it when every return agrees).
PART = "@"
CONTAINS = "contains"  # the module holds a layer with a role (dropout, batchnorm)
# Facts about functions, from what their callers do (``class_qualname`` is then the
# function's qualified name and ``role`` the position in its result, "-1" for all of it).
SPLIT = "split"  # a caller splits that part of the function's result into train/test
# A caller passes, for an argument of the function (or class: its constructor), a value the
# knowledge base knows (``role`` and ``CallFact.detail``: :func:`passed_role`).
PASSES = "passes"
# The class's items are the ones the index asks for: its ``__getitem__`` (its own, or the
# nearest base's) does not pick its item at random (the summary's ``getitem`` is not
# PICKS_AT_RANDOM), or the class is not known (then it is assumed not to). A data set that
# picks each item at random (ignores the index, or reads a randomly drawn one) makes the
# order of the indices irrelevant.
ITEM_BY_INDEX = "item_by_index"
PICKS_AT_RANDOM = "random"  # ClassSummary.getitem: each item is a random draw
# A data loader class of the project (a subclass of a framework loader) that does not
# shuffle unless told to: its constructor takes ``shuffle`` with the default False and
# passes it on (the JAX tutorial's ``NumpyLoader(DataLoader)``).
UNSHUFFLED_BY_DEFAULT = "unshuffled_by_default"
# The model may normalize with BatchNorm's running statistics: a BatchNorm of the class, of
# a submodule, a base or (for a parameter typed by a base class) a subclass is not built
# with ``use_running_average=False`` / ``track_running_stats=False``; or one of them is
# not known (then it is assumed to).
READS_RUNNING_STATS = "reads_running_stats"
# The class's method ``role`` (``fit``, ``fit_transform``) learns statistics (a mean, a
# scale, a fitted scaler) from the data it is given and keeps them (a project
# ``Preprocessor``): its own method or a base's.
FITS_STATISTICS = "fits_statistics"


# Facts about a module-level function (or name) of the project, from its own file: ``role``
# is one of the function's facts (``FunctionSummary.facts``, made by
# ``analyses.functions``: ``loss:mean`` for a function every return of which builds a
# mean-reduced loss object).
FUNCTION = "function"


def passed_role(argument: int | str, role: str, detail: str = "") -> str:
    """The role of :data:`PASSES`: the argument at that position of the call (``self``
    left out) or of that keyword holds a value with ``role`` (``loss.softmax_logits``);
    ``detail`` says more (where a passed loss reads its prediction)."""
    return f"{argument}:{role}:{detail}"
# A method of the class passes one of its parameters, as it is, as the prediction of a loss
# (``role``: :func:`loss_input`, e.g. ``get_loss:0:loss.sigmoid_logits``).
FEEDS_LOSS = "feeds_loss"


def loss_input(method: str, argument: int | str, expects: str) -> str:
    """The role of :data:`FEEDS_LOSS`: ``method``'s argument (its position after ``self``,
    or its name) is the prediction of a loss that ``expects`` (a ``loss.*`` role)."""
    return f"{method}:{argument}:{expects}"


@dataclass(frozen=True)
class ClassSummary:
    """What one class is, for training."""

    qualname: str
    bases: tuple[str, ...]
    returns: frozenset[str] = frozenset()
    returns_via: str | None = None
    # The flags of its output method (names, ``#<position>``) under which some returns were
    # left out of ``returns``: a call that passes one may get another output.
    returns_unless: frozenset[str] = frozenset()
    defines_output: bool = False
    contains: frozenset[str] = frozenset()
    submodules: tuple[str, ...] = ()
    loss_inputs: frozenset[str] = frozenset()  # FEEDS_LOSS roles of its methods
    # Its own ``__getitem__``: PICKS_AT_RANDOM (its item is a random draw), "reads" (the
    # item asked for); "" when it defines none.
    getitem: str = ""
    # One of its own BatchNorms may read running statistics (READS_RUNNING_STATS).
    running_stats: bool = False
    # A loader that leaves shuffling off by default (UNSHUFFLED_BY_DEFAULT).
    unshuffled_loader: bool = False
    # Its own methods that learn statistics from the data they are given (FITS_STATISTICS).
    fits: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FunctionSummary:
    """What a module-level function of a file returns or does (``facts``), or what a
    module-level name holds, for callers and importers in other files."""

    qualname: str
    facts: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Requirement:
    """``class_qualname`` must have ``role`` under ``fact`` (RETURNS, CONTAINS, FEEDS_LOSS),
    or one of the ``alternatives`` must hold (a parameter its callers give different
    models)."""

    class_qualname: str
    fact: str
    role: str
    near: str = ""  # the file that asked, to find modules that were not checked
    alternatives: tuple[Requirement, ...] = ()


@dataclass(frozen=True)
class CallFact:
    """What one caller does with the result of a project function: ``fact`` (SPLIT) holds
    for the ``positions`` of the returned tuple (-1: the whole result); or what it passes
    to it (PASSES: ``detail`` is a :func:`passed_role`)."""

    function: str  # the qualified name the caller resolves
    fact: str
    positions: tuple[int, ...] = ()
    detail: str = ""


@dataclass
class ProjectIndex:
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    _by_name: dict[str, list[str]] = field(default_factory=dict)
    loader: Callable[[str, str], Iterable[ClassSummary]] | None = None
    _loaded_modules: set[str] = field(default_factory=set)
    calls: dict[str, list[CallFact]] = field(default_factory=dict)  # by last name
    # A qualified name several folders define (``model.Net`` of two scripts' folders):
    # each folder's summary, with the rank it was added at (later ranks win in a folder).
    _homes: dict[str, dict[str, tuple[tuple[int, int], ClassSummary]]] = field(
        default_factory=dict)
    _adds: int = 0
    functions: dict[str, FunctionSummary] = field(default_factory=dict)
    _functions_by_name: dict[str, list[str]] = field(default_factory=dict)
    _function_homes: dict[str, dict[str, FunctionSummary]] = field(default_factory=dict)

    def add_functions(self, summaries: Iterable[FunctionSummary], where: str = "",
                      wins: bool = True) -> None:
        """Function summaries of the file ``where``; ``wins``: it takes the qualified name
        from an earlier file's (a later file wins, as for classes)."""
        for summary in summaries:
            qualname = summary.qualname
            if wins or qualname not in self.functions:
                self.functions[qualname] = summary
            names = self._functions_by_name.setdefault(qualname.rsplit(".", 1)[-1], [])
            if qualname not in names:
                names.append(qualname)
            if where:
                homes = self._function_homes.setdefault(qualname, {})
                folder = os.path.dirname(os.path.abspath(where))
                if wins or folder not in homes:
                    homes[folder] = summary

    def function(self, qualname: str, near: str = "") -> FunctionSummary | None:
        """The summary of a project function (or module-level name) as ``near`` names it:
        the one the import reaches from ``near`` (see :meth:`_reachable`), else the exact
        qualified name (the asking file's folder's, where several folders define it),
        else the one candidate whose dotted name ends with it; None when unsure."""
        name = qualname.rsplit(".", 1)[-1]
        candidates = {q for q in self._functions_by_name.get(name, ())
                      if q.endswith("." + qualname)}
        reachable = _reachable(qualname, [qualname, *sorted(candidates)], near, {
            q: {folder: ((0, 0), summary)
                for folder, summary in self._function_homes.get(q, {}).items()}
            for q in (qualname, *candidates)})
        if reachable is not None:
            return reachable
        exact = self.functions.get(qualname)
        if exact is not None:
            homes = self._function_homes.get(qualname, {})
            if len(homes) > 1 and near:
                return homes.get(os.path.dirname(os.path.abspath(near)))
            return exact
        return self.functions[candidates.pop()] if len(candidates) == 1 else None

    def add_calls(self, facts: Iterable[CallFact]) -> None:
        for fact in facts:
            self.calls.setdefault(fact.function.rsplit(".", 1)[-1], []).append(fact)

    def _called(self, function: str, fact: str, holds: Callable[[CallFact], bool]) -> bool:
        """Some caller of ``function`` (the same name, or one module path ending in the
        other's) states ``fact`` where ``holds``."""
        for found in self.calls.get(function.rsplit(".", 1)[-1], ()):
            same = found.function == function or found.function.endswith(
                "." + function) or function.endswith("." + found.function)
            if same and found.fact == fact and holds(found):
                return True
        return False

    def add(self, summaries: Iterable[ClassSummary], where: str = "") -> None:
        """Summaries of the file ``where`` (its path; "" for a module found by the loader)."""
        self._adds += 1
        rank = (0, self._adds)
        for summary in summaries:
            self.classes[summary.qualname] = summary
            self._by_name.setdefault(summary.qualname.rsplit(".", 1)[-1], []).append(
                summary.qualname
            )
            self._home(summary, where, rank)

    def _home(self, summary: ClassSummary, where: str, rank: tuple[int, int]) -> None:
        """Remember which folder defines ``summary`` (a later rank wins in one folder)."""
        if not where:
            return
        homes = self._homes.setdefault(summary.qualname, {})
        folder = os.path.dirname(os.path.abspath(where))
        if folder not in homes or rank >= homes[folder][0]:
            homes[folder] = (rank, summary)

    def _nearest(self, qualname: str, near: str) -> ClassSummary | None:
        """Where several folders define ``qualname``, the one of the asking file's folder
        (a script imports ``model`` from its own folder); None when that does not decide."""
        homes = self._homes.get(qualname)
        if not homes or len(homes) < 2 or not near:
            return None
        found = homes.get(os.path.dirname(os.path.abspath(near)))
        return found[1] if found is not None else None

    def lookup(self, qualname: str, near: str = "") -> ClassSummary | None:
        found = self._lookup(qualname, near)
        if found is None and self.loader is not None and near:
            module = qualname.rsplit(".", 1)[0]
            if (module, near) not in self._loaded_modules:
                self._loaded_modules.add((module, near))  # type: ignore[arg-type]
                self.add(self.loader(module, near))
                found = self._lookup(qualname, near)
        return found

    def _lookup(self, qualname: str, near: str = "") -> ClassSummary | None:
        exact = self.classes.get(qualname)
        # ``from models import Net`` run as a script next to ``pkg/models.py``: a
        # candidate whose dotted name ends with the one asked for.
        name = qualname.rsplit(".", 1)[-1]
        candidates = [q for q in self._by_name.get(name, ()) if q.endswith("." + qualname)]
        reachable = _reachable(qualname, [qualname, *candidates], near, self._homes)
        if reachable is not None:
            return reachable
        if exact is not None:
            return self._nearest(qualname, near) or exact
        # Accept a unique candidate.
        return self.classes[candidates[0]] if len(set(candidates)) == 1 else None

    def satisfies(self, requirement: Requirement) -> bool:
        if requirement.fact == READS_RUNNING_STATS:
            return self._running_stats(requirement.class_qualname, requirement.near)
        if requirement.fact == UNSHUFFLED_BY_DEFAULT:
            summary = self.lookup(requirement.class_qualname, requirement.near)
            return summary is not None and summary.unshuffled_loader
        if requirement.fact == ITEM_BY_INDEX:
            return self._getitem(requirement.class_qualname, requirement.near, set()) != (
                PICKS_AT_RANDOM) or any(self.satisfies(other) for other in requirement.alternatives)
        if requirement.fact == FUNCTION:
            function = self.function(requirement.class_qualname, requirement.near)
            return (function is not None and requirement.role in function.facts) or any(
                self.satisfies(other) for other in requirement.alternatives)
        if requirement.fact == SPLIT:
            position = int(requirement.role)
            held = self._called(requirement.class_qualname, SPLIT,
                                lambda found: position in found.positions)
        elif requirement.fact == PASSES:
            held = self._called(requirement.class_qualname, PASSES,
                                lambda found: found.detail == requirement.role)
        else:
            held = self._has(requirement.class_qualname, requirement.fact, requirement.role,
                             requirement.near, set())
        return held or any(self.satisfies(other) for other in requirement.alternatives)

    def _running_stats(self, qualname: str, near: str) -> bool:
        """Whether the class, its parts and bases, or a subclass's, may read BatchNorm's
        running statistics; True when any of them is unknown."""
        seen: set[str] = set()
        todo = [qualname]
        while todo:
            current = todo.pop()
            if self._stats_of(current, near, seen):
                return True
            parent = self.lookup(current, near)
            todo += [s.qualname for s in list(self.every_class())
                     if s.qualname not in seen
                     and any(self.lookup(base, near) is parent for base in s.bases)]
        return False

    def _stats_of(self, qualname: str, near: str, seen: set[str]) -> bool:
        """The class itself, its submodules and its bases (not its subclasses)."""
        if qualname in seen or knowledge.is_framework_name(qualname) or (
                qualname.split(".")[0] in knowledge.KNOWN_ROOTS):
            return False
        seen.add(qualname)
        summary = self.lookup(qualname, near)
        if summary is None:
            return True  # not known: it may
        return summary.running_stats or any(
            self._stats_of(other, near, seen) for other in (*summary.submodules, *summary.bases))

    def every_class(self) -> Iterable[ClassSummary]:
        """Every class summary of the run (the deferred index makes the pending ones)."""
        return self.classes.values()

    def _getitem(self, qualname: str, near: str, seen: set[str]) -> str:
        """How the class's ``__getitem__`` uses its index, its own or the first base's
        that defines one ("" when unknown)."""
        if qualname in seen:
            return ""
        seen.add(qualname)
        summary = self.lookup(qualname, near)
        if summary is None:
            return ""
        if summary.getitem:
            return summary.getitem
        for base in summary.bases:
            found = self._getitem(base, near, seen)
            if found:
                return found
        return ""

    def _has(self, qualname: str, fact: str, role: str, near: str, seen: set[str]) -> bool:
        if qualname in seen:
            return False
        seen.add(qualname)
        summary = self.lookup(qualname, near)
        if summary is None:
            return False
        if fact == RETURNS:
            if summary.defines_output:
                plain, _, passed = role.partition(PASSING)
                if summary.returns_unless and (
                        ANY_ARGUMENT in passed.split(",")
                        or summary.returns_unless & set(passed.split(","))):
                    return False  # the call may pass a flag whose returns were left out
                if plain in summary.returns:
                    return True  # else: its call is unknown, ask the class it delegates to
                return bool(summary.returns_via) and PART not in plain and self._has(
                    summary.returns_via, fact, plain + PASSING + ANY_ARGUMENT, near, seen  # type: ignore[arg-type]
                )
            return any(self._has(base, fact, role, near, seen) for base in summary.bases)
        if fact == FEEDS_LOSS:  # the method of this class, not an inherited one
            return role in summary.loss_inputs
        if fact == FITS_STATISTICS:
            return role in summary.fits or any(
                self._has(base, fact, role, near, seen) for base in summary.bases)
        if fact == CONTAINS:
            if role in summary.contains:
                return True
            return any(
                self._has(other, fact, role, near, seen)
                for other in (*summary.submodules, *summary.bases)
            )
        return False


def _reachable(asked: str, qualnames: list[str], near: str,
               homes: Mapping[str, Mapping[str, tuple[tuple[int, int], T]]]) -> T | None:
    """Of what is defined under these names (``homes``: by name, by folder, with the rank
    it was added at), the one that the import of ``asked`` reaches from the file ``near``:
    its module's top folder (``asked``'s module parts up from the defining file's folder)
    is that file's folder or one of its three nearest parents, as a script's own folder or
    its project's root is on the path; the nearest wins, then the later file. None when
    no file of the run decides it (another project's ``dataset.TextDataset`` is no answer
    for ``from dataset import TextDataset``)."""
    if not near:
        return None
    start = os.path.dirname(os.path.abspath(near))
    depth = asked.count(".")  # the module's parts (a nested class may add one)
    found: list[tuple[int, int, int, T]] = []
    for qualname in dict.fromkeys(qualnames):
        for folder, (rank, summary) in homes.get(qualname, {}).items():
            distance = _ascent(start, _up(folder, depth - 1))
            if distance is not None:
                found.append((distance, -rank[0], -rank[1], summary))
    return min(found, key=lambda f: f[:3])[3] if found else None


def _up(folder: str, levels: int) -> str:
    for _ in range(max(levels, 0)):
        folder = os.path.dirname(folder)
    return folder


def _ascent(start: str, folder: str) -> int | None:
    """How many levels ``folder`` is above ``start`` (0: the same), at most 3; None when
    it is not one of them."""
    return next((levels for levels, near in enumerate(_folders_up(start)) if near == folder),
                None)


def _folders_up(start: str) -> Iterator[str]:
    """``start`` and its three nearest parent folders (fewer below the root)."""
    for _ in range(4):
        yield start
        parent = os.path.dirname(start)
        if parent == start:
            return
        start = parent


def project_module(path: Path | str, root: str) -> bool:
    """``root`` (a top-level module a file imports) is a module of the project the file
    belongs to: ``root.py`` or a folder ``root`` beside it or in one of its three nearest
    parent folders, below any ``site-packages`` (an installed library's imports of other
    libraries are not its project)."""
    return knowledge.may_be_project_root(root) and _near(
        os.path.dirname(os.path.abspath(path)), root)


@functools.lru_cache(maxsize=1 << 14)
def _near(folder: str, root: str) -> bool:
    for near in _folders_up(folder):
        if os.path.basename(near) in ("site-packages", "dist-packages"):
            return False
        if os.path.isfile(os.path.join(near, root + ".py")) or os.path.isdir(
                os.path.join(near, root)):
            return True
    return False


def module_name_for(path: Path) -> tuple[str, bool]:
    """Dotted module name of a file from its package structure, and whether it is a package."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    directory = path.parent
    while (directory / "__init__.py").exists():
        parts.append(directory.name)
        if directory.parent == directory:
            break
        directory = directory.parent
    return ".".join(reversed(parts)), is_package
