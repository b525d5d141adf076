"""`infer serve`'s HTTP surface, for real: answers, metadata from the repo, and start-up errors.
Bad input, readiness and admission run in process (tests/runtime/inprocess)."""

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
