"""The v2 HTTP surface in process: answers, metadata, health, readiness and JSON errors."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx
import pytest

from infer.runtime.wire import Kind
from tests.runtime.inprocess.conftest import INFER, Serve
from tests.runtime.inprocess.fake_worker import FakeConnection, FakeRequest, FakeWorker
from tests.servers import v2_body

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

BASIC_INPUTS = [
    {"name": "prompt", "datatype": "STRING", "shape": [1], "required": True, "example": ["hi"]},
    {"name": "temperature", "datatype": "FLOAT", "shape": [1], "required": False},
]


async def shout(request: FakeRequest) -> None:
    """tests/models/basic_model's twin: the prompt upper-cased, and its length."""
    text = str(request.inputs["prompt"])
    await request.result(
        [
            {"name": "generated_text", "datatype": "BYTES", "shape": [1], "data": [text.upper()]},
            {"name": "length", "datatype": "INT64", "shape": [1], "data": [len(text)]},
        ]
    )


def basic() -> FakeWorker:
    return FakeWorker(streaming=False, inputs=BASIC_INPUTS, script=shout)


def error_of(response: httpx.Response) -> tuple[int, str, str]:
    body = response.json()["error"]
    return response.status_code, body["code"], body["message"]


async def test_a_non_streaming_answer_is_v2_outputs_on_both_urls(serve: Serve) -> None:
    server = await serve(basic())
    for path in (INFER, "/v2/models/m/versions/1/infer"):
        response = await server.client.post(path, json=v2_body(prompt="hello"))
        assert response.status_code == 200
        assert response.json() == {
            "model_name": "m",
            "model_version": "1",
            "outputs": [
                {"name": "generated_text", "datatype": "BYTES", "shape": [1], "data": ["HELLO"]},
                {"name": "length", "datatype": "INT64", "shape": [1], "data": [5]},
            ],
        }
    # The worker got typed inputs, one request number each.
    assert [(r.number, r.inputs) for r in server.fake.received] == [
        (1, {"prompt": "hello"}),
        (2, {"prompt": "hello"}),
    ]


async def test_a_non_streaming_model_error_is_a_500_and_a_retryable_one_a_503(
    serve: Serve,
) -> None:
    async def fail(request: FakeRequest) -> None:
        retryable = request.inputs["prompt"] == "again"
        await request.error("model_error", "ValueError: nope", retryable=retryable)

    server = await serve(FakeWorker(streaming=False, inputs=BASIC_INPUTS, script=fail))
    final = await server.infer(prompt="x")
    assert error_of(final) == (500, "model_error", "ValueError: nope")
    assert "retry-after" not in final.headers
    retry = await server.infer(prompt="again")
    assert error_of(retry)[:2] == (503, "model_error")
    assert retry.headers["retry-after"] == "1"


async def test_a_non_streaming_answer_past_inference_time_is_a_504(serve: Serve) -> None:
    async def slow(request: FakeRequest) -> None:
        await asyncio.sleep(30)

    fake = FakeWorker(streaming=False, inputs=BASIC_INPUTS, script=slow)
    server = await serve(fake, inference_time_s=0.2)
    response = await server.infer(prompt="x")
    assert error_of(response) == (
        504,
        "inference_timeout",
        "the model did not answer within inference_time (0.2 s)",
    )
    await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)  # the worker was told


async def test_metadata_health_and_the_model_list(serve: Serve) -> None:
    server = await serve()
    client = server.client
    assert (await client.get("/v2/health/live")).json() == {"live": True}
    assert (await client.get("/v2/health/ready")).json() == {"ready": True}
    assert (await client.get("/v2/models/m/ready")).status_code == 200
    assert (await client.get("/v2/models")).json() == {"models": [{"name": "m", "versions": ["1"]}]}
    meta = (await client.get("/v2/models/m")).json()
    assert meta == (await client.get("/v2/models/m/versions/1")).json()
    assert meta["streaming"] is True and meta["ready"] is True
    assert meta["platform"] == "inferless-python"
    assert meta["inference_time_s"] == 30.0
    assert meta["inputs"][0] == {
        "name": "TEXT",
        "datatype": "STRING",
        "wire_datatype": "BYTES",
        "shape": [1],
        "required": True,
        "example": ["hi"],
    }
    assert error_of(await client.get("/v2/models/other/ready"))[:2] == (404, "model_not_found")


async def test_while_initialize_runs_ready_and_infer_are_503_with_retry_after(
    serve: Serve,
) -> None:
    loaded = asyncio.Event()

    async def slow_start(connection: FakeConnection) -> None:
        await loaded.wait()
        await connection.hello_and_ready()

    server = await serve(FakeWorker(startup=slow_start), ready=False)
    ready = await server.client.get("/v2/health/ready")
    assert error_of(ready)[:2] == (503, "model_loading")
    assert ready.headers["retry-after"] == "1"
    early = await server.infer(TEXT="x")
    assert (early.status_code, early.headers["retry-after"]) == (503, "1")
    assert error_of(await server.client.get("/v2/models/m"))[:2] == (503, "model_loading")
    assert (await server.client.get("/v2/health/live")).status_code == 200
    loaded.set()
    await asyncio.wait_for(server.runtime.supervisor.ready_event.wait(), 5)
    assert b'"OUT":"x "' in (await server.infer(TEXT="x")).content


async def test_a_failed_initialize_is_a_503_naming_the_failure(serve: Serve) -> None:
    async def broken(connection: FakeConnection) -> None:
        failure = {
            "code": "initialize_failed",
            "message": "initialize() raised RuntimeError: weights not found",
            "fatal": False,
            "traceback": "",
        }
        await connection.send_json(Kind.INIT_FAILED, failure)

    server = await serve(FakeWorker(startup=broken), ready=False, reload=True)
    await asyncio.wait_for(server.runtime.supervisor.ready_event.wait(), 5)
    response = await server.client.get("/v2/health/ready")
    assert response.json()["error"] == {
        "code": "initialize_failed",
        "message": "the model failed to load: initialize() raised RuntimeError: weights not found",
    }
    assert response.status_code == 503
    assert error_of(await server.infer(TEXT="x"))[:2] == (503, "initialize_failed")
    assert (await server.client.get("/v2/health/live")).status_code == 200
    # Without --reload the server has nothing left to wait for: the runner exits with 1.
    assert not server.runtime.supervisor.fatal_event.is_set()


async def test_bad_requests_get_specific_json_errors(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    server = await serve(basic(), max_body_bytes=64 * 1024)
    post = server.client.post
    JSON = {"content-type": "application/json"}
    status, code, message = error_of(await post(INFER, content=b"{not json", headers=JSON))
    assert (status, code) == (400, "invalid_json")
    assert message.startswith("the request body is not valid JSON: Expecting property name")
    with caplog.at_level(logging.INFO, logger="infer.serve"):
        assert error_of(await post(INFER, json=v2_body(promt="hi"))) == (
            422,
            "invalid_inputs",
            "unknown input 'promt' (did you mean 'prompt'?)",
        )
    assert "request -  422  invalid_inputs: unknown input 'promt' (did you mean 'prompt'?)" in (
        caplog.messages
    )
    assert error_of(await post(INFER, json=v2_body(temperature=0.5))) == (
        422,
        "invalid_inputs",
        "required input 'prompt' is missing",
    )
    wrong_type = {"inputs": [{"name": "prompt", "shape": [1], "datatype": "BYTES", "data": [3]}]}
    assert error_of(await post(INFER, json=wrong_type)) == (
        422,
        "invalid_inputs",
        "input 'prompt': data[0] is an integer, expected STRING",
    )
    wrong_shape = {
        "inputs": [{"name": "prompt", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]
    }
    assert error_of(await post(INFER, json=wrong_shape))[2] == (
        "input 'prompt': shape [1] needs 1 value(s), got 2"
    )
    assert error_of(await post(INFER, json={"prompt": "hi"}))[0] == 422
    assert error_of(await post("/v2/models/nope/infer", json=v2_body(prompt="x"))) == (
        404,
        "model_not_found",
        "no model named 'nope'; this server serves 'm'",
    )
    huge = json.dumps(v2_body(prompt="x" * 70_000)).encode()
    assert error_of(await post(INFER, content=huge, headers=JSON))[:2] == (413, "body_too_large")
    deep = b"[" * 1000 + b"]" * 1000
    assert error_of(await post(INFER, content=deep, headers=JSON))[:2] == (400, "json_too_deep")
    many = {"inputs": [{"name": "p", "shape": [1], "datatype": "BYTES", "data": ["x"]}] * 300}
    assert error_of(await post(INFER, json=many))[:2] == (400, "too_many_inputs")
    assert error_of(await server.client.get("/v2/nothing-here"))[:2] == (404, "not_found")
    assert error_of(await server.client.get(INFER))[:2] == (422, "invalid_inputs")
    assert error_of(await server.client.put(INFER))[:2] == (405, "method_not_allowed")
    assert server.fake.received == []  # none of that reached the model
    assert (await server.infer(prompt="ok")).status_code == 200


async def test_an_oversized_error_body_is_capped_with_a_count(serve: Serve) -> None:
    server = await serve(basic())
    inputs = [
        {"name": f"BOGUS{i}" * 300, "shape": [1], "datatype": "BYTES", "data": ["x" * 2000]}
        for i in range(250)
    ]
    response = await server.client.post(INFER, json={"inputs": inputs})
    assert response.status_code == 422
    assert len(response.content) < 9 * 1024
    assert response.json()["error"]["details_omitted"] > 0


async def test_query_string_inputs_are_typed_and_checked(serve: Serve) -> None:
    server = await serve()
    client = server.client
    response = await client.get(f"{INFER}?TEXT=one%20two&DELAY=1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert server.fake.received[0].inputs == {"TEXT": "one two", "DELAY": 1}
    assert b'"OUT":"two "' in response.content and b"event: done" in response.content
    versioned = await client.get("/v2/models/m/versions/1/infer?TEXT=v")
    assert b"event: done" in versioned.content
    assert error_of(await client.get(f"{INFER}?TEXT=x&DELAY=soon")) == (
        422,
        "invalid_inputs",
        "input 'DELAY' is INT: 'soon' is not an integer",
    )
    assert error_of(await client.get(f"{INFER}?TXT=x"))[2] == (
        "unknown input 'TXT' (did you mean 'TEXT'?)"
    )
