"""The project index: what each class of the checked project is, across files.

Each file yields :class:`ClassSummary` records while it is analysed (in a worker
process); findings that depend on another file's class carry :class:`Requirement`s
and are kept only if the index, built once every file is read, satisfies them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

# Facts a requirement can ask about a class.
RETURNS = "returns"  # the forward / __call__ / call output has a role
CONTAINS = "contains"  # the module holds a layer with a role (dropout, batchnorm)
# Facts about functions, from what their callers do (``class_qualname`` is then the
# function's qualified name and ``role`` the position in its result, "-1" for all of it).
SPLIT = "split"  # a caller splits that part of the function's result into train/test


@dataclass(frozen=True)
class ClassSummary:
    """What one class is, for training."""

    qualname: str
    bases: tuple[str, ...]
    returns: frozenset[str] = frozenset()
    returns_via: str | None = None
    defines_output: bool = False
    contains: frozenset[str] = frozenset()
    submodules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Requirement:
    """``class_qualname`` must have ``role`` under ``fact`` (RETURNS or CONTAINS), or one of
    the ``alternatives`` must hold (a parameter its callers give different models)."""

    class_qualname: str
    fact: str
    role: str
    near: str = ""  # the file that asked, to find modules that were not checked
    alternatives: tuple[Requirement, ...] = ()


@dataclass(frozen=True)
class CallFact:
    """What one caller does with the result of a project function: ``fact`` (SPLIT) holds
    for the ``positions`` of the returned tuple (-1: the whole result)."""

    function: str  # the qualified name the caller resolves
    fact: str
    positions: tuple[int, ...]


@dataclass
class ProjectIndex:
    classes: dict[str, ClassSummary] = field(default_factory=dict)
    _by_name: dict[str, list[str]] = field(default_factory=dict)
    loader: Callable[[str, str], Iterable[ClassSummary]] | None = None
    _loaded_modules: set[str] = field(default_factory=set)
    calls: dict[str, list[CallFact]] = field(default_factory=dict)  # by last name

    def add_calls(self, facts: Iterable[CallFact]) -> None:
        for fact in facts:
            self.calls.setdefault(fact.function.rsplit(".", 1)[-1], []).append(fact)

    def _called(self, function: str, fact: str, position: int) -> bool:
        """Some caller of ``function`` (the same name, or one module path ending in the
        other's) does ``fact`` with that position of its result."""
        for found in self.calls.get(function.rsplit(".", 1)[-1], ()):
            same = found.function == function or found.function.endswith(
                "." + function) or function.endswith("." + found.function)
            if same and found.fact == fact and position in found.positions:
                return True
        return False

    def add(self, summaries: Iterable[ClassSummary]) -> None:
        for summary in summaries:
            self.classes[summary.qualname] = summary
            self._by_name.setdefault(summary.qualname.rsplit(".", 1)[-1], []).append(
                summary.qualname
            )

    def lookup(self, qualname: str, near: str = "") -> ClassSummary | None:
        found = self._lookup(qualname)
        if found is None and self.loader is not None and near:
            module = qualname.rsplit(".", 1)[0]
            if (module, near) not in self._loaded_modules:
                self._loaded_modules.add((module, near))  # type: ignore[arg-type]
                self.add(self.loader(module, near))
                found = self._lookup(qualname)
        return found

    def _lookup(self, qualname: str) -> ClassSummary | None:
        exact = self.classes.get(qualname)
        if exact is not None:
            return exact
        # ``from models import Net`` run as a script next to ``pkg/models.py``:
        # accept a unique candidate whose dotted name ends with the one asked for.
        name = qualname.rsplit(".", 1)[-1]
        candidates = [q for q in self._by_name.get(name, ()) if q.endswith("." + qualname)]
        return self.classes[candidates[0]] if len(candidates) == 1 else None

    def satisfies(self, requirement: Requirement) -> bool:
        if requirement.fact == SPLIT:
            held = self._called(requirement.class_qualname, SPLIT, int(requirement.role))
        else:
            held = self._has(requirement.class_qualname, requirement.fact, requirement.role,
                             requirement.near, set())
        return held or any(self.satisfies(other) for other in requirement.alternatives)

    def _has(self, qualname: str, fact: str, role: str, near: str, seen: set[str]) -> bool:
        if qualname in seen:
            return False
        seen.add(qualname)
        summary = self.lookup(qualname, near)
        if summary is None:
            return False
        if fact == RETURNS:
            if summary.defines_output:
                if role in summary.returns:
                    return True
                return bool(summary.returns_via) and self._has(
                    summary.returns_via, fact, role, near, seen  # type: ignore[arg-type]
                )
            return any(self._has(base, fact, role, near, seen) for base in summary.bases)
        if fact == CONTAINS:
            if role in summary.contains:
                return True
            return any(
                self._has(other, fact, role, near, seen)
                for other in (*summary.submodules, *summary.bases)
            )
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
