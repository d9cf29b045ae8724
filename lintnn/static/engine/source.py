"""Reading source files: encoding (PEP 263, BOM), without losing a byte."""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass


class SourceError(Exception):
    """A file that cannot be read or decoded; becomes an NN001 diagnostic."""

    def __init__(self, message: str, row: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.row = row
        self.column = column


@dataclass(frozen=True)
class DecodedSource:
    text: str
    encoding: str  # as detected; "utf-8-sig" when the file starts with a BOM


def decode(data: bytes) -> DecodedSource:
    """Decode Python source bytes the way the interpreter does."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as error:
        if "invalid or missing encoding declaration" in error.msg:
            raise SourceError(
                "file is not valid UTF-8 and declares no other encoding (PEP 263)"
            ) from None
        raise SourceError(f"cannot determine the file's encoding: {error.msg}") from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        row = data[: getattr(error, "start", 0)].count(b"\n") + 1
        raise SourceError(f"file is not valid {encoding}: {error}", row) from None
    return DecodedSource(text, encoding)


def encode(text: str, encoding: str) -> bytes:
    """Inverse of :func:`decode` (a BOM read is a BOM written)."""
    return text.encode(encoding)
