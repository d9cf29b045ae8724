"""Writing a fixed file back: the file is always its original or its fixed version.

The usual way is a replacement: the fixed bytes go to a temporary file next to the
target (``.NAME.XXXXXXXX.lintnn-tmp``), which is synced, given the target's mode, owner
and group, and renamed over it. A rename would break a hard link, and cannot keep an owner
only root may give, so a file with several links, or whose owner or group this user cannot
set, is rewritten in place instead, through its own inode: its original and fixed bytes are
first synced to a journal (``.NAME.XXXXXXXX.lintnn-journal``), so that a write cut short
is undone by the next run. A file with no write permission, for its owner or for this user
(root included), is not written at all.

A kill leaves the temporary file or the journal behind. The next run (any ``lintnn check``
over that directory) removes the temporary files, and ends each journal: a file found
half-written gets its original bytes back. Only files named like ours are touched, and only
when no running lintnn holds their lock (``flock``; where there is none, when they are an
hour old).

``LINTNN_TEST_WRITE_FAULT=STAGE:ACTION`` is read by the tests only: it kills the process
(``kill``) or fails the write (``fail``) at one stage of it (:data:`STAGES`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from lintnn.static.engine.cache import digest

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

TEMP_SUFFIX = ".lintnn-tmp"
JOURNAL_SUFFIX = ".lintnn-journal"
FAULT_ENV = "LINTNN_TEST_WRITE_FAULT"
STAGES = ("temp-written", "temp-synced", "renamed",  # replacement
          "journal-written", "half-written", "written")  # in place
STALE_AGE = 3600.0  # seconds, where there are no locks
# mkstemp's names: a dot, the target's name, a dot, 8 characters, our suffix.
_LEFTOVER = re.compile(r"^\.(?P<name>.+)\.[a-z0-9_]{8}(?P<suffix>\.lintnn-(?:tmp|journal))$")


class ChangedOnDisk(Exception):
    """The file was modified by someone else between our read and our write."""


class NotWritten(Exception):
    """A file lintnn will not write (read-only, no longer a regular file)."""


def write_fixed(path: Path, data: bytes, expected_digest: str | None) -> None:
    """Write ``data`` to ``path`` (through a symlink) unless it changed since it was read
    (``expected_digest``); the file keeps its mode, owner, group and links."""
    target = path.resolve()
    try:
        info = os.stat(target)
    except FileNotFoundError:
        raise NotWritten("it was deleted") from None
    if not stat.S_ISREG(info.st_mode):
        raise NotWritten("it is no longer a regular file")
    if not writable(target, info):
        raise NotWritten("it is read-only")
    if info.st_nlink > 1 or not _can_give(info):
        _write_in_place(target, data, expected_digest)
    else:
        _replace(target, data, expected_digest, info)


def writable(path: Path, info: os.stat_result) -> bool:
    """Writable by this user, and not marked read-only: root may write a file whose
    write bits are all off, but its owner said it is not to be changed."""
    return bool(info.st_mode & 0o222) and os.access(path, os.W_OK)


def _can_give(info: os.stat_result) -> bool:
    """Whether a new file can be given the owner and group of ``info``."""
    if not hasattr(os, "geteuid"):  # pragma: no cover - Windows: no owners to keep
        return True
    if os.geteuid() == 0:
        return True
    return info.st_uid == os.geteuid() and (
        info.st_gid == os.getegid() or info.st_gid in os.getgroups())


def _replace(target: Path, data: bytes, expected_digest: str | None,
             info: os.stat_result) -> None:
    fd, temporary = _temporary(target, TEMP_SUFFIX)
    try:
        _write_all(fd, data)
        _fault("temp-written")
        os.fsync(fd)
        _fault("temp-synced")
        if hasattr(os, "fchown") and (info.st_uid, info.st_gid) != (
                os.geteuid(), os.getegid()):
            os.fchown(fd, info.st_uid, info.st_gid)  # before the mode: chown clears setuid
        os.chmod(temporary, stat.S_IMODE(info.st_mode))
        _check_unchanged(target.read_bytes(), expected_digest)
        os.replace(temporary, target)
        _fault("renamed")
        _sync_directory(target.parent)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    finally:
        os.close(fd)


def _write_in_place(target: Path, data: bytes, expected_digest: str | None) -> None:
    with open(target, "r+b") as handle:
        original = handle.read()
        _check_unchanged(original, expected_digest)
        fd, journal = _temporary(target, JOURNAL_SUFFIX)
        started = False
        try:
            header = json.dumps({"name": target.name, "original": len(original)})
            _write_all(fd, header.encode() + b"\n" + original + data)
            os.fsync(fd)
            _fault("journal-written")
            started = True
            _overwrite(handle, data, fault_halfway=True)
            _fault("written")
        except BaseException:
            try:
                if started:  # failed, not killed: undo it now
                    _overwrite(handle, original)
                os.unlink(journal)
            except OSError:
                pass  # the journal stays: the next run restores the original
            raise
        finally:
            os.close(fd)
        os.unlink(journal)


def _overwrite(handle, data: bytes, fault_halfway: bool = False) -> None:
    handle.seek(0)
    half = len(data) // 2
    handle.write(data[:half])
    handle.flush()
    if fault_halfway:
        _fault("half-written")
    handle.write(data[half:])
    handle.truncate()
    handle.flush()
    os.fsync(handle.fileno())


def _check_unchanged(current: bytes, expected_digest: str | None) -> None:
    if expected_digest is not None and digest(current) != expected_digest:
        raise ChangedOnDisk("the file changed on disk while it was being fixed")


def _temporary(target: Path, suffix: str) -> tuple[int, str]:
    """A new file next to ``target``, locked while this process holds it open."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=suffix)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd, name


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[: 1 << 16])
        view = view[written:]


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fault(stage: str) -> None:
    """The tests' fault-injection point (see the module's docstring)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted or wanted.partition(":")[0] != stage:
        return
    if wanted.partition(":")[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    raise OSError(f"fault injected at {stage}")


# Leftovers of a killed run ------------------------------------------------------------

def is_leftover(name: str) -> bool:
    return _LEFTOVER.match(name) is not None


def leftovers(directory: Path, names: Iterable[str] | None = None) -> Iterator[Path]:
    """Our temporary files and journals in ``directory`` (for ``names`` only, if given)."""
    wanted = set(names) if names is not None else None
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        match = _LEFTOVER.match(entry.name)
        if match and (wanted is None or match["name"] in wanted):
            yield Path(entry.path)


def clean_up(leftover: Path) -> str | None:
    """Remove a stale temporary file, or end a journal; what was done, for the user."""
    match = _LEFTOVER.match(leftover.name)
    if match is None:
        return None
    try:
        info = os.lstat(leftover)
        if not stat.S_ISREG(info.st_mode) or (
                hasattr(os, "geteuid") and info.st_uid != os.geteuid()):
            return None  # not a file this user's lintnn made
        with open(leftover, "rb") as handle:
            if not _unlocked(handle.fileno(), info):
                return None  # a running lintnn is writing it
            if match["suffix"] == TEMP_SUFFIX:
                os.unlink(leftover)
                return "removed a temporary file left by an interrupted --fix"
            return _end_journal(leftover, handle.read(), match["name"])
    except OSError:
        return None


def _unlocked(fd: int, info: os.stat_result) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return time.time() - info.st_mtime > STALE_AGE
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _end_journal(journal: Path, content: bytes, name: str) -> str | None:
    header, _, body = content.partition(b"\n")
    try:
        meta = json.loads(header)
        size = int(meta["original"])
    except (ValueError, KeyError, TypeError):
        return None
    if meta.get("name") != name or not 0 <= size <= len(body):
        return None
    original, fixed = body[:size], body[size:]
    target = journal.parent / name
    try:
        current = target.read_bytes()
    except FileNotFoundError:
        os.unlink(journal)
        return "removed the journal of an interrupted --fix (its file is gone)"
    if current in (original, fixed):
        os.unlink(journal)
        return "removed the journal of an interrupted --fix (the file was whole)"
    if not _half_written(current, original, fixed):
        return (f"an interrupted --fix left {journal.name}, and {name} has changed since: "
                "left as it is (the journal holds its original and fixed bytes)")
    with open(target, "r+b") as handle:
        _overwrite(handle, original)
    os.unlink(journal)
    return "restored the original of a file an interrupted --fix left half-written"


def _half_written(current: bytes, original: bytes, fixed: bytes) -> bool:
    """Whether ``current`` is ``fixed[:k] + original[k:]`` for some k: an in-place write
    stopped after k bytes (before the truncation, when the fix is shorter)."""
    if len(current) > len(original):
        return fixed.startswith(current)
    if len(current) < len(original):
        return False
    prefix = next((i for i, (a, b) in enumerate(zip(current, fixed, strict=False)) if a != b),
                  min(len(current), len(fixed)))
    return current[prefix:] == original[prefix:]
