"""The OpenAI-compatible routes, driven by the real openai SDK against a real `infer serve`."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from tests.conftest import StartServer
from tests.runtime.openai.conftest import SharedServer, sdk


def sse_data(raw: bytes) -> list[str]:
    """The `data:` values of an SSE body, in order (comments skipped)."""
    return [
        line[len("data: ") :]
        for block in raw.decode().split("\n\n")
        for line in block.split("\n")
        if line.startswith("data: ")
    ]


def test_models_lists_the_served_model_and_how_requests_reach_it(
    shared_server: SharedServer,
) -> None:
    client = sdk(shared_server("openai_chat"))
    models = client.models.list()
    assert [model.id for model in models.data] == ["chat"]
    model = client.models.retrieve("chat")
    assert model.owned_by == "infer"
    extra = model.model_extra or {}
    assert extra["openai_client_compatibility"] is True
    assert extra["conversation_input"] == "message"
    assert extra["conversation_style"] == "messages_json"
    assert extra["parameters"] == {"max_tokens": "max_completion_tokens", "seed": "seed"}
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("gpt-4o")
    assert caught.value.code == "model_not_found"


def test_streaming_chat_sends_chunks_then_finish_usage_and_done(
    shared_server: SharedServer,
) -> None:
    server = shared_server("echo_stream")
    stream = sdk(server).chat.completions.create(
        model="echo",
        messages=[{"role": "user", "content": "make an omelette"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1 and chunks[0].id.startswith("chatcmpl-")
    assert chunks[0].choices[0].delta.role == "assistant"
    content = [c.choices[0].delta.content for c in chunks[1:-2]]
    assert content == ["make ", "an ", "omelette "]  # one chunk per model event
    assert chunks[-2].choices[0].finish_reason == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is None  # no --tokenizer
    note = (chunks[0].model_extra or {})["warnings"]
    assert note == [
        "usage is not counted: start `infer serve --tokenizer FOLDER` (the model's Hugging Face "
        "tokenizer) to get token counts"
    ]
    raw = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"model": "echo", "messages": [{"role": "user", "content": "a b"}], "stream": True},
        timeout=30,
    )
    assert raw.headers["content-type"] == "text/event-stream; charset=utf-8"
    data = sse_data(raw.content)
    assert data[-1] == "[DONE]"
    assert [json.loads(d)["choices"][0]["delta"] for d in data[:-1]] == [
        {"role": "assistant", "content": ""},
        {"content": "a "},
        {"content": "b "},
        {},
    ]


def test_non_streaming_chat_on_a_streaming_model_collects_the_answer(
    shared_server: SharedServer,
) -> None:
    answer = sdk(shared_server("echo_stream")).chat.completions.create(
        model="echo", messages=[{"role": "user", "content": "fold the eggs"}]
    )
    assert answer.object == "chat.completion"
    assert answer.choices[0].message.role == "assistant"
    assert answer.choices[0].message.content == "fold the eggs "
    assert answer.choices[0].finish_reason == "stop"
    assert answer.usage is None


def test_completions_streaming_and_not(shared_server: SharedServer) -> None:
    client = sdk(shared_server("echo_stream"))
    whole = client.completions.create(model="echo", prompt="heat the pan")
    assert whole.object == "text_completion"
    assert whole.choices[0].text == "heat the pan "
    echoed = client.completions.create(model="echo", prompt="salt", echo=True)
    assert echoed.choices[0].text == "saltsalt "
    pieces = list(client.completions.create(model="echo", prompt="whisk then fold", stream=True))
    assert "".join(p.choices[0].text for p in pieces if p.choices) == "whisk then fold "
    assert pieces[-1].choices[0].finish_reason == "stop"


def test_messages_reach_a_platform_style_repo_as_a_json_list_with_its_parameters(
    shared_server: SharedServer,
) -> None:
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "user", "content": [{"type": "text", "text": "Omelette?"}]},
    ]
    answer = sdk(shared_server("openai_chat")).chat.completions.create(
        model="chat", messages=messages, seed=7, max_completion_tokens=500, temperature=0.2
    )
    received = json.loads(answer.choices[0].message.content or "")
    assert received == {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello!"},
            {"role": "user", "content": "Omelette?"},
        ],
        "max_completion_tokens": 500,
        "seed": 7,
    }
    warnings = (answer.model_extra or {})["warnings"]
    assert warnings[0] == "'temperature' was ignored: the model declares no input named temperature"


def test_the_model_can_say_its_answer_was_cut_at_the_length_limit(
    shared_server: SharedServer,
) -> None:
    client = sdk(shared_server("openai_chat"))
    messages: list[ChatCompletionMessageParam] = [{"role": "user", "content": "count 10"}]
    cut = client.chat.completions.create(model="chat", messages=messages, max_tokens=3)
    assert cut.choices[0].message.content == "w0 w1 w2 "
    assert cut.choices[0].finish_reason == "length"
    chunks = list(
        client.chat.completions.create(model="chat", messages=messages, max_tokens=3, stream=True)
    )
    assert chunks[-1].choices[0].finish_reason == "length"
    full = client.chat.completions.create(model="chat", messages=messages)
    assert full.choices[0].finish_reason == "stop"


def test_a_single_prompt_repo_gets_a_transcript_and_aliased_parameters(
    shared_server: SharedServer,
) -> None:
    server = shared_server("openai_text")
    client = sdk(server)
    answer = client.chat.completions.create(
        model="text",
        messages=[
            {"role": "system", "content": "You cook."},
            {"role": "user", "content": "Eggs?"},
            {"role": "assistant", "content": "Two."},
            {"role": "user", "content": "Then?"},
        ],
        max_tokens=32,
        temperature=1,
        top_p=0.5,
        stop=["###", "END"],
        seed=3,
    )
    received = json.loads(answer.choices[0].message.content or "")
    assert received == {
        "prompt": "System: You cook.\nUser: Eggs?\nAssistant: Two.\n\nThen?",
        "max_new_tokens": 32,
        "temperature": 1.0,
        "top_p": 0.5,
        "stop": '["###", "END"]',
    }
    assert (answer.model_extra or {})["warnings"][0] == (
        "'seed' was ignored: the model declares no input named seed"
    )
    single = client.chat.completions.create(
        model="text", messages=[{"role": "user", "content": "Eggs?"}], seed=4, stop="END"
    )
    assert json.loads(single.choices[0].message.content or "") == {"prompt": "Eggs?", "stop": "END"}
    # Ignored parameters are logged once per server run, not once per request.
    server.wait_for_line("'seed' was ignored")
    time.sleep(0.2)
    assert sum("'seed' was ignored" in line for line in server.lines) == 1


def test_a_non_streaming_model_can_be_streamed(shared_server: SharedServer) -> None:
    chunks = list(
        sdk(shared_server("openai_text")).chat.completions.create(
            model="text", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
    )
    texts = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert texts == ['{"prompt": "Hi"}']
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_disconnecting_mid_stream_cancels_the_generation(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("openai_chat", "--queue-size", "0")
    marker = tmp_path / "cancelled"
    client = sdk(server)
    stream = client.chat.completions.create(
        model="chat",
        messages=[{"role": "user", "content": "count 500"}],
        stream=True,
        extra_body={"delay_ms": 50, "marker": str(marker)},
    )
    first = [next(stream) for _ in range(4)]
    assert first[-1].choices[0].delta.content == "w2 "
    stream.close()
    deadline = time.monotonic() + 15
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "cancelled"
    server.wait_for_line(r"stream \w+  200  events=\d+ .* end=cancelled")
    # The only slot is free again: the next request is served, not refused.
    again = client.chat.completions.create(
        model="chat", messages=[{"role": "user", "content": "count 2"}]
    )
    assert again.choices[0].message.content == "w0 w1 "


def test_a_model_failing_mid_stream_is_an_sdk_error_and_no_done(
    shared_server: SharedServer,
) -> None:
    server = shared_server("misbehaving")
    stream = sdk(server).chat.completions.create(
        model="misbehaving", messages=[{"role": "user", "content": "raise"}], stream=True
    )
    texts = []
    with pytest.raises(openai.APIError) as caught:
        for chunk in stream:
            texts.append(chunk.choices[0].delta.content)
    assert texts == ["", "one", "two"]
    assert caught.value.code == "model_error"
    assert "ValueError: boom at token 3" in caught.value.message
    raw = httpx.post(
        f"{server.url}/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "raise"}], "stream": True},
        timeout=30,
    )
    data = sse_data(raw.content)
    assert "[DONE]" not in data
    assert json.loads(data[-1])["error"]["type"] == "server_error"
    with pytest.raises(openai.InternalServerError) as failed:
        sdk(server).chat.completions.create(
            model="misbehaving", messages=[{"role": "user", "content": "raise"}]
        )
    assert failed.value.status_code == 500 and failed.value.code == "model_error"


def test_bad_requests_get_openai_shaped_errors(shared_server: SharedServer) -> None:
    server = shared_server("openai_text")
    url = f"{server.url}/v1/chat/completions"

    def error(response: httpx.Response) -> tuple[int, dict[str, object]]:
        return response.status_code, response.json()["error"]

    user: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    assert error(httpx.post(url, content=b"{nope", headers={"content-type": "application/json"}))[
        1
    ]["code"] == ("invalid_json")
    assert error(httpx.post(url, json={"model": "text"})) == (
        400,
        {
            "message": "'messages' must be a non-empty list of {role, content} objects",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "invalid_request",
        },
    )
    status, body = error(httpx.post(url, json={"messages": [{"role": "robot", "content": "x"}]}))
    assert (status, body["param"]) == (400, "messages[0]")
    assert error(httpx.post(url, json={"messages": user, "n": 2}))[1]["param"] == "n"
    assert error(httpx.post(url, json={"messages": user, "temperature": 9}))[1]["param"] == (
        "temperature"
    )
    image = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]
    assert error(httpx.post(url, json={"messages": image}))[1]["message"] == (
        "messages[0].content[0]: only text parts are supported (got type 'image_url')"
    )
    assert error(httpx.post(url, json={"model": "gpt-4o", "messages": user})) == (
        404,
        {
            "message": "The model `gpt-4o` does not exist; this server serves `text`",
            "type": "invalid_request_error",
            "param": "model",
            "code": "model_not_found",
        },
    )
    assert error(httpx.post(url, json={"messages": user, "top_p": "high"}))[0] == 400
    prompt_ids = httpx.post(f"{server.url}/v1/completions", json={"prompt": [1, 2, 3]})
    assert error(prompt_ids)[1]["message"] == (
        "token-id prompts are not supported: send the prompt as text"
    )
    unknown = httpx.get(f"{server.url}/v1/embeddings")
    assert error(unknown) == (
        404,
        {
            "message": "GET /v1/embeddings: no such route",
            "type": "invalid_request_error",
            "param": None,
            "code": "not_found",
        },
    )
    # After all that the server still answers.
    assert httpx.post(url, json={"messages": user}, timeout=30).status_code == 200


def test_a_required_input_no_parameter_fills_is_a_422_unless_sent_as_extra_body(
    shared_server: SharedServer,
) -> None:
    client = sdk(shared_server("openai_required"))
    user: list[ChatCompletionMessageParam] = [{"role": "user", "content": "hi"}]
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.chat.completions.create(model="required", messages=user)
    assert caught.value.code == "missing_inputs"
    assert caught.value.param == "beams"
    assert "send them as extra body fields" in caught.value.message
    answer = client.chat.completions.create(
        model="required", messages=user, extra_body={"beams": 3}
    )
    assert answer.choices[0].message.content == "hi x3"
    with pytest.raises(openai.UnprocessableEntityError) as wrong:
        client.chat.completions.create(model="required", messages=user, extra_body={"beams": 1.5})
    assert wrong.value.body == {
        "message": "'beams' is 1.5, which input 'beams' (INT) cannot take",
        "type": "invalid_request_error",
        "param": "beams",
        "code": "invalid_input",
    }


def test_leaving_before_a_whole_answer_cancels_it_too(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("openai_chat")
    marker = tmp_path / "cancelled"
    body = {
        "messages": [{"role": "user", "content": "count 500"}],
        "delay_ms": 50,
        "marker": str(marker),
    }
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{server.url}/v1/chat/completions", json=body, timeout=1.0)
    deadline = time.monotonic() + 15
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "cancelled"
