"""Resume with Last-Event-ID, DELETE, disconnects and stuck requests, in process."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from tests.runtime.inprocess.conftest import INFER, InProcessServer, Serve, eventually
from tests.runtime.inprocess.fake_worker import FakeRequest, FakeWorker, hang
from tests.servers import parse_sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def gated(first: int, total: int) -> tuple[asyncio.Event, FakeWorker]:
    """A model that sends ``first`` events, waits for the gate, then the rest."""
    gate = asyncio.Event()

    async def script(request: FakeRequest) -> None:
        for i in range(total):
            if i == first:
                await gate.wait()
            await request.event({"OUT": f"w{i} "})
        await request.done()

    return gate, FakeWorker(script=script)


def seqs(raw: bytes) -> list[int]:
    """Ids of the complete events in a (possibly cut) SSE byte string."""
    events, _ = parse_sse(raw[: raw.rfind(b"\n\n") + 2])
    return [e.seq for e in events if e.id]


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def resume(server: InProcessServer, stream_id: str, last: str | None) -> httpx.Response:
    headers = {"Last-Event-ID": last} if last is not None else {}
    return await server.client.get(f"/v2/models/m/streams/{stream_id}", headers=headers)


async def test_resume_after_a_drop_loses_and_repeats_nothing(serve: Serve) -> None:
    gate, fake = gated(20, 200)
    server = await serve(fake)
    first = await server.start_infer(TEXT="x")
    stream_id = first.headers["x-stream-id"]
    await first.read_until(b"w19 ")
    await first.disconnect()
    seen = seqs(first.body)
    last = seen[-1]
    assert last == 20
    live = await server.stream(
        "GET", f"/v2/models/m/streams/{stream_id}", headers={"Last-Event-ID": str(last)}
    )
    assert live.status == 200
    assert live.headers["x-stream-id"] == stream_id
    gate.set()
    body = await live.read_all()
    opening = b"retry: 3000\nid: %s:%d\n\nid: %s:%d\n"
    assert body.startswith(opening % (stream_id.encode(), last, stream_id.encode(), last + 1))
    events, _ = parse_sse(body)
    assert seen + [e.seq for e in events] == list(range(1, 202))  # 200 events and done
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == [f"w{i} " for i in range(20, 200)]
    assert events[-1].event == "done"
    # Finished and fully delivered: 204 stops the client; a finished stream still replays.
    assert (await resume(server, stream_id, "201")).status_code == 204
    replay = await resume(server, stream_id, f"{stream_id}:198")
    assert seqs(replay.content) == [199, 200, 201]
    assert len(fake.received) == 1  # a resume never starts a new generation


async def test_resume_at_the_last_id_of_a_live_stream_continues_live(serve: Serve) -> None:
    gate, fake = gated(1, 30)
    server = await serve(fake)
    first = await server.start_infer(TEXT="x")
    stream_id = first.headers["x-stream-id"]
    await first.read_until(b"w0 ")
    await first.disconnect()
    live = await server.stream(
        "GET", f"/v2/models/m/streams/{stream_id}", headers={"Last-Event-ID": f"{stream_id}:1"}
    )
    gate.set()
    assert seqs(await live.read_all()) == list(range(2, 32))


async def test_resume_of_unknown_expired_and_bad_ids_is_refused_with_the_reason(
    serve: Serve,
) -> None:
    server = await serve(replay_capacity=16)
    assert code_of(await resume(server, "deadbeef", None)) == (404, "stream_not_found")
    assert code_of(await server.client.get("/v2/models/other/streams/x")) == (
        404,
        "model_not_found",
    )
    long = await server.infer(TEXT="x", COUNT=100)
    stream_id = long.headers["x-stream-id"]
    assert code_of(await resume(server, stream_id, "3")) == (404, "events_expired")
    short_id = (await server.infer(TEXT="a b c")).headers["x-stream-id"]
    cases = {
        "abc": "is not an id this server sends",
        "-1": "is not an id this server sends",
        "9" * 5000: "is 5000 characters long",
        "99": "is ahead of the stream",
        "ffff:1": "is not from this stream",
    }
    for raw, words in cases.items():
        response = await resume(server, short_id, raw)
        assert code_of(response) == (400, "invalid_last_event_id"), raw
        assert words in response.json()["error"]["message"], raw
    not_ascii = await server.client.get(
        f"/v2/models/m/streams/{short_id}", headers=[(b"Last-Event-ID", "²".encode())]
    )
    assert "is not ASCII" in not_ascii.json()["error"]["message"]
    assert (await resume(server, short_id, f"{short_id}:2")).status_code == 200
    assert (await resume(server, short_id, "2")).status_code == 200


async def test_a_first_connect_without_last_event_id_replays_and_says_when_trimmed(
    serve: Serve,
) -> None:
    server = await serve(replay_capacity=16)
    stream_id = (await server.infer(TEXT="x", COUNT=100)).headers["x-stream-id"]
    events, _ = parse_sse((await resume(server, stream_id, None)).content)
    assert events[0].event == "trimmed" and events[0].id is None
    notice = json.loads(events[0].data)
    assert notice["code"] == "events_trimmed" and notice["first_id"] == events[1].seq
    assert [e.seq for e in events[1:]] == list(range(events[1].seq, 102))
    small = (await server.infer(TEXT="a b")).headers["x-stream-id"]
    whole, _ = parse_sse((await resume(server, small, None)).content)
    assert [e.event for e in whole] == ["message", "message", "done"]


async def test_an_eventsource_reconnect_to_the_same_url_continues_the_same_generation(
    serve: Serve,
) -> None:
    gate, fake = gated(10, 40)
    server = await serve(fake)
    url = f"{INFER}?TEXT=x&COUNT=40"
    first = await server.stream("GET", url, headers={"Accept": "text/event-stream"})
    await first.read_until(b"w9 ")
    await first.disconnect()
    events, _ = parse_sse(first.body)
    last_id = events[-1].id or ""
    stream_id = last_id.split(":")[0]
    again = await server.stream("GET", url, headers={"Last-Event-ID": last_id})
    assert again.headers["x-stream-id"] == stream_id
    gate.set()
    rest, _ = parse_sse(await again.read_all())
    ids = [e.id for e in events + rest]
    assert ids == [f"{stream_id}:{n}" for n in range(1, 42)]  # 40 events + done, once each
    assert len(fake.received) == 1
    after = await server.client.get(url, headers={"Last-Event-ID": ids[-1] or ""})
    assert after.status_code == 204  # EventSource stops: no reconnect loop
    other = await server.client.get(f"{INFER}?TEXT=y", headers={"Last-Event-ID": last_id})
    assert code_of(other) == (400, "invalid_last_event_id")


async def test_delete_cancels_the_generation_in_band_and_in_the_worker(serve: Serve) -> None:
    _gate, fake = gated(1, 10)
    server = await serve(fake)
    stream = await server.start_infer(TEXT="x")
    stream_id = stream.headers["x-stream-id"]
    await stream.read_until(b"w0 ")
    deleted = await server.client.delete(f"/v2/models/m/streams/{stream_id}")
    assert deleted.status_code == 204
    events, _ = parse_sse(await stream.read_all())
    assert json.loads(events[-1].data) == {
        "code": "cancelled",
        "message": "cancelled by the client",
        "retryable": False,
    }
    await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)
    assert (await server.client.delete(f"/v2/models/m/streams/{stream_id}")).status_code == 204
    assert code_of(await server.client.delete("/v2/models/m/streams/nope")) == (
        404,
        "stream_not_found",
    )
    assert code_of(await server.client.delete("/v2/models/other/streams/x")) == (
        404,
        "model_not_found",
    )


async def test_a_disconnect_cancels_after_the_resume_grace_and_frees_the_slot(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    gate, fake = gated(3, 1000)
    server = await serve(fake, resume_grace_s=0.1)
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        stream = await server.start_infer(TEXT="x")
        await stream.read_until(b"w2 ")
        await stream.disconnect()
        await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)
    assert any(m.endswith("end=cancelled") for m in caplog.messages)
    gate.set()
    assert b"event: done" in (await server.infer(TEXT="next one")).content


async def test_a_disconnect_before_the_first_event_cancels_too(serve: Serve) -> None:
    _gate, fake = gated(0, 1)
    server = await serve(fake, resume_grace_s=0)
    stream = await server.start_infer(TEXT="never")
    await stream.disconnect()
    await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)


async def test_a_waiting_request_preempts_an_abandoned_stream_at_once(serve: Serve) -> None:
    _gate, fake = gated(3, 1000)
    server = await serve(fake, resume_grace_s=60)  # would hold the only slot for a minute
    stream = await server.start_infer(TEXT="x")
    await stream.read_until(b"w2 ")
    await stream.disconnect()
    fake.script = FakeWorker().script
    urgent = await asyncio.wait_for(server.infer(TEXT="urgent"), 20)
    assert b"event: done" in urgent.content
    assert fake.received[0].cancelled.is_set()


async def test_a_request_that_ignores_cancellation_drains_its_worker_not_healthy_streams(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    healthy_gate = asyncio.Event()

    async def script(request: FakeRequest) -> None:
        if request.inputs["TEXT"] == "stuck":
            await hang(request)
        for i in range(5):
            if i == 2 and request.inputs["TEXT"] == "healthy":
                await healthy_gate.wait()
            await request.event({"OUT": f"e{i}"})
        await request.done()

    fake = FakeWorker(script=script)
    server = await serve(fake, concurrency=2, cancel_grace_s=0.1)
    healthy = await server.start_infer(TEXT="healthy")
    await healthy.read_until(b'"e1"')
    stuck = await server.start_infer(TEXT="stuck")
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        deleted = await server.client.delete(f"/v2/models/m/streams/{stuck.headers['x-stream-id']}")
        assert deleted.status_code == 204
        await stuck.read_all()
        supervisor = server.runtime.supervisor
        await eventually(lambda: supervisor.draining and supervisor.state.phase == "ready")
        assert len(fake.connections) == 2
        # New requests go to the fresh worker; the healthy stream finishes on the old one.
        assert b"event: done" in (await server.infer(TEXT="new")).content
        assert fake.connections[1].requests
        healthy_gate.set()
        events, _ = parse_sse(await healthy.read_all())
        await asyncio.wait_for(fake.connections[0].process.wait(), 5)
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == [f"e{i}" for i in range(5)]
    assert events[-1].event == "done"
    log = "\n".join(caplog.messages)
    assert "ignored its cancellation; draining worker" in log
    assert "(1 healthy request(s) continue there)" in log
    assert "its healthy requests are done; stopping it" in log
    assert not server.runtime.supervisor.draining
