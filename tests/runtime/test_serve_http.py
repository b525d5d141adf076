"""`infer serve`'s HTTP surface: non-streaming answers, metadata, health, and bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import StartServer
from tests.servers import v2_body

JSON = {"content-type": "application/json"}


def test_non_streaming_model_answers_with_v2_outputs(start_server: StartServer) -> None:
    server = start_server("basic_model")
    for path in ("/v2/models/basic/infer", "/v2/models/basic/versions/1/infer"):
        response = httpx.post(server.url + path, json=v2_body(prompt="hello"), timeout=30)
        assert response.status_code == 200
        assert response.json() == {
            "model_name": "basic",
            "model_version": "1",
            "outputs": [
                {"name": "generated_text", "datatype": "BYTES", "shape": [1], "data": ["HELLO!"]},
                {"name": "length", "datatype": "INT64", "shape": [1], "data": [5]},
            ],
        }
    server.wait_for_line(r"request 1  200  duration=[\d.]+ms")


def test_pydantic_model_gets_its_request_object(start_server: StartServer) -> None:
    server = start_server("pydantic_model")
    meta = httpx.get(f"{server.url}/v2/models/pydantic-model", timeout=10).json()
    assert [(i["name"], i["datatype"], i["required"]) for i in meta["inputs"]] == [
        ("prompt", "STRING", True),
        ("repeat", "INT", False),
    ]
    response = httpx.post(
        f"{server.url}/v2/models/pydantic-model/infer",
        json=v2_body(prompt="hi", repeat=3),
        timeout=30,
    )
    assert response.json()["outputs"] == [
        {"name": "generated_text", "datatype": "BYTES", "shape": [1], "data": ["hi hi hi"]}
    ]


def test_metadata_and_health(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    assert httpx.get(f"{server.url}/v2/health/live").json() == {"live": True}
    assert httpx.get(f"{server.url}/v2/health/ready").json() == {"ready": True}
    assert httpx.get(f"{server.url}/v2/models/echo/ready").status_code == 200
    meta = httpx.get(f"{server.url}/v2/models/echo").json()
    assert meta["streaming"] is True and meta["ready"] is True
    assert meta["inputs"][0] == {
        "name": "TEXT",
        "datatype": "STRING",
        "wire_datatype": "BYTES",
        "shape": [1],
        "required": True,
        "example": ["hello world"],
    }
    assert meta["inference_time_s"] == 30.0  # from its inferless.yaml


def test_readiness_is_503_while_initialize_runs(start_server: StartServer) -> None:
    server = start_server("slow_init", ready=False, env={"SLOW_INIT_SECONDS": "3"})
    server.wait_for_line("running initialize")
    response = httpx.get(f"{server.url}/v2/health/ready")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "model_loading"
    early = httpx.post(f"{server.url}/v2/models/slow_init/infer", json=v2_body(TEXT="x"))
    assert early.status_code == 503 and early.headers["retry-after"] == "1"
    server.wait_ready()
    answer = httpx.post(f"{server.url}/v2/models/slow_init/infer", json=v2_body(TEXT="x"))
    assert answer.json()["outputs"][0]["data"] == ["x"]


def test_initialize_failure_under_reload_keeps_the_server_up_with_a_clear_error(
    start_server: StartServer,
) -> None:
    server = start_server(
        "slow_init",
        "--reload",
        ready=False,
        env={"SLOW_INIT_SECONDS": "0", "SLOW_INIT_FAIL": "1"},
    )
    server.wait_for_line("initialize\\(\\) raised RuntimeError: weights not found")
    response = httpx.get(f"{server.url}/v2/health/ready")
    assert response.status_code == 503
    assert response.json()["error"] == {
        "code": "initialize_failed",
        "message": "the model failed to load: initialize() raised RuntimeError: "
        "weights not found at /models/missing",
    }
    assert httpx.get(f"{server.url}/v2/health/live").status_code == 200


def test_bad_requests_get_specific_json_errors(start_server: StartServer) -> None:
    server = start_server("basic_model")
    infer = f"{server.url}/v2/models/basic/infer"

    def error(response: httpx.Response) -> tuple[int, str, str]:
        body = response.json()["error"]
        return response.status_code, body["code"], body["message"]

    status, code, message = error(httpx.post(infer, content=b"{not json", headers=JSON))
    assert (status, code) == (400, "invalid_json")
    assert message.startswith("the request body is not valid JSON: Expecting property name")
    assert error(httpx.post(infer, json=v2_body(promt="hi"))) == (
        422,
        "invalid_inputs",
        "unknown input 'promt' (did you mean 'prompt'?)",
    )
    assert error(httpx.post(infer, json=v2_body(temperature=0.5))) == (
        422,
        "invalid_inputs",
        "required input 'prompt' is missing",
    )
    wrong_type = {"inputs": [{"name": "prompt", "shape": [1], "datatype": "BYTES", "data": [3]}]}
    assert error(httpx.post(infer, json=wrong_type)) == (
        422,
        "invalid_inputs",
        "input 'prompt': data[0] is an integer, expected STRING",
    )
    wrong_shape = {
        "inputs": [{"name": "prompt", "shape": [2], "datatype": "BYTES", "data": ["a", "b"]}]
    }
    assert error(httpx.post(infer, json=wrong_shape))[2] == (
        "input 'prompt': shape [1] needs 1 value(s), got 2"
    )
    assert error(httpx.post(infer, json={"prompt": "hi"}))[0] == 422
    assert error(httpx.post(f"{server.url}/v2/models/nope/infer", json=v2_body(prompt="x"))) == (
        404,
        "model_not_found",
        "no model named 'nope'; this server serves 'basic'",
    )
    huge = b'{"inputs": [{"name": "prompt", "data": ["' + b"x" * (17 * 1024 * 1024) + b'"]}]}'
    assert error(httpx.post(infer, content=huge, headers=JSON, timeout=30))[:2] == (
        413,
        "body_too_large",
    )
    assert error(httpx.get(f"{server.url}/v2/nothing-here"))[:2] == (404, "not_found")
    assert error(httpx.get(infer))[:2] == (422, "invalid_inputs")  # GET takes query inputs
    assert error(httpx.put(infer))[:2] == (405, "method_not_allowed")
    server.wait_for_line("request -  422  invalid_inputs: unknown input 'promt'")
    # After all that, the server still serves.
    assert httpx.post(infer, json=v2_body(prompt="ok")).status_code == 200


def test_over_capacity_is_503_with_retry_after(start_server: StartServer) -> None:
    server = start_server("echo_stream", "--queue-size", "0")
    with httpx.stream(
        "POST",
        f"{server.url}/v2/models/echo/infer",
        json=v2_body(TEXT="a b c d e f", DELAY=300),
        timeout=30,
    ) as first:
        chunks = first.iter_raw()
        next(chunks)  # the first request holds the only slot (and is still being read)
        second = httpx.post(f"{server.url}/v2/models/echo/infer", json=v2_body(TEXT="x"))
        assert second.status_code == 503
        assert second.headers["retry-after"] == "1"
        assert second.json()["error"]["code"] == "over_capacity"
        assert b"event: done" in b"".join(chunks)


def test_a_busy_port_is_a_clear_error(start_server: StartServer) -> None:
    server = start_server("basic_model")
    port = server.url.rsplit(":", 1)[1]
    done = subprocess.run(
        [sys.executable, "-m", "infer", "serve", str(server.repo), "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 1
    assert f"error: port {port} on 127.0.0.1 is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def test_gpu_flag_without_a_gpu_fails_before_loading(start_server: StartServer) -> None:
    server = start_server("basic_model", "--gpu", ready=False)
    server.wait_for_line("no CUDA device is visible to PyTorch|torch is not installed")
    assert server.process.wait(30) == 1


def test_serving_a_folder_without_app_py_is_a_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infer", "serve", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {tmp_path} has no app.py, so there is no model to serve")
