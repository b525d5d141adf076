"""The OpenAI-compatible /v1 routes in process, driven by the real openai SDK (AsyncOpenAI on
httpx's ASGI transport) and by raw requests, against a FakeWorker."""

from __future__ import annotations

import asyncio
import importlib
import json

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.runtime.inprocess.conftest import InProcessServer, Serve
from tests.runtime.inprocess.fake_worker import FakeConnection, FakeRequest, FakeWorker, hang

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

CHAT = "/v1/chat/completions"
_SDK_HTTP = openai.DefaultAsyncHttpxClient.__mro__[1].__module__.partition(".")[0]


def sdk(server: InProcessServer) -> openai.AsyncOpenAI:
    """The real openai client on the app (no retries: tests see every status)."""
    # The SDK brings its own copy of httpx (httpx2 in openai 2+); its ASGI transport fits it.
    transport = importlib.import_module(_SDK_HTTP).ASGITransport(app=server.app)
    return openai.AsyncOpenAI(
        base_url="http://127.0.0.1:8000/v1",
        api_key="local",
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(transport=transport),
    )


def sse_data(raw: bytes) -> list[str]:
    """The `data:` values of an SSE body, in order (comments skipped)."""
    return [
        line[len("data: ") :]
        for block in raw.decode().split("\n\n")
        for line in block.split("\n")
        if line.startswith("data: ")
    ]


def user(text: str) -> list[ChatCompletionMessageParam]:
    return [{"role": "user", "content": text}]


async def test_models_lists_the_served_model(serve: Serve) -> None:
    client = sdk(await serve())
    models = await client.models.list()
    assert [model.id for model in models.data] == ["m"]
    model = await client.models.retrieve("m")
    assert model.owned_by == "infer"
    with pytest.raises(openai.NotFoundError) as caught:
        await client.models.retrieve("gpt-4o")
    assert caught.value.code == "model_not_found"


async def test_streaming_chat_sends_chunks_then_finish_and_done(serve: Serve) -> None:
    server = await serve()
    stream = await sdk(server).chat.completions.create(
        model="m", messages=user("make an omelette"), stream=True
    )
    chunks = [chunk async for chunk in stream]
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert chunks[0].choices[0].delta.role == "assistant"
    assert [c.choices[0].delta.content for c in chunks[1:-1]] == ["make ", "an ", "omelette "]
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert server.fake.received[0].inputs == {"TEXT": "make an omelette"}
    raw = await server.client.post(CHAT, json={"messages": user("a b"), "stream": True})
    assert raw.headers["content-type"] == "text/event-stream; charset=utf-8"
    data = sse_data(raw.content)
    assert data[-1] == "[DONE]"
    assert [json.loads(d)["choices"][0]["delta"] for d in data[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "a "},
        {"content": "b "},
        {},
    ]


async def test_whole_answers_for_chat_and_completions(serve: Serve) -> None:
    client = sdk(await serve())
    answer = await client.chat.completions.create(model="m", messages=user("fold the eggs"))
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "fold the eggs "
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is None
    whole = await client.completions.create(model="m", prompt="heat the pan")
    assert whole.object == "text_completion"
    assert whole.choices[0].text == "heat the pan "
    pieces = await client.completions.create(model="m", prompt="whisk then fold", stream=True)
    texts = [p.choices[0].text async for p in pieces if p.choices]
    assert "".join(texts) == "whisk then fold "


async def test_a_model_failing_mid_stream_is_an_sdk_error_and_no_done(serve: Serve) -> None:
    async def raises(request: FakeRequest) -> None:
        await request.event({"OUT": "one"})
        await request.error("model_error", "ValueError: boom at token 3")

    server = await serve(FakeWorker(script=raises))
    client = sdk(server)
    stream = await client.chat.completions.create(model="m", messages=user("x"), stream=True)
    texts = []
    with pytest.raises(openai.APIError) as caught:
        async for chunk in stream:
            texts.append(chunk.choices[0].delta.content)
    assert texts == ["", "one"]
    assert caught.value.code == "model_error"
    assert "ValueError: boom at token 3" in caught.value.message
    raw = await server.client.post(CHAT, json={"messages": user("x"), "stream": True})
    data = sse_data(raw.content)
    assert "[DONE]" not in data
    assert json.loads(data[-1])["error"]["type"] == "server_error"
    with pytest.raises(openai.InternalServerError) as failed:
        await client.chat.completions.create(model="m", messages=user("x"))
    assert failed.value.status_code == 500 and failed.value.code == "model_error"


async def test_inference_time_is_a_504_for_a_whole_answer(serve: Serve) -> None:
    client = sdk(await serve(FakeWorker(script=hang), inference_time_s=0.2))
    with pytest.raises(openai.APIStatusError) as caught:
        await client.chat.completions.create(model="m", messages=user("x"))
    assert caught.value.status_code == 504
    assert caught.value.code == "inference_timeout"


async def test_bad_requests_get_openai_shaped_errors(serve: Serve) -> None:
    server = await serve()
    post = server.client.post

    async def error(response: httpx.Response) -> tuple[int, dict[str, object]]:
        return response.status_code, response.json()["error"]

    bad_json = await post(CHAT, content=b"{nope", headers={"content-type": "application/json"})
    assert (await error(bad_json))[1]["code"] == "invalid_json"
    assert await error(await post(CHAT, json={"model": "m"})) == (
        400,
        {
            "message": "'messages' must be a non-empty list of {role, content} objects",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "invalid_request",
        },
    )
    assert (await error(await post(CHAT, json={"messages": user("x"), "n": 2})))[1]["param"] == "n"
    assert (await error(await post(CHAT, json={"model": "gpt-4o", "messages": user("x")})))[0] == (
        404
    )
    assert await error(await server.client.get("/v1/embeddings")) == (
        404,
        {
            "message": "GET /v1/embeddings: no such route",
            "type": "invalid_request_error",
            "param": None,
            "code": "not_found",
        },
    )
    assert server.fake.received == []


async def test_over_capacity_and_loading_are_503_with_retry_after(serve: Serve) -> None:
    gate = asyncio.Event()

    async def held(request: FakeRequest) -> None:
        await request.event({"OUT": "first "})
        await gate.wait()
        await request.done()

    server = await serve(FakeWorker(script=held), queue_size=0)
    busy = await server.stream("POST", CHAT, json_body={"messages": user("x"), "stream": True})
    await busy.read_until(b"first ")
    with pytest.raises(openai.InternalServerError) as caught:
        await sdk(server).chat.completions.create(model="m", messages=user("y"))
    assert caught.value.status_code == 503 and caught.value.code == "over_capacity"
    assert caught.value.response.headers["retry-after"] == "1"
    gate.set()
    await busy.read_all()

    never = asyncio.Event()

    async def loading(connection: FakeConnection) -> None:
        await never.wait()

    slow = await serve(FakeWorker(startup=loading), ready=False)
    early = await slow.client.post(CHAT, json={"messages": user("x")})
    assert early.status_code == 503 and early.headers["retry-after"] == "1"
    assert early.json()["error"]["code"] == "model_loading"
    assert early.json()["error"]["type"] == "server_error"


async def test_disconnecting_mid_stream_cancels_the_generation(serve: Serve) -> None:
    gate = asyncio.Event()

    async def long(request: FakeRequest) -> None:
        for i in range(500):
            if i == 3:
                await gate.wait()
            await request.event({"OUT": f"w{i} "})
        await request.done()

    fake = FakeWorker(script=long)
    server = await serve(fake, queue_size=0, resume_grace_s=0)
    stream = await server.stream("POST", CHAT, json_body={"messages": user("x"), "stream": True})
    await stream.read_until(b"w2 ")
    await stream.disconnect()
    await asyncio.wait_for(fake.received[0].cancelled.wait(), 5)
    fake.script = FakeWorker().script
    again = await sdk(server).chat.completions.create(model="m", messages=user("w0 w1"))
    assert again.choices[0].message.content == "w0 w1 "  # the only slot is free again


async def test_shutdown_ends_an_openai_stream_in_band(serve: Serve) -> None:
    async def long(request: FakeRequest) -> None:
        await request.event({"OUT": "one "})
        await hang(request)

    server = await serve(FakeWorker(script=long))
    stream = await server.stream("POST", CHAT, json_body={"messages": user("x"), "stream": True})
    await stream.read_until(b"one ")
    await server.stop()
    data = sse_data(await stream.read_all())
    assert "[DONE]" not in data
    assert json.loads(data[-1])["error"]["code"] == "server_shutting_down"


async def test_pings_keep_a_slow_stream_alive_and_the_sdk_ignores_them(serve: Serve) -> None:
    async def slow(request: FakeRequest) -> None:
        await request.event({"OUT": "slow "})
        await asyncio.sleep(0.3)  # six heartbeats
        await request.event({"OUT": "words "})
        await request.done()

    server = await serve(FakeWorker(script=slow), heartbeat_s=0.05)
    raw = await server.client.post(CHAT, json={"messages": user("x"), "stream": True})
    assert b": ping\n\n" in raw.content
    assert sse_data(raw.content)[-1] == "[DONE]"
    stream = await sdk(server).chat.completions.create(model="m", messages=user("x"), stream=True)
    texts = [chunk.choices[0].delta.content or "" async for chunk in stream]
    assert "".join(texts) == "slow words "
