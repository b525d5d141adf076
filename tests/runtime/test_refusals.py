"""Refusals in process (no worker is started): the catalogue's codes on the wire, admission's
answers for each worker phase, and the log line written from the refusal's own data."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from infer.protocol.error_codes import ErrorCode
from infer.protocol.message_caps import MAX_MESSAGE_CHARS
from infer.runtime.server.admission import admit, unavailable
from infer.runtime.server.app import build_app
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.http_errors import Refusal
from infer.runtime.server.sse.streams import Stream
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import PendingResult
from infer.runtime.server.worker_state import LoadFailure, Phase


def _runtime(tmp_path: Path, concurrency: int = 1, queue_size: int = 16) -> Runtime:
    config = ServeConfig(tmp_path, "echo", concurrency=concurrency, queue_size=queue_size)
    return Runtime(config)


def test_a_refusal_renders_the_wire_body_and_retry_after() -> None:
    response = Refusal(503, ErrorCode.OVER_CAPACITY, "busy", retry_after=1).response()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert bytes(response.body) == b'{"error":{"code":"over_capacity","message":"busy"}}'


def test_a_refusal_caps_its_message_and_details() -> None:
    details = [{"name": f"x{i}", "message": "m" * 500} for i in range(100)]
    body = Refusal(422, ErrorCode.INVALID_INPUTS, "y" * 50_000, details=details).body()
    error = body["error"]
    assert error["code"] == "invalid_inputs"
    assert len(error["message"]) < MAX_MESSAGE_CHARS
    assert error["details_omitted"] == 100 - len(error["details"]) > 0


def test_unavailable_says_why_for_each_phase(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    state = runtime.worker_state
    loading = unavailable(runtime)
    assert loading is not None
    assert (loading.status, loading.code, loading.retry_after) == (503, "model_loading", 1)
    state.phase = Phase.FAILED
    state.failure = LoadFailure(ErrorCode.IMPORT_FAILED, "ModuleNotFoundError: awq")
    failed = unavailable(runtime)
    assert failed is not None
    assert (failed.status, failed.code, failed.retry_after) == (503, "import_failed", None)
    assert failed.message == "the model failed to load: ModuleNotFoundError: awq"
    state.phase = Phase.READY
    assert unavailable(runtime) is None
    runtime.shutting_down = True
    stopping = unavailable(runtime)
    assert stopping is not None
    assert (stopping.code, stopping.retry_after) == ("server_shutting_down", 2)


def test_a_load_failure_from_the_worker_keeps_its_code(tmp_path: Path) -> None:
    wire = {"code": "initialize_failed", "message": "boom", "fatal": True, "traceback": "tb"}
    assert LoadFailure.from_wire(wire) == LoadFailure(
        ErrorCode.INITIALIZE_FAILED, "boom", fatal=True, traceback="tb"
    )
    assert LoadFailure.from_wire({"message": "?"}).code is ErrorCode.MODEL_FAILED


def test_admit_refuses_over_capacity_when_the_queue_is_full(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path, concurrency=1, queue_size=0)

    async def two_requests() -> Refusal:
        slot = await admit(runtime)
        try:
            with pytest.raises(Refusal) as refused:
                await admit(runtime)
        finally:
            slot.release()
        return refused.value

    refusal = asyncio.run(two_requests())
    assert (refusal.status, refusal.code, refusal.retry_after) == (503, "over_capacity", 1)
    assert refusal.message == "all 1 slot(s) are busy and 0 request(s) wait"


def test_a_request_while_the_worker_restarts_ends_with_the_catalogued_payload(
    tmp_path: Path,
) -> None:
    runtime = _runtime(tmp_path)

    async def submit() -> tuple[str, dict[str, object]]:
        pending = PendingResult()
        runtime.submit({"TEXT": "hi"}, pending)
        return await pending.future

    event, data = asyncio.run(submit())
    assert event == "error"
    assert data == {
        "code": "worker_restarting",
        "message": "the model's worker is restarting; try again in a moment",
        "retryable": True,
    }


def test_a_failed_stream_ends_with_the_catalogued_payload() -> None:
    stream = Stream("abc", capacity=8)
    stream.fail(ErrorCode.CANCELLED, "cancelled by the client")
    frame = stream.read_from(0)[0].decode()
    assert "event: error" in frame
    data = json.loads(frame.split("data: ", 1)[1])
    assert data == {"code": "cancelled", "message": "cancelled by the client", "retryable": False}
    assert stream.outcome == "cancelled"


def test_a_v2_refusal_is_logged_from_its_data(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = TestClient(build_app(_runtime(tmp_path)), base_url="http://127.0.0.1")
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        response = client.post("/v2/models/echo/infer", json={"inputs": []})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json() == {
        "error": {
            "code": "model_loading",
            "message": "the model is loading (initialize() is running)",
        }
    }
    assert "request -  503  model_loading: the model is loading (initialize() is running)" in [
        record.getMessage() for record in caplog.records
    ]


def test_the_openai_routes_refuse_with_the_same_code(tmp_path: Path) -> None:
    client = TestClient(build_app(_runtime(tmp_path)), base_url="http://127.0.0.1")
    response = client.post(
        "/v1/chat/completions",
        json={"model": "echo", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.json()["error"] == {
        "message": "the model is loading (initialize() is running)",
        "type": "server_error",
        "param": None,
        "code": "model_loading",
    }
