"""The SSE reader against a vector table built from the WHATWG rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation).

Every vector is read whole, split in two at every byte boundary, and one byte at a time: the
events, the last event id and the retry value must come out the same each way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from infer.client.sse_reader import SSEFormatError, SSEMessage, SSEReader


@dataclass(frozen=True)
class Vector:
    name: str
    stream: bytes
    events: list[tuple[str, str, str]]  # (type, data, last_event_id)
    retry: int | None = None
    last_id: str | None = None  # the reader's last event id at the end (default: the last event's)
    kwargs: dict[str, Any] = field(default_factory=dict)


M = "message"
VECTORS = [
    # line endings
    Vector("lf", b"data: a\n\n", [(M, "a", "")]),
    Vector("crlf", b"data: a\r\n\r\n", [(M, "a", "")]),
    Vector("cr", b"data: a\r\r", [(M, "a", "")]),
    Vector("mixed endings", b"data: a\rdata: b\ndata: c\r\n\r\n", [(M, "a\nb\nc", "")]),
    Vector("cr then lf is one ending", b"data: a\r\n\ndata: b\r\r", [(M, "a", ""), (M, "b", "")]),
    Vector("lf cr is two endings", b"data: a\n\rdata: b\n\n", [(M, "a", ""), (M, "b", "")]),
    Vector("cr-only final event", b"data: 1\r\rdata: 2\r\r", [(M, "1", ""), (M, "2", "")]),
    # BOM
    Vector("leading bom dropped", b"\xef\xbb\xbfdata: a\n\n", [(M, "a", "")]),
    Vector("second bom kept", b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\ndata: b\n\n", [(M, "b", "")]),
    Vector("bom mid-stream is data", b"data: \xef\xbb\xbfa\n\n", [(M, "\ufeffa", "")]),
    # data
    Vector("multi-line data", b"data: a\ndata: b\n\n", [(M, "a\nb", "")]),
    Vector("empty data dispatches", b"data\n\n", [(M, "", "")]),
    Vector("data colon empty", b"data:\n\n", [(M, "", "")]),
    Vector("two empty data lines", b"data\ndata\n\n", [(M, "\n", "")]),
    Vector("only one space stripped", b"data:  a \n\n", [(M, " a ", "")]),
    Vector("no space after colon", b"data:a\n\n", [(M, "a", "")]),
    Vector("colon in value", b"data: a: b\n\n", [(M, "a: b", "")]),
    Vector("tab not stripped", b"data:\ta\n\n", [(M, "\ta", "")]),
    Vector("no data no event", b"event: x\n\n", []),
    Vector("blank lines alone", b"\n\n\n\n", []),
    Vector("data with nul", b"data: a\x00b\n\n", [(M, "a\x00b", "")]),
    # event types
    Vector("named event", b"event: add\ndata: 1\n\n", [("add", "1", "")]),
    Vector("empty event name is message", b"event:\ndata: 1\n\n", [(M, "1", "")]),
    Vector(
        "event type resets", b"event: a\ndata: 1\n\ndata: 2\n\n", [("a", "1", ""), (M, "2", "")]
    ),
    Vector("last event line wins", b"event: a\nevent: b\ndata: 1\n\n", [("b", "1", "")]),
    Vector("field name is case-sensitive", b"Data: x\nDATA: y\ndata: z\n\n", [(M, "z", "")]),
    Vector("field with space before colon", b"data : x\ndata: y\n\n", [(M, "y", "")]),
    # comments and unknown fields
    Vector("comment ignored", b": hi\ndata: a\n\n", [(M, "a", "")]),
    Vector("comment only block", b": ping\n\n", []),
    Vector("colon-only line", b":\ndata: a\n\n", [(M, "a", "")]),
    Vector("unknown field", b"foo: bar\ndata: a\n\n", [(M, "a", "")]),
    Vector("field without colon", b"data\nfoo\n\n", [(M, "", "")]),
    # ids
    Vector("id is a string", b"id: 007\ndata: a\n\n", [(M, "a", "007")]),
    Vector("id not a number", b"id: abc:5\ndata: a\n\n", [(M, "a", "abc:5")]),
    Vector("id persists", b"id: 1\ndata: a\n\ndata: b\n\n", [(M, "a", "1"), (M, "b", "1")]),
    Vector("empty id resets", b"id: 1\ndata: a\n\nid\ndata: b\n\n", [(M, "a", "1"), (M, "b", "")]),
    Vector(
        "id with nul ignored",
        b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n",
        [(M, "a", "1"), (M, "b", "1")],
    ),
    Vector("id without data still counts", b"id: 5\n\n", [], last_id="5"),
    Vector("id after data in block", b"data: a\nid: 9\n\n", [(M, "a", "9")]),
    Vector(
        "id of dropped final event",
        b"id: 1\ndata: a\n\nid: 2\ndata: b",
        [(M, "a", "1")],
        last_id="1",
    ),
    Vector("id keeps spaces", b"id:  x \ndata: a\n\n", [(M, "a", " x ")]),
    Vector("unicode id", b"id: \xc2\xb2\ndata: a\n\n", [(M, "a", "²")]),
    # retry
    Vector("retry digits", b"retry: 1500\n\n", [], retry=1500, last_id=""),
    Vector("retry negative ignored", b"retry: -1\n\n", [], retry=None, last_id=""),
    Vector("retry with space ignored", b"retry: 1 0\n\n", [], retry=None, last_id=""),
    Vector("retry decimal ignored", b"retry: 1.5\n\n", [], retry=None, last_id=""),
    Vector("retry empty ignored", b"retry:\n\n", [], retry=None, last_id=""),
    Vector("retry unicode digits ignored", b"retry: \xd9\xa3\n\n", [], retry=None, last_id=""),
    Vector("retry capped", b"retry: 99999999999999999999999\n\n", [], retry=60_000, last_id=""),
    Vector("retry zero", b"retry: 0\n\n", [], retry=0, last_id=""),
    Vector(
        "retry later value wins", b"retry: 10\nretry: x\nretry: 20\n\n", [], retry=20, last_id=""
    ),
    Vector("retry in event block", b"retry: 7\ndata: a\n\n", [(M, "a", "")], retry=7),
    # incomplete final event and truncation
    Vector("final event without blank line dropped", b"data: a\n\ndata: b\n", [(M, "a", "")]),
    Vector("final line without ending dropped", b"data: a\n\ndata: b", [(M, "a", "")]),
    Vector("empty stream", b"", [], last_id=""),
    # UTF-8
    Vector("utf-8 multibyte", "data: é😀中\n\n".encode(), [(M, "é😀中", "")]),
    Vector("invalid byte replaced", b"data: a\xffb\n\n", [(M, "a\ufffdb", "")]),
    Vector("truncated sequence replaced", b"data: \xf0\x9f\x98\n\n", [(M, "\ufffd", "")]),
    Vector("overlong encoding replaced", b"data: \xc0\xaf\n\n", [(M, "\ufffd\ufffd", "")]),
    Vector("surrogate replaced", b"data: \xed\xa0\x80\n\n", [(M, "\ufffd\ufffd\ufffd", "")]),
    Vector("lone continuation replaced", b"data: \x80x\n\n", [(M, "\ufffdx", "")]),
    Vector("invalid before newline", b"data: \xe2\x82\n\n", [(M, "\ufffd", "")]),
    Vector("partial bom then text", b"\xef\xbbdata: a\n\ndata: b\n\n", [(M, "b", "")]),
    # a full realistic stream
    Vector(
        "infer serve stream",
        b'retry: 3000\nid: s1:0\n\nid: s1:1\ndata: {"OUT":"a"}\n\n: ping\n\n'
        b'id: s1:2\nevent: done\ndata: {"events":1}\n\n',
        [(M, '{"OUT":"a"}', "s1:1"), ("done", '{"events":1}', "s1:2")],
        retry=3000,
    ),
]


def _read(vector: Vector, pieces: list[bytes]) -> tuple[list[tuple[str, str, str]], SSEReader]:
    reader = SSEReader(**vector.kwargs)
    out: list[SSEMessage] = []
    for piece in pieces:
        out += reader.feed(piece)
    out += reader.close()
    return [(m.type, m.data, m.last_event_id) for m in out], reader


def _splits(stream: bytes) -> list[list[bytes]]:
    ways = [[stream], [stream[i : i + 1] for i in range(len(stream))]]
    ways += [[stream[:cut], stream[cut:]] for cut in range(1, len(stream))]
    ways.append([b"", stream, b""])  # empty reads change nothing
    return ways


@pytest.mark.parametrize("vector", VECTORS, ids=[v.name for v in VECTORS])
def test_vector_gives_the_same_events_however_the_bytes_are_split(vector: Vector) -> None:
    expected_id = vector.last_id
    if expected_id is None:
        expected_id = vector.events[-1][2] if vector.events else ""
    for pieces in _splits(vector.stream):
        events, reader = _read(vector, pieces)
        assert events == vector.events, pieces
        assert reader.retry_ms == vector.retry, pieces
        assert reader.last_event_id == expected_id, pieces


def test_cr_at_end_of_a_read_then_lf_is_one_line_ending_across_empty_reads() -> None:
    reader = SSEReader()
    assert reader.feed(b"data: a\r") == []
    assert reader.feed(b"") == []
    assert reader.feed(b"\n") == []  # not a blank line: the LF belongs to the CR
    assert [m.data for m in reader.feed(b"\n")] == ["a"]


def test_events_come_out_as_soon_as_their_blank_line_arrives() -> None:
    reader = SSEReader()
    assert reader.feed(b"data: a\n") == []
    assert [m.data for m in reader.feed(b"\ndata: b")] == ["a"]


def test_oversized_event_is_an_error_not_memory_growth() -> None:
    reader = SSEReader(max_event_chars=100)
    reader.feed(b"data: " + b"x" * 50 + b"\n")
    with pytest.raises(SSEFormatError, match="larger than 100 characters"):
        reader.feed(b"data: " + b"x" * 60 + b"\n")
    with pytest.raises(SSEFormatError):
        SSEReader(max_event_chars=100).feed(b"x" * 101)


def test_initial_last_event_id_is_kept_until_the_server_sets_one() -> None:
    reader = SSEReader(last_event_id="s:4")
    assert reader.feed(b"data: a\n\n")[0].last_event_id == "s:4"
    reader.feed(b"id: s:5\n\n")
    assert reader.last_event_id == "s:5"
