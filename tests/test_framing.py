"""The server's input framing: a wrong Content-Length costs one message, never the stream."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from lintnn.lsp.framing import Dropped, FrameReader, Message, Undecodable, request_id


def frame(message: dict, delta: int = 0, length: bytes | None = None) -> bytes:
    body = json.dumps(message).encode()
    declared = length if length is not None else b"%d" % (len(body) + delta)
    return b"Content-Length: " + declared + b"\r\n\r\n" + body


def request(n: int, method: str = "textDocument/codeAction") -> dict:
    return {"jsonrpc": "2.0", "id": n, "method": method, "params": {"x": "é" * n}}


def notification(n: int) -> dict:
    return {"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"n": n}}


def read(stream: bytes, cuts: list[int] = (), **kwargs) -> list:
    reader = FrameReader(**kwargs)
    events, last = [], 0
    for cut in sorted(cuts):
        events += reader.feed(stream[last:cut])
        last = cut
    return events + reader.feed(stream[last:]) + reader.end()


def values(events: list) -> list:
    return [e.value for e in events if isinstance(e, Message)]


def test_well_formed_messages_pass_with_any_header_order_and_case() -> None:
    body = json.dumps(notification(1)).encode()
    stream = (frame(request(1))
              + b"content-type: application/vscode-jsonrpc; charset=utf-8\r\n"
              + b"CONTENT-LENGTH:%d\r\n\r\n" % len(body) + body + b"\r\n"
              + frame(notification(2)))
    assert values(read(stream)) == [request(1), notification(1), notification(2)]


def test_a_body_ten_bytes_longer_than_its_header_says_costs_only_that_message() -> None:
    stream = frame(request(1)) + frame(request(2), delta=-10) + frame(notification(3))
    events = read(stream)
    assert values(events) == [request(1), notification(3)]
    (dropped,) = [e for e in events if isinstance(e, Dropped)]
    assert dropped.request_id == 2 and not dropped.too_large
    assert dropped.size == len(frame(request(2), delta=-10))
    assert "wrong Content-Length" in dropped.reason


def test_a_body_shorter_than_its_header_says_costs_only_that_message() -> None:
    stream = frame(request(1), delta=10) + frame(request(2)) + frame(notification(3))
    events = read(stream)
    assert values(events) == [request(2), notification(3)]
    assert [e.request_id for e in events if isinstance(e, Dropped)] == [1]


def test_a_content_length_that_is_not_a_number_drops_its_message_only() -> None:
    stream = frame(request(7), length=b"abc") + frame(notification(8))
    events = read(stream)
    assert values(events) == [notification(8)]
    (dropped,) = [e for e in events if isinstance(e, Dropped)]
    assert dropped.request_id == 7 and "invalid Content-Length: 'abc'" in dropped.reason


def test_a_huge_content_length_is_refused_without_reading_it_into_memory() -> None:
    stream = frame(request(5), length=b"99999999999") + frame(notification(6))
    events = read(stream, max_body=1000)
    assert values(events) == [notification(6)]
    (dropped,) = [e for e in events if isinstance(e, Dropped)]
    assert dropped.too_large and dropped.request_id == 5
    reader = FrameReader(max_body=1000)  # a body really that large: skipped, not stored
    reader.feed(b"Content-Length: 5000000\r\n\r\n")
    for _ in range(50):
        assert reader.feed(b'"' + b"x" * 100_000 + b'"') == []
    assert len(reader._buffer) < 100
    assert values(reader.feed(frame(notification(9)))) == [notification(9)]


def test_garbage_between_messages_is_dropped_and_reported() -> None:
    stream = frame(notification(1)) + b"hello there\n" + frame(notification(2))
    events = read(stream)
    assert values(events) == [notification(1), notification(2)]
    assert [(e.size, e.reason) for e in events if isinstance(e, Dropped)] == [
        (12, "bytes outside any message")]


def test_the_protocols_own_decode_error_is_not_a_framing_error() -> None:
    def decode(body: bytes) -> object:
        value = json.loads(body)
        if value.get("id") == 2:
            raise KeyError("bad params")
        return value

    events = read(frame(request(1)) + frame(request(2)) + frame(request(3)), decode=decode)
    assert values(events) == [request(1), request(3)]
    assert [type(e.error) for e in events if isinstance(e, Undecodable)] == [KeyError]


def test_request_id_reads_the_top_level_id_of_a_request_only() -> None:
    assert request_id(b'{"jsonrpc": "2.0", "id": 12, "method": "x"') == 12
    assert request_id(b'{"method": "x", "params": {"id": 3}, "id": "a\\"b"}') == 'a"b'
    assert request_id(b'{"method": "x", "params": {"id": 3}}') is None  # a notification
    assert request_id(b'{"id": 4, "result": null}') is None  # a response
    assert request_id(b'Content-Length: 9\r\n\r\n{"id": 1.5, "method": "m"}') is None


STREAM_PARTS = st.lists(st.one_of(
    st.builds(request, st.integers(0, 50)),
    st.builds(notification, st.integers(0, 50))), min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(STREAM_PARTS, st.lists(st.integers(0, 5000), max_size=10))
def test_any_chunking_gives_the_same_messages(messages: list[dict], cuts: list[int]) -> None:
    stream = b"".join(frame(m) for m in messages)
    events = read(stream, [c % (len(stream) + 1) for c in cuts])
    assert values(events) == messages and len(events) == len(messages)


@settings(max_examples=200, deadline=None)
@given(STREAM_PARTS, st.data())
def test_one_corrupted_header_loses_only_its_own_message(messages: list[dict], data) -> None:
    bad = data.draw(st.integers(0, len(messages) - 1))
    corruption = data.draw(st.sampled_from(
        [{"delta": -10}, {"delta": -1}, {"delta": 7}, {"length": b"abc"}, {"length": b""},
         {"length": b"99999999999"}]))
    stream = b"".join(frame(m, **corruption) if i == bad else frame(m)
                      for i, m in enumerate(messages))
    stream += frame(notification(99))  # a too-long body resyncs on the next message
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=6))
    events = read(stream, cuts, max_body=10**6)
    expected = [m for i, m in enumerate(messages) if i != bad] + [notification(99)]
    assert values(events) == expected
    dropped = [e for e in events if isinstance(e, Dropped)]
    assert dropped[0].request_id == messages[bad].get("id")
    assert [e.request_id for e in dropped[1:]] == [None] * (len(dropped) - 1)
    assert all(e.reason.endswith("(continued)") for e in dropped[1:])
