"""`infer serve` with streaming models, for real: exact SSE bytes through uvicorn, a worker process
that dies, and a reader slowed by real TCP back-pressure. In-band errors, deadlines and the
streaming contract run in process (tests/runtime/inprocess)."""

from __future__ import annotations

import json
import time

import httpx

from tests.conftest import StartServer
from tests.servers import parse_sse, v2_body


def post_stream(url: str, model: str, timeout: float = 30, **inputs: object) -> httpx.Response:
    response = httpx.post(f"{url}/v2/models/{model}/infer", json=v2_body(**inputs), timeout=timeout)
    return response


def test_stream_is_framed_with_retry_ids_and_one_done_event(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    response = post_stream(server.url, "echo", TEXT="how to make an omelette")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    stream_id = response.headers["x-stream-id"]
    assert response.headers["x-resume-url"] == f"/v2/models/echo/streams/{stream_id}"
    expected_prefix = (
        b"retry: 3000\nid: S:0\n\n"
        b'id: S:1\ndata: {"OUT":"how "}\n\n'
        b'id: S:2\ndata: {"OUT":"to "}\n\n'
        b'id: S:3\ndata: {"OUT":"make "}\n\n'
        b'id: S:4\ndata: {"OUT":"an "}\n\n'
        b'id: S:5\ndata: {"OUT":"omelette "}\n\n'
        b"id: S:6\nevent: done\ndata: "
    ).replace(b"S", stream_id.encode())
    assert response.content.startswith(expected_prefix)
    assert response.content.endswith(b"}\n\n")
    done = json.loads(response.content[len(expected_prefix) :])
    assert done["events"] == 5
    assert 0 <= done["ttft_ms"] <= done["duration_ms"]
    assert "warning" not in done
    log = server.wait_for_line(rf"stream {stream_id}  200  events=5  ttfe=[\d.]+ms").string
    assert log.endswith("end=done")


def test_worker_crash_is_reported_and_the_worker_restarted(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="crash").content)
    assert [e.event for e in events] == ["message", "error"]
    error = json.loads(events[-1].data)
    assert error["code"] == "worker_crashed"
    assert error["retryable"] is True
    assert "exit code 3" in error["message"]
    server.wait_for_line("the worker died \\(exit code 3\\); restarting it")
    server.wait_ready()
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="no_finalise").content)
    assert events[-1].event == "done"


def test_a_reader_too_slow_for_the_replay_buffer_gets_an_error_not_more_memory(
    start_server: StartServer,
) -> None:
    import socket

    server = start_server("echo_stream", "--replay-buffer", "16")
    host, port = server.url.removeprefix("http://").split(":")
    body = json.dumps(v2_body(TEXT="x", COUNT=300000)).encode()
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(
            b"POST /v2/models/echo/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        time.sleep(4)  # read nothing while the model produces 300k events
        received = b""
        while b"event: error" not in received and b"event: done" not in received:
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += chunk
        while not received.endswith(b"\r\n0\r\n\r\n"):
            chunk = sock.recv(1 << 20)
            if not chunk:
                break
            received += chunk
    tail = received[received.rfind(b"event: ") :]
    assert tail.startswith(b"event: error\ndata: ")
    error = json.loads(tail.split(b"data: ", 1)[1].split(b"\n", 1)[0])
    assert error["code"] == "client_too_slow"
    assert error["message"].startswith("this reader fell too far behind and events ")
