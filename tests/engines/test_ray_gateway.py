"""The gateway and a model replica wired in process, without Ray: a stand-in handle calls the
replica's methods the way a Ray Serve handle would. Fast checks of the parts the cluster tests
cannot force: a non-streaming model, and a replica whose answer breaks off."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from infer.engines.ray.gateway import Gateway
from infer.engines.ray.replica import ModelReplica
from infer.engines.ray.settings import RayServeSettings
from infer.repo.datatypes import InputSpec
from tests.servers import MODELS, parse_sse, v2_body


class _Call:
    def __init__(self, method: Callable[..., Any], stream: bool) -> None:
        self._method = method
        self._stream = stream

    def remote(self, *args: Any) -> Any:
        if self._stream:
            return _Generator(self._method(*args))

        async def answer() -> Any:
            return self._method(*args)

        return answer()


class _Generator:
    """Like Ray's DeploymentResponseGenerator: async-iterable, with cancel()."""

    def __init__(self, generator: AsyncIterator[Any]) -> None:
        self._generator = generator

    def __aiter__(self) -> AsyncIterator[Any]:
        return self._generator

    def cancel(self) -> None:
        """Ray cancels the replica's generator; here the task's cancellation does."""


class StandInHandle:
    """The subset of a DeploymentHandle the gateway uses, calling a local object."""

    def __init__(self, target: Any, stream: bool = False) -> None:
        self._target = target
        self._stream = stream

    def options(self, stream: bool = False) -> StandInHandle:
        return StandInHandle(self._target, stream)

    def __getattr__(self, name: str) -> _Call:
        return _Call(getattr(self._target, name), self._stream)


@pytest.fixture
def restore_process_state() -> Iterator[None]:
    """load_model changes the working directory and sys.path, as it may in a replica."""
    cwd, path = os.getcwd(), list(sys.path)
    modules = {name: sys.modules.get(name) for name in ("app", "input_schema")}
    try:
        yield
    finally:
        os.chdir(cwd)
        sys.path[:] = path
        for name, module in modules.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def _client(repo: Path, name: str, target: Any | None = None) -> TestClient:
    settings = RayServeSettings(repo=repo, model_name=name, inference_time_s=30)
    replica = target or ModelReplica(str(repo))
    gateway = Gateway(StandInHandle(replica), settings.gateway_config())
    # A loopback Host, as a real client sends: the browser guard refuses TestClient's "testserver".
    return TestClient(gateway.__serve_build_asgi_app__(), base_url="http://127.0.0.1")


def _wait_ready(client: TestClient) -> None:
    for _ in range(500):
        if client.get("/v2/health/ready").status_code == 200:
            return
        time.sleep(0.01)
    raise AssertionError("the gateway never became ready")


def test_a_non_streaming_model_answers_v2_outputs(restore_process_state: None) -> None:
    with _client(MODELS / "basic_model", "basic") as client:
        _wait_ready(client)
        response = client.post("/v2/models/basic/infer", json=v2_body(prompt="hi"))
    assert response.status_code == 200
    outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
    assert outputs == {"generated_text": ["HI!"], "length": [2]}


def test_streamed_events_are_the_local_engines_bytes(restore_process_state: None) -> None:
    with _client(MODELS / "echo_stream", "echo") as client:
        _wait_ready(client)
        response = client.post("/v2/models/echo/infer", json=v2_body(TEXT="a b c"))
    # The local runtime's opening (retry + the stream's id at admission), then <stream>:<n> ids.
    opening = r'retry: 3000\nid: (\w+):0\n\nid: \1:1\ndata: \{"OUT":"a "\}\n\n'
    assert re.match(opening, response.text)
    events, _ = parse_sse(response.content)
    assert [e.event for e in events] == ["message"] * 3 + ["done"]


class _BreaksOff:
    """A replica that sends two events and then is lost (as its node dies)."""

    def describe(self) -> dict[str, Any]:
        text = InputSpec("TEXT", "STRING", True, (1,), ("x",))
        return {"streaming": True, "inputs": [text.to_metadata()]}

    async def run(self, inputs: dict[str, Any]) -> AsyncIterator[list[tuple[int, bytes]]]:
        yield [(4, b'{"OUT":"a"}'), (4, b'{"OUT":"b"}')]
        raise RuntimeError("ActorDiedError: The actor died unexpectedly")


def test_a_replica_lost_mid_stream_ends_it_with_worker_crashed(tmp_path: Path) -> None:
    with _client(tmp_path, "lost", _BreaksOff()) as client:
        _wait_ready(client)
        response = client.post("/v2/models/lost/infer", json=v2_body(TEXT="x"))
    events, _ = parse_sse(response.content)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[-1].event == "error"
    error = json.loads(events[-1].data)
    assert error["code"] == "worker_crashed" and error["retryable"] is True
    assert "ActorDiedError" in error["message"]
