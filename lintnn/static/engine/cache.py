"""A content-keyed cache of per-file results, so an unchanged tree re-checks in a blink.

One JSON file per (cache format, lintnn version, analyzer code, enabled rules), in the
project's ``.lintnn_cache`` folder: ``{"format", "version", "entries": {path: [content
digest, result]}}``. JSON cannot run code when it is read, and every entry is checked
against the result's types when it is used (:mod:`~lintnn.static.engine.result_json`): a
cache that is missing, stale, truncated, random bytes or of the wrong shape is a miss, never
a wrong result. It is written to a temporary file that replaces the old one; two runs at once
each write a whole file (the last one wins).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from lintnn.config import git_root
from lintnn.diagnostics import Diagnostic
from lintnn.static.engine.analyze import FileResult
from lintnn.static.engine.result_json import BadEntry, decode_result, encode
from lintnn.static.syntax.project import ClassSummary
from lintnn.version import __version__

FORMAT = "lintnn-cache"
FORMAT_VERSION = 1
CACHE_FOLDER = ".lintnn_cache"
_STALE_TEMPORARY = 600.0  # seconds: a temporary file that old was left by a killed run


def digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@functools.lru_cache(maxsize=1)
def analyzer_digest() -> str:
    """A digest of the analyzer's own code: a cached result is only as good as the rules
    that produced it, also between two commits of one version."""
    package = Path(__file__).resolve().parents[2]  # lintnn/
    hasher = hashlib.blake2b(digest_size=8)
    for path in sorted([*(package / "static").rglob("*.py"), package / "diagnostics.py"]):
        hasher.update(path.read_bytes())
    return hasher.hexdigest()


def project_cache_dir(config_file: Path | None, start: Path) -> Path:
    """Where a run keeps its cache, as ruff does: next to the configuration file that
    applies, else at the root of the git repository holding ``start``, else in the
    working directory."""
    if config_file is not None:
        return config_file.absolute().parent / CACHE_FOLDER
    return (git_root(start) or Path.cwd()).absolute() / CACHE_FOLDER




def renamed(result: FileResult, name: str) -> FileResult:
    """``result`` for the same file named ``name`` (another run may spell it differently:
    another working directory)."""
    old = result.path
    if old == name:
        return result

    def move(diagnostic: Diagnostic) -> Diagnostic:
        return diagnostic.with_changes(filename=name) if diagnostic.filename == old \
            else diagnostic

    result.path = name
    result.diagnostics = [move(d) for d in result.diagnostics]
    result.conditional = [
        (move(d), tuple(replace(r, near=name) if r.near == old else r for r in requirements))
        for d, requirements in result.conditional]
    return result


class Cache:
    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.prefix = f"v{FORMAT_VERSION}-{__version__}-{analyzer_digest()}-"
        self.file = directory / f"{self.prefix}{fingerprint}.json"
        self.entries: dict[str, Any] = {}  # path -> [digest, encoded result], decoded on use
        self.dirty = False

    def load(self) -> None:
        try:
            data = json.loads(self.file.read_bytes())
        except (OSError, ValueError, RecursionError):  # missing, unreadable, not JSON
            return
        if (type(data) is dict and data.get("format") == FORMAT
                and data.get("version") == FORMAT_VERSION
                and type(data.get("entries")) is dict):
            self.entries = data["entries"]

    def get(self, path: str, content_digest: str, name: str) -> FileResult | None:
        """The result cached for the absolute ``path`` with this content, as a result for
        ``name`` (the path as this run spells it)."""
        entry = self.entries.get(path)
        if type(entry) is not list or len(entry) != 2 or entry[0] != content_digest:
            return None
        try:
            return renamed(decode_result(entry[1]), name)
        except BadEntry:
            return None

    def put(self, path: str, content_digest: str, result: FileResult) -> None:
        self.entries[path] = [content_digest, encode(result)]
        self.dirty = True

    def summarized(self, path: str, classes: list[ClassSummary]) -> None:
        """The class summaries of the file at ``path``, whose entry deferred them, made
        since (by :class:`~lintnn.static.engine.deferred.DeferredIndex`): kept, so a later
        run answers from the entry as if they had been made with the rest."""
        entry = self.entries.get(path)
        if type(entry) is not list or len(entry) != 2 or type(entry[1]) is not dict \
                or entry[1].get("deferred_classes") is None:
            return
        entry[1] = {**entry[1], "classes": encode(classes), "deferred_classes": None}
        self.dirty = True

    def settled(self, path: str, content_digest: str, result: FileResult) -> None:
        """The file at ``path`` analysed again on libcst's tree, since a conditional
        finding its entry kept as requirements holds (``FileResult.pending``): that result
        replaces the entry's if the content is still the entry's, so a later run reads the
        findings from the cache rather than analysing the file again."""
        entry = self.entries.get(path)
        if type(entry) is list and len(entry) == 2 and entry[0] == content_digest:
            self.put(path, content_digest, result)

    def save(self) -> None:
        """Write the cache; never fails the run (a read-only tree is linted, not cached),
        and never leaves its temporary file behind, whatever goes wrong."""
        if not self.dirty:
            return
        temporary = None
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Automatically created by lintnn.\n*\n")
            fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=f".{self.file.name}.",
                                             suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump({"format": FORMAT, "version": FORMAT_VERSION,
                           "entries": self.entries}, handle, separators=(",", ":"))
            os.replace(temporary, self.file)
            temporary = None
            self._remove_stale()
        except Exception:  # the results are computed: the cache is only a convenience
            pass
        finally:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def _remove_stale(self) -> None:
        """Caches of other versions (never read again) and temporaries of killed runs."""
        now = time.time()
        for path in self.directory.iterdir():
            name = path.name
            stale = (name.startswith("v") and name.endswith((".json", ".pickle"))
                     and not name.startswith(self.prefix)) or (
                name.startswith(".v") and name.endswith(".tmp")
                and now - path.stat().st_mtime > _STALE_TEMPORARY)
            if stale:
                path.unlink(missing_ok=True)
