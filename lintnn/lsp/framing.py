"""The server's input: ``Content-Length`` frames, read so that one bad frame costs one message.

pygls reads a header line by line and then exactly the announced number of bytes. One
wrong ``Content-Length`` (10 bytes short, ``abc``) leaves it reading the rest of a body as
header lines, and since a JSON body ends without a newline, every later header is glued to
the body before it: the stream never recovers. A huge ``Content-Length`` makes it allocate
that much at once. Here:

- a body that is not JSON (its ``Content-Length`` was wrong) is dropped and reading goes
  on at the next header, found by its text (``Content-Length:`` followed by a line end can
  never occur inside a JSON body: raw line ends are not allowed in JSON strings);
- a header whose ``Content-Length`` is missing or not a number, or larger than
  :data:`MAX_MESSAGE_BYTES`, is dropped with its body, which is skipped, never stored, up
  to the next header;
- every drop is reported (:class:`Dropped`), with the id of the request it held where that
  can be read, so that the request gets an error answer instead of none.

:class:`FrameReader` does no I/O: the server feeds it what stdin gives, the tests whatever
they like.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_MESSAGE_BYTES = 64 * 1024 * 1024  # a 20 MB document is a 20-40 MB message
MAX_HEADER_BYTES = 64 * 1024
_KEPT_FOR_ID = 64 * 1024  # of a dropped body: enough to find its id and method

_HEADER_START = re.compile(rb"Content-(?:Length|Type)[ \t]*:", re.IGNORECASE)
_LONGEST_START = len(b"Content-Length \t:")
_HEADER_END = b"\r\n\r\n"
_TOO_LARGE = "a message larger than the server accepts"
_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(.*?)[ \t]*$", re.IGNORECASE | re.MULTILINE)


@dataclass(frozen=True)
class Message:
    """A decoded body."""

    value: Any


@dataclass(frozen=True)
class Undecodable:
    """A body that is JSON but that ``decode`` refused (not a framing error)."""

    error: Exception


@dataclass(frozen=True)
class Dropped:
    """Bytes that could not be read as a message, skipped up to the next header."""

    size: int
    reason: str
    request_id: int | str | None = None
    too_large: bool = False  # refused for its size, not unreadable


Event = Message | Undecodable | Dropped


class FrameReader:
    """Turns chunks of the input stream into messages and reports what it skips."""

    def __init__(self, decode: Callable[[bytes], Any] = json.loads,
                 max_body: int = MAX_MESSAGE_BYTES) -> None:
        self.decode = decode
        self.max_body = max_body
        self._buffer = bytearray()
        self._length: int | None = None  # the body being read, after its header
        self._skipping: str | None = None  # why the bytes up to the next header are dropped
        self._dropped = 0
        self._dropped_head = bytearray()
        self._reported = False  # part of what is being skipped was reported already

    def feed(self, data: bytes) -> list[Event]:
        """The events ``data`` completes, in order. What is being skipped is reported at
        once (a request waiting for its error answer must not wait for the next message);
        more of it, arriving later, is reported when the next header comes."""
        self._buffer += data
        events: list[Event] = []
        while True:
            if self._skipping is not None and not self._skip(events):
                if self._dropped and not self._reported and _scan(self._dropped_head)[2]:
                    self._flush(events, done=False)  # a whole object is dropped so far
                return events
            if self._length is None and not self._read_header(events):
                return events
            if self._length is not None and not self._read_body(events):
                return events

    def end(self) -> list[Event]:
        """The input ended: whatever is left was not a message."""
        events: list[Event] = []
        if self._buffer.strip() or self._length is not None:
            self._skipping = self._skipping or (
                "the input ended inside a message" if self._length is not None
                else "bytes outside any message")
            self._dropped_bytes(bytes(self._buffer))
        self._buffer.clear()
        if self._skipping is not None:
            self._flush(events)
        self._length = None
        return events

    # States ---------------------------------------------------------------------------

    def _skip(self, events: list[Event]) -> bool:
        """Drop bytes up to the next header; False when more input is needed."""
        found = _HEADER_START.search(self._buffer)
        if found is None:
            cut = len(self._buffer) - _header_prefix_size(self._buffer)  # may straddle chunks
            self._dropped_bytes(bytes(self._buffer[:cut]))
            del self._buffer[:cut]
            return False
        self._dropped_bytes(bytes(self._buffer[:found.start()]))
        del self._buffer[:found.start()]
        self._flush(events)
        return True

    def _read_header(self, events: list[Event]) -> bool:
        blank = len(self._buffer) - len(self._buffer.lstrip(b" \t\r\n"))
        del self._buffer[:blank]  # blank lines between messages are harmless
        if not self._buffer:
            return False
        if _HEADER_START.match(self._buffer) is None:
            if _may_start_header(self._buffer):
                return False  # the rest of the header name is still to come
            self._skipping = "bytes outside any message"  # dropped up to the next header
            return True
        end = self._buffer.find(_HEADER_END)
        if end < 0:
            if len(self._buffer) > MAX_HEADER_BYTES:
                self._skipping = f"a header longer than {MAX_HEADER_BYTES} bytes"
                self._dropped_bytes(bytes(self._buffer[:1]))
                del self._buffer[:1]
                return True
            return False
        header = bytes(self._buffer[:end])
        del self._buffer[:end + len(_HEADER_END)]
        value = _LENGTH.search(header)
        text = value.group(1).decode("ascii", "replace") if value else None
        self._dropped = 0  # counted from the header on, should the message be dropped
        self._dropped_head.clear()
        self._dropped_bytes(header + _HEADER_END)
        if text is None or not text.isdigit() or not text.isascii():
            self._skipping = ("a header without Content-Length" if text is None
                              else f"an invalid Content-Length: {text[:40]!r}")
        elif int(text) > self.max_body:
            self._skipping = (f"{_TOO_LARGE} ({int(text):,} bytes; the bound is "
                              f"{self.max_body:,})")
        else:
            self._length = int(text)
        return True

    def _read_body(self, events: list[Event]) -> bool:
        assert self._length is not None
        if len(self._buffer) < self._length:
            return False
        body = bytes(self._buffer[:self._length])
        del self._buffer[:self._length]
        self._length = None
        try:
            value = self.decode(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
            self._resync(body, error)
            return True
        except Exception as error:  # the protocol's own error, reported as such
            events.append(Undecodable(error))
        else:
            events.append(Message(value))
        self._dropped = 0
        self._dropped_head.clear()
        return True

    def _resync(self, body: bytes, error: Exception) -> None:
        """The body was not a message: its Content-Length was wrong. Read on at the next
        header, inside this body (it was too long) or after it (too short)."""
        reason = "a body that is not JSON (wrong Content-Length?)"
        if isinstance(error, json.JSONDecodeError):
            reason = f"a body that is not JSON ({error.msg}; wrong Content-Length?)"
        self._skipping = reason
        found = _HEADER_START.search(body, 1)
        # Without a header inside, its last bytes may still begin the next one.
        keep = found.start() if found is not None else len(body) - _header_prefix_size(body)
        self._buffer[:0] = body[keep:]
        self._dropped_bytes(body[:keep])

    # Reporting ------------------------------------------------------------------------

    def _dropped_bytes(self, data: bytes) -> None:
        self._dropped += len(data)
        room = _KEPT_FOR_ID - len(self._dropped_head)
        if room > 0:
            self._dropped_head += data[:room]

    def _flush(self, events: list[Event], done: bool = True) -> None:
        """Report the bytes dropped so far; ``done``: the next header was found."""
        assert self._skipping is not None
        if self._dropped:
            reason = self._skipping + (" (continued)" if self._reported else "")
            request = None if self._reported else request_id(self._dropped_head)
            events.append(Dropped(self._dropped, reason, request,
                                  self._skipping.startswith(_TOO_LARGE)))
        self._reported = not done
        if done:
            self._skipping = None
        self._dropped = 0
        self._dropped_head.clear()


def _header_prefix_size(data: bytes | bytearray) -> int:
    """The size of the longest end of ``data`` that may begin a header."""
    for size in range(min(len(data), _LONGEST_START - 1), 0, -1):
        if _may_start_header(data[len(data) - size:]):
            return size
    return 0


def _may_start_header(data: bytes | bytearray) -> bool:
    """Whether ``data`` is the beginning of a header name, cut by the end of a chunk."""
    head = bytes(data[:_LONGEST_START]).lower()
    if len(head) >= _LONGEST_START:
        return False
    name = head.rstrip(b" \t")
    return any(full.startswith(name) and (name == full or head == name)
               for full in (b"content-length", b"content-type"))


_ID_VALUE = re.compile(rb'\s*:\s*(-?\d+(?![\d.eE])|"(?:[^"\\]|\\.)*")')


def request_id(data: bytes | bytearray) -> int | str | None:
    """The id of the request in ``data`` (a header and a body, maybe cut short), or None:
    the ``"id"`` of the top-level object, where that object also has a ``"method"``."""
    found_id, has_method, _closed = _scan(data)
    return found_id if has_method else None


def _scan(data: bytes | bytearray) -> tuple[int | str | None, bool, bool]:
    """(``"id"``, whether there is a ``"method"``, whether the object ended) of the first
    top-level object in ``data``; strings are skipped with their escapes."""
    start = data.find(b"{")
    if start < 0:
        return None, False, False
    found_id: int | str | None = None
    has_method = False
    depth, index, size = 0, start, len(data)
    while index < size:
        byte = data[index]
        if byte == 0x22:  # a string: a key when at depth 1 and followed by ':'
            end = index + 1
            while end < size and data[end] != 0x22:
                end += 2 if data[end] == 0x5C else 1
            if end >= size:
                break
            if depth == 1:
                key = bytes(data[index + 1:end])
                value = _ID_VALUE.match(data, end + 1)
                if key == b"method" and value is not None:
                    has_method = True
                elif key == b"id" and value is not None:
                    found_id = json.loads(value.group(1))
            index = end + 1
            continue
        if byte in b"{[":
            depth += 1
        elif byte in b"}]":
            depth -= 1
            if depth == 0:
                return found_id, has_method, True
        index += 1
    return found_id, has_method, False
