"""The worker's side of the wire in process: the real serve_forever loop on a socketpair,
loading the test model repos, and the exact frames it sends (see wire.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from infer.runtime.wire import Kind
from infer.runtime.worker import process
from tests.runtime.inprocess.conftest import StartWorker
from tests.servers import MODELS

pytestmark = pytest.mark.timeout(60)


def test_a_non_streaming_model_says_hello_ready_and_answers_with_v2_outputs(
    run_worker: StartWorker,
) -> None:
    worker = run_worker(MODELS / "basic_model")
    hello = worker.expect(Kind.HELLO)
    assert hello["streaming"] is False
    assert hello["pid"] == os.getpid()
    assert [entry["name"] for entry in hello["inputs"]] == ["prompt", "temperature", "flags"]
    assert hello["inputs"][0] == {
        "name": "prompt",
        "datatype": "STRING",
        "wire_datatype": "BYTES",
        "shape": [1],
        "required": True,
        "example": ["hi"],
    }
    assert worker.expect(Kind.READY) == {"device": "cpu"}
    worker.infer(7, prompt="hello")
    assert worker.expect(Kind.RESULT, 7) == {
        "outputs": [
            {"name": "generated_text", "datatype": "BYTES", "shape": [1], "data": ["HELLO!"]},
            {"name": "length", "datatype": "INT64", "shape": [1], "data": [5]},
        ]
    }
    assert worker.stop() == 0


def test_non_finite_floats_travel_as_strings(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "nan_model")
    worker.ready()
    worker.infer(1, prompt="hi")
    kind, number, payload = worker.frame()
    assert (kind, number) == (Kind.RESULT, 1)
    assert b"NaN" in payload and json.loads(payload)["outputs"][0]["data"] == ["NaN"]
    json.loads(payload, parse_constant=pytest.fail)  # strict JSON


def test_a_stream_is_events_of_compact_json_then_done(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "echo_stream")
    assert worker.ready()["streaming"] is True
    worker.infer(1, TEXT="crème brûlée")
    events, kind, data = worker.until_terminal(1)
    assert events == ['{"OUT":"crème "}'.encode(), '{"OUT":"brûlée "}'.encode()]
    assert (kind, data) == (Kind.DONE, {"auto_finalised": False})


def test_requests_run_side_by_side(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "echo_stream")
    worker.ready()
    worker.infer(1, TEXT="x", COUNT=20, DELAY=5)
    worker.infer(2, TEXT="a b")
    finished: dict[int, Kind] = {}
    counts = {1: 0, 2: 0}
    while len(finished) < 2:
        kind, number, _ = worker.frame()
        if kind == Kind.EVENT:
            counts[number] += 1
        else:
            finished[number] = kind
    assert finished == {1: Kind.DONE, 2: Kind.DONE}
    assert counts == {1: 20, 2: 2}


def test_a_model_raising_mid_stream_is_an_error_frame(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "misbehaving")
    worker.ready()
    worker.infer(1, MODE="raise")
    events, kind, data = worker.until_terminal(1)
    assert len(events) == 2
    assert (kind, data) == (
        Kind.ERROR,
        {"code": "model_error", "message": "ValueError: boom at token 3", "retryable": False},
    )


@pytest.mark.parametrize(
    ("mode", "code", "message_end"),
    [
        ("schema", "output_schema_changed", "this one has 'OUT' changed from str to int"),
        ("new_key", "output_schema_changed", "this one has new key(s) ['EXTRA']"),
        (
            "after_finalise",
            "send_after_finalise",
            "send_streamed_output was called after finalise_streamed_output",
        ),
        ("not_dict", "invalid_event", "send_streamed_output takes a dict, got str"),
    ],
)
def test_contract_violations_are_error_frames_with_their_code(
    run_worker: StartWorker, mode: str, code: str, message_end: str
) -> None:
    worker = run_worker(MODELS / "misbehaving")
    worker.ready()
    worker.infer(1, MODE=mode)
    _, kind, data = worker.until_terminal(1)
    assert kind == Kind.ERROR
    assert (data["code"], data["retryable"]) == (code, False)
    assert data["message"].endswith(message_end)


def test_a_stream_never_finalised_is_done_with_auto_finalised(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "misbehaving")
    worker.ready()
    worker.infer(1, MODE="no_finalise")
    events, kind, data = worker.until_terminal(1)
    assert (len(events), kind, data) == (1, Kind.DONE, {"auto_finalised": True})


def test_cancel_makes_the_next_send_raise_and_ends_with_cancelled(
    run_worker: StartWorker, tmp_path: Path
) -> None:
    marker = tmp_path / "cancelled"
    worker = run_worker(MODELS / "echo_stream")
    worker.ready()
    worker.infer(3, TEXT="x", COUNT=1000, DELAY=10, MARKER=str(marker))
    assert worker.frame()[:2] == (Kind.EVENT, 3)
    worker.send(Kind.CANCEL, 3)
    events, kind, data = worker.until_terminal(3)
    assert len(events) < 999
    assert (kind, data) == (
        Kind.ERROR,
        {"code": "cancelled", "message": "the request was cancelled", "retryable": True},
    )
    assert marker.read_text() == "cancelled"  # the model saw it and cleaned up


def test_a_pydantic_stream_gets_its_request_object(run_worker: StartWorker) -> None:
    worker = run_worker(MODELS / "pydantic_stream")
    hello = worker.ready()
    assert [(i["name"], i["datatype"]) for i in hello["inputs"]] == [
        ("prompt", "STRING"),
        ("shout", "BOOLEAN"),
    ]
    worker.infer(1, prompt="eggs and butter", shout=True)
    events, kind, _ = worker.until_terminal(1)
    assert events == [b'{"OUT":"EGGS"}', b'{"OUT":"AND"}', b'{"OUT":"BUTTER"}']
    assert kind == Kind.DONE


def test_a_failing_initialize_is_init_failed_after_hello(
    run_worker: StartWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SLOW_INIT_SECONDS", "0")
    monkeypatch.setenv("SLOW_INIT_FAIL", "1")
    worker = run_worker(MODELS / "slow_init")
    worker.expect(Kind.HELLO)
    failure = worker.expect(Kind.INIT_FAILED)
    assert failure["code"] == "initialize_failed"
    assert failure["message"] == (
        "initialize() raised RuntimeError: weights not found at /models/missing"
    )
    assert failure["fatal"] is False
    assert failure["traceback"].startswith("Traceback (most recent call last):")
    assert worker.stop() == 1


def test_an_app_that_cannot_be_imported_is_init_failed_without_hello(
    run_worker: StartWorker, tmp_path: Path
) -> None:
    repo = tmp_path / "broken"
    repo.mkdir()
    (repo / "app.py").write_text("import not_a_module_anywhere\n")
    worker = run_worker(repo)
    failure = worker.expect(Kind.INIT_FAILED)
    assert failure["code"] == "import_failed"
    assert failure["message"] == (
        "importing the model raised ModuleNotFoundError: No module named 'not_a_module_anywhere'"
    )
    assert worker.stop() == 1
    (repo / "app.py").write_text("class Model:\n    pass\n")
    classless = run_worker(repo).expect(Kind.INIT_FAILED)
    assert classless["message"].endswith("defines no class InferlessPythonModel")


def test_gpu_without_a_usable_gpu_is_a_fatal_init_failure(
    run_worker: StartWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "_check_gpu", lambda: "no CUDA device is visible to PyTorch")
    worker = run_worker(MODELS / "basic_model", gpu=True)
    assert worker.expect(Kind.INIT_FAILED) == {
        "code": "no_gpu",
        "message": "no CUDA device is visible to PyTorch",
        "fatal": True,
        "traceback": "",
    }
    assert worker.stop() == 1


def test_shutdown_runs_finalize_and_returns_0(
    run_worker: StartWorker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = tmp_path / "finalized"
    monkeypatch.setenv("ECHO_FINALIZE_MARKER", str(marker))
    worker = run_worker(MODELS / "echo_stream")
    worker.ready()
    worker.infer(1, TEXT="x", COUNT=100000, DELAY=10)
    assert worker.frame()[:2] == (Kind.EVENT, 1)
    worker.send(Kind.SHUTDOWN)
    worker.thread.join(15)
    assert worker.exit_code == 0
    assert marker.read_text() == "finalized"
    assert worker.exits == []


def test_a_vanished_server_ends_the_worker_with_a_deadline(
    run_worker: StartWorker, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marker = tmp_path / "finalized"
    monkeypatch.setenv("ECHO_FINALIZE_MARKER", str(marker))
    worker = run_worker(MODELS / "echo_stream")
    worker.ready()
    worker.server_end.close()  # the server died without a word
    worker.thread.join(15)
    assert worker.exits == ["the server went away"]  # os._exit would follow in 5 s
    assert worker.exit_code == 0
    assert marker.read_text() == "finalized"


def test_nan_in_a_streamed_event_is_an_invalid_event_never_invalid_json(
    run_worker: StartWorker,
) -> None:
    worker = run_worker(MODELS / "slow_start")
    worker.ready()
    worker.infer(1, NAN=True)
    events, kind, data = worker.until_terminal(1)
    assert events == [b'{"OUT":"ok ","score":1.0}']
    assert (kind, data["code"]) == (Kind.ERROR, "invalid_event")
    assert "Out of range float values are not JSON compliant" in data["message"]
