"""`infer serve` under faults and hostile input, for real: signals, stuck requests, limits.
Shutdown's in-band answers run in process too (tests/runtime/inprocess)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import StartServer
from tests.servers import ServerProcess, parse_sse, v2_body


def _process_gone(pid: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie child of a dead parent is gone for our purposes
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split(") ")[1].startswith("Z"):
                    return True
        except OSError:
            return True
        time.sleep(0.05)
    return False


def _worker_pid(server: ServerProcess) -> int:
    return int(server.wait_for_line(r"worker pid (\d+)").group(1))


def _post(server: ServerProcess, **inputs: Any) -> httpx.Response:
    name = server.repo.name if server.repo.name != "stubborn" else "stubborn"
    return httpx.post(f"{server.url}/v2/models/{name}/infer", json=v2_body(**inputs), timeout=60)


def _in_background(results: list[Any], call: Any) -> threading.Thread:
    def run() -> None:
        try:
            results.append(call())
        except httpx.HTTPError as error:
            results.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_hung_finalize_is_cut_off_at_the_shutdown_grace(
    start_server: StartServer, tmp_path: Path
) -> None:
    marker = tmp_path / "finalize"
    server = start_server(
        "stubborn",
        "--shutdown-grace",
        "2",
        env={"STUBBORN_FINALIZE_HANG": "1", "STUBBORN_FINALIZE_MARKER": str(marker)},
    )
    worker = _worker_pid(server)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(15)
    assert time.monotonic() - started < 2 + 3
    assert marker.read_text() == "finalize started"
    assert "did not finish finalize() within" in server.output
    assert _process_gone(worker)
    assert "Traceback" not in server.output


def test_a_second_ctrl_c_exits_at_once_and_kills_the_worker(
    start_server: StartServer, tmp_path: Path
) -> None:
    marker = tmp_path / "finalize"
    server = start_server(
        "stubborn",
        "--shutdown-grace",
        "60",
        env={"STUBBORN_FINALIZE_HANG": "1", "STUBBORN_FINALIZE_MARKER": str(marker)},
    )
    worker = _worker_pid(server)
    server.process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # finalize() is now hanging
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(10) == 130
    assert time.monotonic() - started < 2
    assert _process_gone(worker)
    server.stop()
    assert "second signal: exiting now" in server.output
    assert "Traceback" not in server.output


def test_kill_9_of_the_server_takes_the_worker_with_it(start_server: StartServer) -> None:
    server = start_server("stubborn")
    worker = _worker_pid(server)
    server.process.kill()
    server.process.wait(10)
    assert _process_gone(worker, timeout=5)


def test_a_request_that_ignores_cancellation_does_not_end_healthy_streams(
    start_server: StartServer,
) -> None:
    server = start_server("stubborn", "--concurrency", "2")
    healthy: list[Any] = []
    thread = _in_background(healthy, lambda: _post(server, MODE="healthy", COUNT=100, DELAY=100))
    with httpx.stream(
        "POST",
        f"{server.url}/v2/models/stubborn/infer",
        json=v2_body(MODE="ignore_cancel", HOLD=60),
        timeout=30,
    ) as stuck:
        stream_id = stuck.headers["x-stream-id"]
        deleted = httpx.delete(f"{server.url}/v2/models/stubborn/streams/{stream_id}")
        assert deleted.status_code == 204
        stuck.read()
    server.wait_for_line(r"ignored its cancellation; draining worker \d+ \(1 healthy", timeout=20)
    thread.join(40)
    events = parse_sse(healthy[0].content)[0]
    assert events[-1].event == "done", events[-1]
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == [f"e{i}" for i in range(100)]
    server.wait_for_line(r"drained worker \d+: its healthy requests are done", timeout=10)
    server.wait_ready()
    after = parse_sse(_post(server, MODE="healthy", COUNT=2).content)[0]
    assert after[-1].event == "done"


def test_hostile_bodies_get_clear_400s_and_capped_answers(start_server: StartServer) -> None:
    server = start_server("stubborn")
    url = f"{server.url}/v2/models/stubborn/infer"
    deep = httpx.post(
        url, content=b"[" * 100_000 + b"]" * 100_000, headers={"content-type": "application/json"}
    )
    assert deep.status_code == 400
    assert deep.json()["error"]["code"] == "json_too_deep"
    many = [{"name": "BOGUS", "shape": [1], "datatype": "BYTES", "data": ["x"]}] * 3000
    too_many = httpx.post(url, json={"inputs": many}, timeout=60)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "too_many_inputs"
    inputs = [
        {"name": f"BOGUS{i}" * 300, "shape": [1], "datatype": "BYTES", "data": ["x" * 2000]}
        for i in range(250)
    ]
    big = httpx.post(url, json={"inputs": inputs}, timeout=60)
    assert big.status_code == 422
    assert len(big.content) < 9 * 1024
    assert big.json()["error"]["details_omitted"] > 0
    assert max(len(line) for line in server.lines) < 8 * 1024 + 200
    gone = httpx.delete(f"{server.url}/v2/models/other/streams/abc")
    assert gone.status_code == 404
    assert gone.json()["error"]["code"] == "model_not_found"
    assert "Traceback" not in server.output


def _raw(url: str, data: bytes, timeout: float = 10) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        with contextlib.suppress(OSError):  # the server may refuse before reading it all
            sock.sendall(data)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            received += chunk
    return received


def test_oversized_and_slow_headers_are_refused_and_idle_connections_make_room(
    start_server: StartServer,
) -> None:
    server = start_server(
        "stubborn",
        "--header-timeout",
        "0.5",
        "--max-connections",
        "20",
        "--keep-alive-timeout",
        "30",
    )
    huge = _raw(server.url, b"GET /v2/health/live HTTP/1.1\r\nX-Big: " + b"a" * 200_000)
    assert huge.startswith(b"HTTP/1.1 431 ")
    assert b'"header_too_large"' in huge
    started = time.monotonic()
    slow = _raw(server.url, b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert slow.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 5
    host, port = server.url.removeprefix("http://").split(":")
    idle = []
    for _ in range(40):  # twice the cap, all idle after one request
        sock = socket.create_connection((host, int(port)), timeout=10)
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")
        idle.append(sock)
    try:
        assert httpx.get(f"{server.url}/v2/health/live", timeout=5).status_code == 200
    finally:
        for sock in idle:
            sock.close()


def test_a_hung_initialize_does_not_hold_up_shutdown(start_server: StartServer) -> None:
    server = start_server(
        "slow_init", "--shutdown-grace", "1.5", ready=False, env={"SLOW_INIT_SECONDS": "600"}
    )
    worker = _worker_pid(server)
    loading = httpx.get(f"{server.url}/v2/health/ready")
    assert loading.status_code == 503
    started = time.monotonic()
    server.process.send_signal(signal.SIGINT)
    assert server.process.wait(15) == 130
    assert time.monotonic() - started < 1.5 + 3
    assert _process_gone(worker)
    assert "Traceback" not in server.output


def test_idle_keep_alive_connections_are_closed_after_the_keep_alive_timeout(
    start_server: StartServer,
) -> None:
    server = start_server("stubborn", "--keep-alive-timeout", "0.5")
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = b""
        while not answer.endswith(b'{"live":true}'):
            answer += sock.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert sock.recv(4096) == b""  # closed by the server
        assert 0.3 < time.monotonic() - started < 5
