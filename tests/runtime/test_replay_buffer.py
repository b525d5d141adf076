"""The replay buffer (runtime/server/sse/streams.py) directly: ids count from 1, a resume gets
exactly the events after its id, the terminal event takes the next number, the buffer trims at
its bound and a reader that lost events is told so. Every failure names the ids expected and the
ids replayed, so an off-by-one reads as one."""

from __future__ import annotations

import asyncio
import json
from collections.abc import MutableMapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infer.runtime.server.sse.response import SSEResponse
from infer.runtime.server.sse.streams import EventsLostError, Stream
from tests.servers import SSEEvent, parse_sse

STREAM_ID = "5eed"


def stream_with(events: int, capacity: int = 64, *, ended: bool = False) -> Stream:
    """A stream holding ``events`` model events (payload {"n": i}), ended with `done` or not."""
    stream = Stream(STREAM_ID, capacity)
    for number in range(1, events + 1):
        stream.push_event(b'{"n": %d}' % number)
    if ended:
        stream.finish("done", {})
    return stream


def ids(chunk: bytes) -> list[int]:
    """The sequence numbers of the events in ``chunk`` (notices without an id left out)."""
    events, _ = parse_sse(chunk)
    return [event.seq for event in events if event.id is not None]


def read(stream: Stream, after: int) -> tuple[bytes, int]:
    """``stream.read_from(after)``, where losing events would be the bug under test."""
    try:
        return stream.read_from(after)
    except EventsLostError as error:
        raise AssertionError(
            f"replay after id {after} raised EventsLostError({str(error)!r}) although the "
            f"buffer keeps ids {stream.first_kept_id}..{stream.last_id}"
        ) from error


def replayed(stream: Stream, after: int) -> list[int]:
    """The ids ``read_from(after)`` returns, checking the cursor it hands back matches them."""
    chunk, cursor = read(stream, after)
    got = ids(chunk)
    assert cursor == (got[-1] if got else after), (
        f"replay after id {after} returned ids {got} but moved the cursor to {cursor}"
    )
    return got


def assert_replay(stream: Stream, after: int, expected: list[int]) -> None:
    """read_from(after) returns exactly ``expected``; the message names both lists."""
    got = replayed(stream, after)
    assert got == expected, (
        f"replay after id {after} returned ids {got}; expected {expected} "
        f"(buffer keeps ids {stream.first_kept_id}..{stream.last_id})"
    )


def test_ids_count_from_1_with_the_stream_id_in_front() -> None:
    stream = stream_with(3)
    chunk, _ = read(stream, 0)
    events, _ = parse_sse(chunk)
    assert [event.id for event in events] == ["5eed:1", "5eed:2", "5eed:3"], chunk
    assert [json.loads(event.data)["n"] for event in events] == [1, 2, 3]
    assert (stream.last_id, stream.first_kept_id, stream.events) == (3, 1, 3)


def test_a_new_stream_has_nothing_to_replay() -> None:
    stream = Stream(STREAM_ID, 4)
    assert read(stream, 0) == (b"", 0)
    assert stream.last_id == 0 and not stream.ended


@pytest.mark.parametrize("after", range(0, 6))
def test_a_resume_gets_exactly_the_events_after_its_id(after: int) -> None:
    assert_replay(stream_with(5), after, list(range(after + 1, 6)))


def test_the_terminal_event_takes_the_next_number_and_is_replayed_last() -> None:
    stream = stream_with(3, ended=True)
    assert stream.ended and stream.last_id == 4
    chunk, _ = read(stream, 2)
    events, _ = parse_sse(chunk)
    assert [(event.seq, event.event) for event in events] == [(3, "message"), (4, "done")], chunk
    assert json.loads(events[-1].data)["events"] == 3
    assert_replay(stream, 3, [4])
    assert_replay(stream, 4, [])


def test_nothing_is_added_after_the_terminal_event() -> None:
    stream = stream_with(2, ended=True)
    stream.push_event(b'{"n": 99}')
    stream.finish("error", {"code": "late", "message": "x", "retryable": False})
    assert stream.last_id == 3 and stream.events == 2
    assert_replay(stream, 0, [1, 2, 3])


def test_the_buffer_trims_the_oldest_capacity_events_at_twice_its_capacity() -> None:
    stream = stream_with(7, capacity=4)
    assert stream.first_kept_id == 1, "trimmed before holding 2 × capacity events"
    assert_replay(stream, 0, [1, 2, 3, 4, 5, 6, 7])
    stream.push_event(b'{"n": 8}')
    assert stream.first_kept_id == 5, f"kept from id {stream.first_kept_id}, expected 5"
    assert_replay(stream, 4, [5, 6, 7, 8])
    with pytest.raises(EventsLostError) as lost:
        stream.read_from(3)
    assert str(lost.value) == "events 4..4 left the buffer"


@given(
    capacity=st.integers(1, 6),
    events=st.integers(0, 40),
    after=st.integers(0, 41),
    ended=st.booleans(),
)
def test_every_resume_point_gets_the_events_after_it_or_is_told_they_are_lost(
    capacity: int, events: int, after: int, ended: bool
) -> None:
    stream = stream_with(events, capacity, ended=ended)
    last = events + 1 if ended else events
    kept = stream.first_kept_id
    assert stream.last_id == last
    # At least `capacity` recent model events stay replayable, and never 2 × capacity of them.
    assert min(events, capacity) <= events - kept + 1 < 2 * capacity, (
        f"{events} events, capacity {capacity}: the buffer keeps ids {kept}..{events}"
    )
    if after > last:
        return  # the route answers 400 before reading (tested end to end)
    if after < kept - 1:
        with pytest.raises(EventsLostError) as lost:
            stream.read_from(after)
        assert str(lost.value) == f"events {after + 1}..{kept - 1} left the buffer"
    else:
        assert_replay(stream, after, list(range(after + 1, last + 1)))


async def _send_all(response: SSEResponse) -> bytes:
    """Run the response to its end against a client that never disconnects."""
    body = bytearray()
    never = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await never.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        body.extend(message.get("body", b""))

    await response({"type": "http"}, receive, send)
    return bytes(body)


def _response(stream: Stream, after: int | None) -> bytes:
    response = SSEResponse(
        stream, after, heartbeat_s=60, retry_ms=1000, headers={}, on_detach=lambda _: None
    )
    return asyncio.run(_send_all(response))


def _replay_ids(events: list[SSEEvent]) -> list[int]:
    return [event.seq for event in events if event.id is not None]


def test_a_first_connect_to_a_trimmed_stream_is_told_where_its_replay_starts() -> None:
    stream = stream_with(9, capacity=4, ended=True)  # ids 1..4 trimmed, 5..9 kept, done is 10
    body = _response(stream, None)
    assert body.startswith(b"retry: 1000\nid: 5eed:4\n\nevent: trimmed\n"), body[:80]
    events, _ = parse_sse(body)
    notice = events[0]
    assert (notice.event, notice.id) == ("trimmed", None), "the notice must not move the resume id"
    assert json.loads(notice.data) == {
        "code": "events_trimmed",
        "message": "events 1..4 left the replay buffer; this replay starts at event 5",
        "first_id": 5,
    }
    got = _replay_ids(events)
    assert got == [5, 6, 7, 8, 9, 10], f"first connect replayed ids {got}; expected 5..10"


def test_a_first_connect_to_an_untrimmed_stream_gets_no_notice() -> None:
    body = _response(stream_with(3, capacity=4, ended=True), None)
    events, _ = parse_sse(body)
    assert [event.event for event in events] == ["message", "message", "message", "done"]
    assert _replay_ids(events) == [1, 2, 3, 4]


def test_a_resume_response_sends_the_events_after_its_id() -> None:
    body = _response(stream_with(5, ended=True), 2)
    assert body.startswith(b"retry: 1000\nid: 5eed:2\n\n"), body[:80]
    got = _replay_ids(parse_sse(body)[0])
    assert got == [3, 4, 5, 6], f"resume after id 2 replayed ids {got}; expected [3, 4, 5, 6]"


def test_a_reader_behind_the_buffer_ends_with_client_too_slow_naming_the_lost_ids() -> None:
    stream = stream_with(9, capacity=4, ended=True)
    events, _ = parse_sse(_response(stream, 1))
    assert [(event.seq, event.event) for event in events] == [(11, "error")]
    assert json.loads(events[0].data) == {
        "code": "client_too_slow",
        "message": "this reader fell too far behind and events 2..4 left the buffer",
        "retryable": False,
    }
