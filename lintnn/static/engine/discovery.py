"""Which files to check: directories recursively, minus the usual and .gitignore.

Folders named like build output, virtual environments and tool caches
(:data:`ALWAYS_SKIPPED`), and any virtual environment (a ``pyvenv.cfg``), are skipped, unless
the folder is a Python package (an ``__init__.py``): ``env/`` in a reinforcement-learning
project is code. Each folder skipped this way is recorded (:attr:`Discovery.pruned`), so a
sweep can say what it did not look at.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

import pathspec

from lintnn.static.engine.writer import is_leftover, leftovers

SOURCE_SUFFIXES = (".py", ".pyi", ".ipynb")
ALWAYS_SKIPPED = frozenset(
    {
        ".git", ".hg", ".svn", ".venv", "venv", ".env", "env", "__pycache__", "build", "dist",
        "node_modules", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".lintnn_cache",
        ".tox", ".nox", ".eggs", "site-packages", ".ipynb_checkpoints", "__pypackages__",
    }
)


class Discovery:
    """Walks the given paths and yields the source files to check, sorted.

    Explicit file arguments are always checked; files found by walking a directory
    are filtered by suffix, by ``exclude`` globs and by ``.gitignore`` files.
    """

    def __init__(
        self,
        exclude: Iterable[str] = (),
        respect_gitignore: bool = True,
        root: Path | None = None,
        suffixes: tuple[str, ...] = SOURCE_SUFFIXES,
    ) -> None:
        self.exclude = pathspec.GitIgnoreSpec.from_lines(list(exclude))
        self.respect_gitignore = respect_gitignore
        self.root = (root or Path.cwd()).absolute()
        self.suffixes = suffixes
        self.skipped: list[tuple[Path, str]] = []
        self.missing: list[Path] = []  # paths given that do not exist
        self.leftovers: list[Path] = []  # files an interrupted --fix left (engine.writer)
        self.pruned: list[Path] = []  # folders skipped by default (not by the user's rules)

    def files(self, paths: Iterable[Path]) -> list[Path]:
        found: set[Path] = set()
        for path in paths:
            if path.is_dir():
                found.update(self._walk(path))
            elif path.exists() or path.is_symlink():
                found.add(path)
                self.leftovers.extend(leftovers(path.parent, [path.name]))
            else:
                self.missing.append(path)
        return sorted(found)

    def is_excluded(self, path: Path) -> bool:
        """For ``--force-exclude``: a path named on the command line is excluded when it
        matches ``exclude`` or lies in a folder that a directory walk always skips."""
        try:
            parts = path.absolute().relative_to(self.root).parts
        except ValueError:
            parts = path.parts
        return self._excluded(path) or any(part in ALWAYS_SKIPPED for part in parts[:-1])

    def _excluded(self, path: Path) -> bool:
        try:
            relative = path.absolute().relative_to(self.root).as_posix()
        except ValueError:
            relative = path.as_posix()
        return self.exclude.match_file(relative) or self.exclude.match_file(relative + "/")

    def _walk(self, top: Path) -> Iterator[Path]:
        top = top.absolute()
        ignores: list[tuple[Path, pathspec.PathSpec]] = []
        if self.respect_gitignore:
            ignores = self._parent_gitignores(top)
        visited: set[tuple[int, int]] = set()
        yield from self._walk_dir(top, ignores, visited)

    def _walk_dir(
        self, directory: Path, ignores: list[tuple[Path, pathspec.PathSpec]],
        visited: set[tuple[int, int]],
    ) -> Iterator[Path]:
        try:
            stat = directory.stat()
        except OSError as error:
            self.skipped.append((directory, f"cannot read directory: {error.strerror}"))
            return
        key = (stat.st_dev, stat.st_ino)
        if key in visited:  # a symlink loop
            self.skipped.append((directory, "directory already visited (symlink loop)"))
            return
        visited.add(key)
        if self.respect_gitignore:
            spec = _read_gitignore(directory / ".gitignore")
            if spec is not None:
                ignores = [*ignores, (directory, spec)]
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as error:
            self.skipped.append((directory, f"cannot read directory: {error.strerror}"))
            return
        for entry in entries:
            path = Path(entry.path)
            if is_leftover(entry.name):
                self.leftovers.append(path)
                continue
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir and skipped_by_default(path, entry.name):
                self.pruned.append(path)
                continue
            if self._excluded(path) or _ignored(path, is_dir, ignores):
                continue
            if is_dir:
                yield from self._walk_dir(path, ignores, visited)
            elif entry.name.endswith(self.suffixes):
                yield path

    def _parent_gitignores(self, top: Path) -> list[tuple[Path, pathspec.PathSpec]]:
        """.gitignore files of the enclosing directories, up to the repository root."""
        found: list[tuple[Path, pathspec.PathSpec]] = []
        directory = top.parent
        while True:
            spec = _read_gitignore(directory / ".gitignore")
            if spec is not None:
                found.append((directory, spec))
            if (directory / ".git").exists() or directory.parent == directory:
                break
            directory = directory.parent
        return list(reversed(found))


def skipped_by_default(path: Path, name: str) -> bool:
    """A folder of build output, a virtual environment or a tool's cache, and no package."""
    if name in ALWAYS_SKIPPED:
        return not (path / "__init__.py").is_file()
    return (path / "pyvenv.cfg").is_file()


def _read_gitignore(path: Path) -> pathspec.PathSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(path: Path, is_dir: bool, ignores: list[tuple[Path, pathspec.PathSpec]]) -> bool:
    for base, spec in ignores:
        try:
            relative = path.relative_to(base).as_posix()
        except ValueError:
            continue
        if spec.match_file(relative + ("/" if is_dir else "")):
            return True
    return False
