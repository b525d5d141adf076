"""Resume, disconnect, reload and shutdown: the stream and process life cycle, for real."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import httpx

from tests.conftest import StartServer
from tests.servers import MODELS, parse_sse, v2_body


def read_events_then_drop(url: str, body: dict[str, object], keep: int) -> tuple[str, bytes]:
    """Read until ``keep`` events arrived, then drop the TCP connection; (stream id, bytes)."""
    host, port = url.removeprefix("http://").split(":")
    payload = json.dumps(body).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v2/models/echo/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        received = b""
        while received.count(b"\ndata: ") < keep:
            received += sock.recv(4096)
    head, _, body_bytes = received.partition(b"\r\n\r\n")
    stream_id = next(
        line.split(b": ")[1].decode()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"x-stream-id")
    )
    return stream_id, _dechunk(body_bytes)


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        if not rest:
            break
        size = int(size_line, 16)
        out += rest[:size]
        data = rest[size + 2 :]
    return out


def wait_for_file(path: Path, timeout: float = 10) -> None:
    """Wait until the model under test wrote ``path``."""
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.02)


def complete_events(raw: bytes) -> list[int]:
    """Ids of the complete events in a (possibly cut) SSE byte string."""
    whole = raw[: raw.rfind(b"\n\n") + 2]
    events, _ = parse_sse(whole)
    return [e.seq for e in events if e.id]


def test_resume_with_last_event_id_loses_and_repeats_nothing(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    stream_id, first_part = read_events_then_drop(
        server.url, v2_body(TEXT="x", COUNT=200, DELAY=10), keep=20
    )
    seen = complete_events(first_part)
    last = seen[-1]
    response = httpx.get(
        f"{server.url}/v2/models/echo/streams/{stream_id}",
        headers={"Last-Event-ID": str(last)},
        timeout=30,
    )
    assert response.status_code == 200
    opening = b"retry: 3000\nid: %s:%d\n\nid: %s:%d\n"
    assert response.content.startswith(
        opening % (stream_id.encode(), last, stream_id.encode(), last + 1)
    )
    events, _ = parse_sse(response.content)
    resumed = [e.seq for e in events if e.id]
    assert seen + resumed == list(range(1, 202))  # 200 events and the terminal one
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == [f"w{i} " for i in range(last, 200)]
    assert events[-1].event == "done"
    # Finished and fully delivered: nothing more to send.
    again = httpx.get(
        f"{server.url}/v2/models/echo/streams/{stream_id}", headers={"Last-Event-ID": "201"}
    )
    assert again.status_code == 204
    # A finished stream still replays what a reader missed.
    replay = httpx.get(
        f"{server.url}/v2/models/echo/streams/{stream_id}", headers={"Last-Event-ID": "198"}
    )
    assert [e.seq for e in parse_sse(replay.content)[0]] == [199, 200, 201]


def test_disconnect_cancels_generation_and_frees_the_slot(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("echo_stream", "--resume-grace", "0.3")
    marker = tmp_path / "cancelled"
    read_events_then_drop(
        server.url, v2_body(TEXT="x", COUNT=1000, DELAY=20, MARKER=str(marker)), keep=3
    )
    wait_for_file(marker)
    assert marker.read_text() == "cancelled"
    server.wait_for_line(r"events=\d+ .* end=cancelled")
    started = time.monotonic()
    response = httpx.post(f"{server.url}/v2/models/echo/infer", json=v2_body(TEXT="next one"))
    assert time.monotonic() - started < 2
    assert parse_sse(response.content)[0][-1].event == "done"


def test_sigterm_ends_streams_in_band_runs_finalize_and_leaves_no_process(
    start_server: StartServer, tmp_path: Path
) -> None:
    finalized = tmp_path / "finalized"
    server = start_server("echo_stream", env={"ECHO_FINALIZE_MARKER": str(finalized)})
    worker_pid = int(server.wait_for_line(r"worker pid (\d+)").group(1))
    with httpx.stream(
        "POST",
        f"{server.url}/v2/models/echo/infer",
        json=v2_body(TEXT="x", COUNT=1000, DELAY=20),
        timeout=30,
    ) as response:
        chunks = response.iter_raw()
        received = next(chunks)
        server.process.send_signal(signal.SIGTERM)
        received += b"".join(chunks)
    events, _ = parse_sse(received)
    assert events[-1].event == "error"
    assert json.loads(events[-1].data) == {
        "code": "server_shutting_down",
        "message": "the server is shutting down",
        "retryable": True,
    }
    # uvicorn re-raises the signal after its graceful shutdown: the conventional exit status.
    assert server.process.wait(20) == -signal.SIGTERM
    assert "Traceback" not in server.output
    assert finalized.read_text() == "finalized"
    try:
        os.kill(worker_pid, 0)
    except ProcessLookupError:
        pass
    else:
        raise AssertionError(f"worker {worker_pid} outlived the server")


def test_ctrl_c_stops_server_and_worker(start_server: StartServer) -> None:
    server = start_server("basic_model")
    worker_pid = int(server.wait_for_line(r"worker pid (\d+)").group(1))
    assert server.stop(signal.SIGINT) == 130
    assert "Traceback" not in server.output
    time.sleep(0.2)
    try:
        os.kill(worker_pid, 0)
    except ProcessLookupError:
        return
    raise AssertionError("the worker outlived Ctrl-C")


def test_reload_restarts_the_worker_on_edits_and_keeps_the_port(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = tmp_path / "echo"
    shutil.copytree(MODELS / "echo_stream", repo)
    server = start_server(repo, "--reload")
    url = f"{server.url}/v2/models/echo/infer"
    first = parse_sse(httpx.post(url, json=v2_body(TEXT="hi")).content)[0]
    assert json.loads(first[0].data) == {"OUT": "hi "}
    app = repo / "app.py"
    # initialize() changes too: an infer()-only edit is swapped in without a restart
    # (tests/runtime/test_hot_swap.py).
    source = app.read_text().replace('{"OUT": word}', '{"OUT": word.upper()}')
    app.write_text(source.replace("self.calls = 0", "self.calls = 1"))
    server.wait_for_line("restarting the worker: changed: app.py", timeout=20)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        # Generous: while the worker restarts the request waits for a slot, slowly on a busy
        # machine.
        response = httpx.post(url, json=v2_body(TEXT="hi"), timeout=30)
        if response.status_code == 200:
            events = parse_sse(response.content)[0]
            if json.loads(events[0].data) == {"OUT": "HI "}:
                return
        time.sleep(0.1)
    raise AssertionError("the edit never took effect:\n" + server.output)
