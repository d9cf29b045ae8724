"""A file's bytes to its findings, by kind: a notebook, or Python source.

Reading is bounded: only regular files are read (a FIFO named ``x.py`` would block the
run forever, a ``.py`` symlink to ``/dev/zero`` would be read until memory runs out), and
at most :data:`READ_LIMIT_FACTOR` times ``max-file-size`` bytes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lintnn.config import DEFAULT_MAX_FILE_SIZE
from lintnn.static.engine.analyze import FileResult, analyze_text, error_diagnostic
from lintnn.static.engine.notebook import analyze_notebook
from lintnn.static.engine.source import SourceError, decode
from lintnn.static.rules.base import Rule

# Files up to this many times max-file-size are still syntax-checked (``ast`` needs far
# less memory than libcst); larger ones are not read at all.
READ_LIMIT_FACTOR = 10
IO_ERROR = ("NN003", "io-error")
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class TooLargeToRead(Exception):
    """A regular file above the read limit: reported as skipped, not as a finding."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{_size(size)}, above the read limit ({_size(limit)}, "
                         f"{READ_LIMIT_FACTOR} x max-file-size): not read, not checked")


def _size(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e6 else f"{count:,} bytes"


def read_limit(max_size: int) -> int:
    return READ_LIMIT_FACTOR * max_size


def read_source(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at ``path`` (symlinks followed).

    Raises :class:`OSError` (with a message for the user) for anything else, and
    :class:`TooLargeToRead` above ``limit`` bytes.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)  # non-blocking: opening a FIFO with no writer returns at once
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise OSError(0, f"it is {kind}, not a regular file")
        chunks, size = [], 0
        while True:  # to the end, not to the size stat gave: the file may be growing
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            size += len(chunk)
            if size > limit:
                raise TooLargeToRead(max(size, os.fstat(fd).st_size), limit)
            chunks.append(chunk)
    finally:
        os.close(fd)


def read_error(path: str, error: OSError) -> FileResult:
    """The NN003 finding of a file that cannot be read."""
    reason = error.strerror or str(error)
    return FileResult(path, [error_diagnostic(path, f"cannot read {Path(path).name}: {reason}",
                                              code=IO_ERROR[0], rule=IO_ERROR[1])])


def analyze_path(path: Path, rules: list[Rule], max_size: int = DEFAULT_MAX_FILE_SIZE,
                 gated: bool = True, defer_summary: bool = False,
                 from_ast: bool | None = None) -> tuple[bytes | None, FileResult]:
    """(the bytes read, or None, and the result) of the file at ``path`` (``gated``,
    ``defer_summary``, ``from_ast``: as for :func:`analyze_bytes`)."""
    try:
        data = read_source(path, read_limit(max_size))
    except OSError as error:
        return None, read_error(str(path), error)
    except TooLargeToRead as error:
        return None, FileResult(str(path), skipped=str(error))
    return data, analyze_bytes(path, data, rules, max_size, gated, defer_summary, from_ast)


def analyze_bytes(path: Path, data: bytes, rules: list[Rule],
                  max_size: int = DEFAULT_MAX_FILE_SIZE, gated: bool = True,
                  defer_summary: bool = False, from_ast: bool | None = None) -> FileResult:
    """Decode, parse and check one file's bytes (``gated``, ``defer_summary``,
    ``from_ast``: as for :func:`~lintnn.static.engine.analyze.analyze_text`, ``from_ast``
    as ``gated`` unless given; not for notebooks)."""
    if path.suffix == ".ipynb":
        return analyze_notebook(path, data, rules, max_size)
    name = str(path)
    try:
        decoded = decode(data)
    except SourceError as error:
        return FileResult(name, [error_diagnostic(name, str(error), error.row, error.column)])
    return analyze_text(path, decoded.text, rules, encoding=decoded.encoding, max_size=max_size,
                        gated=gated, defer_summary=defer_summary,
                        from_ast=gated if from_ast is None else from_ast)
