"""Admission (concurrency, queue, over_capacity) and shutdown ending everything in-band."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from infer.runtime.wire import Kind
from tests.runtime.inprocess.conftest import Serve, eventually
from tests.runtime.inprocess.fake_worker import FakeRequest, FakeWorker, hang
from tests.servers import parse_sse

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]


def held() -> tuple[asyncio.Event, FakeWorker]:
    """A model whose streams send one event, then wait for the gate."""
    gate = asyncio.Event()

    async def script(request: FakeRequest) -> None:
        await request.event({"OUT": "first "})
        await gate.wait()
        await request.done()

    return gate, FakeWorker(script=script)


async def test_a_full_queue_is_503_over_capacity_with_retry_after(serve: Serve) -> None:
    gate, fake = held()
    server = await serve(fake, queue_size=0)
    first = await server.start_infer(TEXT="x")
    await first.read_until(b"first ")
    second = await server.infer(TEXT="y")
    assert second.status_code == 503
    assert second.headers["retry-after"] == "1"
    assert second.json()["error"] == {
        "code": "over_capacity",
        "message": "all 1 slot(s) are busy and 0 request(s) wait",
    }
    gate.set()
    assert b"event: done" in await first.read_all()
    assert len(fake.received) == 1  # the refused request never reached the model


async def test_a_queued_request_runs_when_a_slot_frees_and_concurrency_is_kept(
    serve: Serve,
) -> None:
    gate, fake = held()
    server = await serve(fake, concurrency=2, queue_size=1)
    running = [await server.start_infer(TEXT="a"), await server.start_infer(TEXT="b")]
    for stream in running:
        await stream.read_until(b"first ")
    queued = asyncio.ensure_future(server.infer(TEXT="c"))
    await eventually(lambda: server.runtime.slots.waiting == 1)
    assert len(fake.received) == 2  # the third waits for a slot, not in the worker
    refused = await server.infer(TEXT="d")
    assert refused.json()["error"]["message"] == "all 2 slot(s) are busy and 1 request(s) wait"
    gate.set()
    assert b"event: done" in (await queued).content
    for stream in running:
        assert b"event: done" in await stream.read_all()
    assert server.runtime.slots.running == 0


async def test_shutdown_ends_streams_in_band_refuses_the_queue_and_admits_nothing(
    serve: Serve,
) -> None:
    _gate, fake = held()
    server = await serve(fake, queue_size=2)
    live = await server.start_infer(TEXT="x")
    await live.read_until(b"first ")
    queued = [asyncio.ensure_future(server.infer(TEXT="q")) for _ in range(2)]
    await eventually(lambda: server.runtime.slots.waiting == 2)
    await server.stop()
    events, _ = parse_sse(await live.read_all())
    assert json.loads(events[-1].data) == {
        "code": "server_shutting_down",
        "message": "the server is shutting down",
        "retryable": True,
    }
    for response in await asyncio.gather(*queued):
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "server_shutting_down"
        assert response.headers["retry-after"] == "2"
    late = await server.infer(TEXT="late")
    assert (late.status_code, late.headers["retry-after"]) == (503, "2")
    assert late.json()["error"]["code"] == "server_shutting_down"
    worker = fake.connections[0]
    assert (Kind.CANCEL, 1) in worker.commands  # the model was told to stop
    assert worker.commands[-1] == (Kind.SHUTDOWN, 0)
    assert worker.process.returncode == 0  # it exited on its own: nothing was killed
    assert server.runtime.supervisor.state.phase == "stopped"


async def test_a_non_streaming_request_in_flight_at_shutdown_gets_a_503(serve: Serve) -> None:
    inputs = [{"name": "prompt", "datatype": "STRING", "shape": [1], "required": True}]
    fake = FakeWorker(streaming=False, inputs=inputs, script=hang)
    server = await serve(fake)
    pending = asyncio.ensure_future(server.infer(prompt="hi"))
    await eventually(lambda: len(fake.received) == 1)
    await server.stop()
    response: httpx.Response = await pending
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "server_shutting_down"
    assert "retry-after" in response.headers


async def test_a_worker_that_does_not_exit_is_killed_after_the_shutdown_grace(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    fake = FakeWorker(exits_on_shutdown=False)  # its finalize() hangs
    server = await serve(fake, shutdown_grace_s=0.2)
    with caplog.at_level(logging.WARNING, logger="infer.serve"):
        await server.stop()
    assert fake.connections[0].process.returncode == -9
    assert "the worker did not finish finalize() within 0.2 s; killing it" in caplog.messages
