"""How OpenAI requests map onto a repo's inputs (in process, no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infer.repo.datatypes import InputSpec
from infer.runtime.server.openai.errors import OpenAIError, from_runtime
from infer.runtime.server.openai.mapping import map_request, plan_inputs, render_transcript
from infer.runtime.server.openai.outputs import EventText, result_text
from infer.runtime.server.openai.repo_flag import OpenAIFlag, read_openai_flag
from infer.runtime.server.openai.request import Message, parse_request


def spec(
    name: str, datatype: str = "STRING", required: bool = False, shape: Any = (1,)
) -> InputSpec:
    return InputSpec(name, datatype, required, tuple(shape))


def chat(**body: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": "hi"}], **body}


def test_a_message_input_takes_the_json_list_even_without_the_flag() -> None:
    plan = plan_inputs([spec("messages", required=True), spec("max_new_tokens", "INT")], False)
    assert (plan.conversation, plan.style) == ("messages", "messages_json")
    assert plan.parameters == {"max_tokens": "max_new_tokens"}
    mapped = map_request(
        parse_request(chat(max_completion_tokens=9), "chat"),
        [
            spec("messages", required=True),
            spec("max_new_tokens", "INT"),
        ],
        plan,
    )
    assert mapped.inputs == {
        "messages": '[{"role": "user", "content": "hi"}]',
        "max_new_tokens": 9,
    }


def test_the_flag_makes_the_single_string_input_take_the_json_list() -> None:
    specs = [spec("PROMPT", required=True)]
    assert plan_inputs(specs, True).style == "messages_json"
    assert plan_inputs(specs, False).style == "transcript"


def test_the_prompt_input_is_chosen_among_several_strings() -> None:
    specs = [spec("style"), spec("TEXT", required=True), spec("stop")]
    plan = plan_inputs(specs, False)
    assert plan.conversation == "TEXT"
    assert plan.parameters == {"stop": "stop"}
    by_name = plan_inputs([spec("style"), spec("query")], False)
    assert by_name.conversation == "query"
    unclear = plan_inputs([spec("a"), spec("b")], False)
    assert unclear.conversation is None
    with pytest.raises(OpenAIError) as caught:
        map_request(parse_request(chat(), "chat"), [spec("a"), spec("b")], unclear)
    assert caught.value.status == 422
    assert caught.value.message == (
        "the model has several STRING inputs (a, b) and none is the obvious prompt; "
        "name one messages, message, TEXT or prompt"
    )
    none = plan_inputs([spec("n", "INT")], False)
    assert none.problem == "the model has no STRING input to take the conversation"


def test_transcript_puts_earlier_turns_above_the_question() -> None:
    assert render_transcript((Message("user", "Eggs?"),)) == "Eggs?"
    turns = (
        Message("developer", "Be brief."),
        Message("user", "Eggs?"),
        Message("assistant", "Two."),
        Message("tool", "42"),
        Message("user", "Then?"),
    )
    assert render_transcript(turns) == (
        "System: Be brief.\nUser: Eggs?\nAssistant: Two.\nTool: 42\n\nThen?"
    )
    # Ending on an assistant turn (a prefill): the whole conversation is transcript.
    assert render_transcript((Message("user", "Eggs?"), Message("assistant", "Two"))) == (
        "User: Eggs?\nAssistant: Two"
    )


def test_parameters_are_converted_to_the_inputs_datatypes_and_shapes() -> None:
    specs = [
        spec("TEXT", required=True),
        spec("temperature", "FP32"),
        spec("seed", "INT64"),
        spec("stop_sequences", shape=(-1,)),
        spec("sample", "BOOLEAN"),
    ]
    request = parse_request(
        chat(temperature=1, seed=5, stop="END", sample=True, top_p=0.5, user="me"), "chat"
    )
    mapped = map_request(request, specs, plan_inputs(specs, False))
    assert mapped.inputs == {
        "TEXT": "hi",
        "temperature": 1.0,
        "seed": 5,
        "stop_sequences": ["END"],
        "sample": True,
    }
    assert mapped.warnings() == [
        "'top_p' was ignored: the model declares no input named top_p",
        "'user' was ignored: the model declares no input of that name",
    ]
    taken = map_request(parse_request(chat(TEXT="again"), "chat"), specs, plan_inputs(specs, False))
    assert taken.warnings() == [
        "'TEXT' was ignored: input TEXT already receives the conversation or another parameter"
    ]
    noisy = parse_request(chat(**{f"field{i}": i for i in range(40)}, **{"x" * 500: 1}), "chat")
    lines = map_request(noisy, specs, plan_inputs(specs, False)).warnings()
    assert len(lines) == 16 and lines[-1] == "... and 26 more ignored parameters"
    with pytest.raises(OpenAIError) as caught:
        bad = parse_request(chat(sample="yes"), "chat")
        map_request(bad, specs, plan_inputs(specs, False))
    assert (caught.value.status, caught.value.param) == (422, "sample")


def test_completions_send_the_prompt_as_it_is_or_as_one_user_message() -> None:
    request = parse_request({"prompt": ["Once upon"]}, "completion")
    text_specs = [spec("TEXT", required=True)]
    assert map_request(request, text_specs, plan_inputs(text_specs, False)).inputs == {
        "TEXT": "Once upon"
    }
    chat_specs = [spec("message", required=True)]
    assert map_request(request, chat_specs, plan_inputs(chat_specs, False)).inputs == {
        "message": '[{"role": "user", "content": "Once upon"}]'
    }


@pytest.mark.parametrize(
    ("body", "param", "message"),
    [
        ([], None, "the request body must be a JSON object"),
        (chat(model=3), "model", "'model' must be a string"),
        (chat(stream="yes"), "stream", "'stream' must be true or false"),
        (
            chat(stream_options={"include_usage": 1}),
            "stream_options.include_usage",
            "'stream_options.include_usage' must be true or false",
        ),
        (chat(max_tokens=0), "max_tokens", "'max_tokens' must be a positive integer"),
        (chat(seed=1.5), "seed", "'seed' must be an integer"),
        (chat(stop=[1]), "stop", "'stop' must be a string or a list of strings"),
        (
            {"messages": [{"role": "user", "content": 5}]},
            "messages[0].content",
            "messages[0].content must be a string or a list of text parts",
        ),
    ],
)
def test_malformed_requests_name_the_parameter(body: Any, param: str | None, message: str) -> None:
    with pytest.raises(OpenAIError) as caught:
        parse_request(body, "chat")
    assert (caught.value.status, caught.value.param, caught.value.message) == (400, param, message)


def test_null_parameters_count_as_not_sent() -> None:
    request = parse_request(chat(temperature=None, n=1, stream=None), "chat")
    assert request.params == {} and request.stream is False


def test_event_text_picks_the_text_field_and_the_finish_reason() -> None:
    reader = EventText()
    assert reader.read({"OUT": "Hi", "index": 1, "finish_reason": ""}) == "Hi"
    assert reader.read({"OUT": "!", "index": 2, "finish_reason": "length"}) == "!"
    assert reader.finish_reason == "length"
    several = EventText()
    assert several.read({"lang": "en", "generated_text": "Bonjour"}) == "Bonjour"
    opaque = EventText()
    assert opaque.read({"score": 3}) == '{"score": 3}'
    outputs = [
        {"name": "generated_text", "data": ["a", "b"]},
        {"name": "finish_reason", "data": ["length"]},
    ]
    assert result_text(outputs) == ("ab", "length")


def test_runtime_failures_keep_the_v2_statuses() -> None:
    timeout = from_runtime({"code": "inference_timeout", "message": "slow", "retryable": True})
    assert timeout.status == 504
    crashed = from_runtime({"code": "worker_crashed", "message": "died", "retryable": True})
    assert (crashed.status, crashed.retry_after) == (503, 1)
    assert from_runtime({"code": "model_error", "message": "boom"}).body() == {
        "error": {"message": "boom", "type": "server_error", "param": None, "code": "model_error"}
    }


def test_the_platform_flag_is_read_statically_and_reread_on_change(tmp_path: Path) -> None:
    schema = tmp_path / "input_schema.py"
    schema.write_text("INPUT_SCHEMA = {}\nOPENAI_CLIENT_COMPATIBLITY = True\n")
    flag = OpenAIFlag(tmp_path)
    assert flag.read() is True
    schema.write_text("import os\nINPUT_SCHEMA = {}\nOPENAI_CLIENT_COMPATIBLITY = os.environ\n")
    assert flag.read() is False  # only the literal True counts; nothing is executed
    schema.write_text("OPENAI_CLIENT_COMPATIBLITY: bool = True\n")
    assert read_openai_flag(tmp_path) is True
    schema.write_text("def broken(:\n")
    assert read_openai_flag(tmp_path) is False
    schema.unlink()
    (tmp_path / "app.py").write_text("OPENAI_CLIENT_COMPATIBLITY = True\n")
    assert read_openai_flag(tmp_path) is True
