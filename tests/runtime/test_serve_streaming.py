"""`infer serve` with streaming models: exact SSE bytes, in-band errors, the contract enforced."""

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


def test_events_with_unicode_arrive_as_utf8_json(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    response = post_stream(server.url, "echo", TEXT="crème brûlée 🍳")
    events, _ = parse_sse(response.content)
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == ["crème ", "brûlée ", "🍳 "]


def test_model_raising_mid_stream_ends_with_an_error_event(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="raise").content)
    assert [(e.seq, e.event) for e in events] == [(1, "message"), (2, "message"), (3, "error")]
    assert json.loads(events[-1].data) == {
        "code": "model_error",
        "message": "ValueError: boom at token 3",
        "retryable": False,
    }
    server.wait_for_line("ValueError: boom at token 3")


def test_model_that_never_finalises_is_finalised_with_a_warning(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="no_finalise").content)
    assert [e.event for e in events] == ["message", "done"]
    done = json.loads(events[-1].data)
    assert done["warning"].startswith("infer() returned without finalise_streamed_output()")
    server.wait_for_line("returned without calling finalise_streamed_output")


def test_changing_the_output_type_mid_stream_names_the_difference(
    start_server: StartServer,
) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="schema").content)
    assert [e.event for e in events] == ["message", "error"]
    error = json.loads(events[-1].data)
    assert error["code"] == "output_schema_changed"
    assert error["message"].endswith("this one has 'OUT' changed from str to int")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="new_key").content)
    assert json.loads(events[-1].data)["message"].endswith("this one has new key(s) ['EXTRA']")


def test_sending_after_finalising_is_an_error(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="after_finalise").content)
    assert [e.event for e in events] == ["message", "error"]
    assert json.loads(events[-1].data)["code"] == "send_after_finalise"
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="not_dict").content)
    assert json.loads(events[-1].data) == {
        "code": "invalid_event",
        "message": "send_streamed_output takes a dict, got str",
        "retryable": False,
    }


def test_inference_time_before_the_first_event_is_an_in_band_error(
    start_server: StartServer,
) -> None:
    server = start_server("misbehaving")  # its inferless.yaml says inference_time: "2"
    started = time.monotonic()
    response = post_stream(server.url, "misbehaving", MODE="hang")
    assert 1.8 < time.monotonic() - started < 6
    assert response.status_code == 200  # headers went out at admission
    events, _ = parse_sse(response.content)
    assert [e.event for e in events] == ["error"]
    assert json.loads(events[0].data) == {
        "code": "inference_timeout",
        "message": "the request took longer than inference_time (2 s)",
        "retryable": True,
    }
    server.wait_for_line(r"stream \w+  504  events=0 .* end=inference_timeout")
    # The hung thread cannot be cancelled, so a fresh worker takes over and serving resumes.
    server.wait_for_line(r"request 1 ignored its cancellation; draining worker", timeout=20)
    server.wait_ready()
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="no_finalise").content)
    assert events[-1].event == "done"


def test_inference_time_after_the_first_event_is_an_in_band_error(
    start_server: StartServer,
) -> None:
    server = start_server("misbehaving")
    events, _ = parse_sse(post_stream(server.url, "misbehaving", MODE="hang_after_first").content)
    assert [e.event for e in events] == ["message", "error"]
    assert json.loads(events[-1].data) == {
        "code": "inference_timeout",
        "message": "the request took longer than inference_time (2 s)",
        "retryable": True,
    }


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


def test_idle_streams_get_ping_comments(start_server: StartServer) -> None:
    server = start_server("echo_stream", "--heartbeat", "0.2")
    raw = post_stream(server.url, "echo", TEXT="slow words", DELAY=700).content
    events, comments = parse_sse(raw)
    assert comments and set(comments) == {": ping"}
    assert [e.event for e in events] == ["message", "message", "done"]


def test_pydantic_streaming_model_gets_a_request_object_and_sends_responses(
    start_server: StartServer,
) -> None:
    server = start_server("pydantic_stream")
    events, _ = parse_sse(
        post_stream(server.url, "pydantic-stream", prompt="eggs and butter", shout=True).content
    )
    assert [json.loads(e.data) for e in events[:-1]] == [
        {"OUT": "EGGS"},
        {"OUT": "AND"},
        {"OUT": "BUTTER"},
    ]
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
