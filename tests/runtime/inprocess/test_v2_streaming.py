"""Streaming in process: exact SSE bytes, in-band errors, deadlines, crashes and pings."""

from __future__ import annotations

import asyncio
import json
import logging
import re

import pytest

from tests.runtime.inprocess.conftest import Serve
from tests.runtime.inprocess.fake_worker import FakeRequest, FakeWorker, hang
from tests.servers import parse_sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


async def test_a_stream_is_framed_with_retry_ids_and_one_done_event(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve()
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        response = await server.infer(TEXT="how to make an omelette")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["x-accel-buffering"] == "no"
    stream_id = response.headers["x-stream-id"]
    assert re.fullmatch(r"[0-9a-f]{16}", stream_id)
    assert response.headers["x-resume-url"] == f"/v2/models/m/streams/{stream_id}"
    expected_prefix = (
        b"retry: 3000\nid: S:0\n\n"
        b'id: S:1\ndata: {"OUT":"how "}\n\n'
        b'id: S:2\ndata: {"OUT":"to "}\n\n'
        b'id: S:3\ndata: {"OUT":"make "}\n\n'
        b'id: S:4\ndata: {"OUT":"an "}\n\n'
        b'id: S:5\ndata: {"OUT":"omelette "}\n\n'
        b"id: S:6\nevent: done\ndata: "
    ).replace(b"S", stream_id.encode())
    assert response.content.startswith(expected_prefix)
    assert response.content.endswith(b"}\n\n")
    done = json.loads(response.content[len(expected_prefix) :])
    assert set(done) == {"events", "ttft_ms", "duration_ms"}
    assert done["events"] == 5
    assert 0 <= done["ttft_ms"] <= done["duration_ms"]
    line = next(m for m in caplog.messages if m.startswith(f"stream {stream_id}"))
    assert re.fullmatch(
        rf"stream {stream_id}  200  events=5  ttfe=[\d.]+ms  duration=[\d.]+ms  end=done", line
    )


async def test_the_retry_field_follows_the_config(serve: Serve) -> None:
    server = await serve(retry_ms=250)
    assert (await server.infer(TEXT="a")).content.startswith(b"retry: 250\nid: ")


async def test_events_with_unicode_arrive_as_utf8_json(serve: Serve) -> None:
    server = await serve()
    events, _ = parse_sse((await server.infer(TEXT="crème brûlée 🍳")).content)
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == ["crème ", "brûlée ", "🍳 "]


async def test_a_model_error_mid_stream_ends_with_an_error_event(serve: Serve) -> None:
    async def raises(request: FakeRequest) -> None:
        await request.event({"OUT": "one"})
        await request.event({"OUT": "two"})
        await request.error("model_error", "ValueError: boom at token 3")

    server = await serve(FakeWorker(script=raises))
    events, _ = parse_sse((await server.infer(TEXT="x")).content)
    assert [(e.seq, e.event) for e in events] == [(1, "message"), (2, "message"), (3, "error")]
    assert json.loads(events[-1].data) == {
        "code": "model_error",
        "message": "ValueError: boom at token 3",
        "retryable": False,
    }


async def test_a_stream_the_model_never_finalised_ends_done_with_a_warning(serve: Serve) -> None:
    async def no_finalise(request: FakeRequest) -> None:
        await request.event({"OUT": "one"})  # the fake then reports auto_finalised

    server = await serve(FakeWorker(script=no_finalise))
    events, _ = parse_sse((await server.infer(TEXT="x")).content)
    assert [e.event for e in events] == ["message", "done"]
    warning = json.loads(events[-1].data)["warning"]
    assert warning == (
        "infer() returned without finalise_streamed_output(); the runtime finalised the stream"
    )


async def test_inference_time_before_the_first_event_is_in_band_and_a_stuck_worker_drains(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeWorker(script=hang)
    server = await serve(fake, inference_time_s=0.3, cancel_grace_s=0.1)
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        response = await server.infer(TEXT="x")
        assert response.status_code == 200  # the headers went out at admission
        events, _ = parse_sse(response.content)
        assert [e.event for e in events] == ["error"]
        assert json.loads(events[0].data) == {
            "code": "inference_timeout",
            "message": "the request took longer than inference_time (0.3 s)",
            "retryable": True,
        }
        assert any(
            re.search(r"  504  events=0 .* end=inference_timeout$", m) for m in caplog.messages
        )
        # The model never looks at its cancellation: a fresh worker takes over, the old one goes.
        await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)
        await asyncio.wait_for(fake.connections[0].process.wait(), 5)
        await asyncio.wait_for(server.runtime.supervisor.ready_event.wait(), 5)
    assert "request 1 ignored its cancellation; draining worker" in "\n".join(caplog.messages)
    assert len(fake.connections) == 2
    fake.script = FakeWorker().script
    events, _ = parse_sse((await server.infer(TEXT="again")).content)
    assert events[-1].event == "done"


async def test_inference_time_after_the_first_event_is_in_band(serve: Serve) -> None:
    async def hang_after_first(request: FakeRequest) -> None:
        await request.event({"OUT": "one"})
        await hang(request)

    server = await serve(FakeWorker(script=hang_after_first), inference_time_s=0.3)
    events, _ = parse_sse((await server.infer(TEXT="x")).content)
    assert [e.event for e in events] == ["message", "error"]
    assert json.loads(events[-1].data)["code"] == "inference_timeout"


async def test_a_worker_crash_ends_streams_in_band_and_the_worker_restarts(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    async def crash(request: FakeRequest) -> None:
        if request.inputs["TEXT"] == "crash":
            await request.event({"OUT": "one"})
            request.connection.crash(3)
        else:
            await request.done()

    fake = FakeWorker(script=crash)
    server = await serve(fake)
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        events, _ = parse_sse((await server.infer(TEXT="crash")).content)
        assert [e.event for e in events] == ["message", "error"]
        assert json.loads(events[-1].data) == {
            "code": "worker_crashed",
            "message": "the model's worker process died (exit code 3); the runtime restarts it",
            "retryable": True,
        }
        ready = await server.client.get("/v2/health/ready")
        assert ready.json()["error"]["code"] == "model_loading"
        await asyncio.wait_for(server.runtime.supervisor.ready_event.wait(), 10)
    assert "the worker died (exit code 3); restarting it" in caplog.messages
    assert len(fake.connections) == 2
    events, _ = parse_sse((await server.infer(TEXT="fine")).content)
    assert events[-1].event == "done"


async def test_first_bytes_go_out_before_the_first_event_and_idle_streams_get_pings(
    serve: Serve,
) -> None:
    go = asyncio.Event()

    async def late(request: FakeRequest) -> None:
        await go.wait()
        await request.event({"OUT": "late "})
        await request.done()

    server = await serve(FakeWorker(script=late), heartbeat_s=0.05)
    stream = await server.start_infer(TEXT="late")
    assert stream.status == 200
    opening = b"retry: 3000\nid: %s:0\n\n" % stream.headers["x-stream-id"].encode()
    assert (await stream.read_until(b": ping\n\n")).startswith(opening + b": ping\n\n")
    go.set()
    body = await stream.read_all()
    events, comments = parse_sse(body)
    assert set(comments) == {": ping"}
    assert [e.event for e in events] == ["message", "done"]
    assert body.index(b": ping") < body.index(b'"OUT":"late "')


async def test_a_reader_too_slow_for_the_replay_buffer_gets_an_error_not_more_memory(
    serve: Serve,
) -> None:
    burst = asyncio.Event()

    async def fast(request: FakeRequest) -> None:
        await request.event({"OUT": "first"})
        await burst.wait()
        for i in range(100):
            await request.event({"OUT": f"e{i}"})
        await request.done()

    server = await serve(FakeWorker(script=fast), replay_capacity=16)
    stream = await server.start_infer(TEXT="x")
    await stream.read_until(b'"OUT":"first"')
    stream.pause()  # the client reads nothing while the model produces 100 events
    burst.set()
    stream_id = stream.headers["x-stream-id"]
    registry = server.runtime.registry
    while (live := registry.get(stream_id)) is None or not live.ended:
        await asyncio.sleep(0.01)
    stream.resume()
    body = await stream.read_all()
    tail = body[body.rfind(b"event: ") :]
    assert tail.startswith(b"event: error\ndata: ")
    error = json.loads(tail.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    assert error["code"] == "client_too_slow"
    assert error["message"].startswith("this reader fell too far behind and events ")
    assert len(live._frames) < 2 * 16  # the buffer stayed bounded
