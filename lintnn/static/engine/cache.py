"""A content-keyed cache of per-file results, so an unchanged tree re-checks in a blink.

One pickle per (lintnn version, enabled rules): path -> (content digest, FileResult).
Written atomically; a missing, stale or corrupt cache is simply ignored.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from lintnn.static.engine.analyze import FileResult
from lintnn.version import __version__

Entry = tuple[str, FileResult]


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


class Cache:
    def __init__(self, directory: Path, fingerprint: str) -> None:
        self.directory = directory
        self.file = directory / f"v{__version__}-{analyzer_digest()}-{fingerprint}.pickle"
        self.entries: dict[str, Entry] = {}
        self.dirty = False

    def load(self) -> None:
        try:
            with self.file.open("rb") as handle:
                data = pickle.load(handle)
        except Exception:
            return
        if isinstance(data, dict):
            self.entries = data

    def get(self, path: str, content_digest: str) -> FileResult | None:
        entry = self.entries.get(path)
        if entry is not None and entry[0] == content_digest:
            return entry[1]
        return None

    def put(self, path: str, content_digest: str, result: FileResult) -> None:
        self.entries[path] = (content_digest, result)
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            gitignore = self.directory / ".gitignore"
            if not gitignore.exists():
                gitignore.write_text("# Automatically created by lintnn.\n*\n")
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(self.entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, self.file)
            current = f"v{__version__}-{analyzer_digest()}-"
            for stale in self.directory.glob("v*.pickle"):
                if not stale.name.startswith(current):
                    stale.unlink(missing_ok=True)  # written by another lintnn: never read again
        except OSError:
            pass  # a read-only tree still gets linted, just not cached
