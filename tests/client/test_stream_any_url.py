"""`infer stream --url` on any SSE URL, against scripted (some hostile) servers and a real
`infer serve`: plain streams, resume URLs, terminal safety, and credentials kept on one origin."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import httpx
import pytest

from tests.conftest import StartServer, infer_command
from tests.scripted_server import (
    ScriptedServer,
    events,
    framed_sse_script,
    in_turn,
    json_script,
    sse_script,
)
from tests.servers import MODELS, ServerProcess, v2_body


def run_stream(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(infer_command("stream", *args), capture_output=True, timeout=timeout)


@pytest.fixture
def scripted() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.close()


def test_plain_sse_url_is_read_as_text_with_named_events_and_a_clean_end(
    scripted: list[ScriptedServer],
) -> None:
    body = (
        b"\xef\xbb\xbf: a comment\r\nretry: 10\r\n\r\n"
        b"data: first line\r\n\r\nevent: status\rdata: warming up\r\r"
        b'id: 7\ndata: {"token": "json "}\n\n'
        b"data: multi\ndata: line\n\n"
    )
    server = ScriptedServer({("GET", "/feed?x=1"): framed_sse_script(body)})
    scripted.append(server)
    done = run_stream("--url", f"{server.url}/feed?x=1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "first line\njson multi\nline\n"
    err = done.stderr.decode()
    assert "event status: warming up" in err
    assert "■ ended: the server closed the stream cleanly (no terminal event)" in err
    assert [r[0] for r in server.requests] == ["GET"]  # not /v2/models, no POST
    json_out = run_stream("--url", f"{server.url}/feed?x=1", "--json")
    lines = [json.loads(line) for line in json_out.stdout.decode().splitlines()]
    assert lines[0] == {**lines[0], "id": None, "event": "message", "data": "first line"}
    assert lines[2]["id"] == "7" and lines[2]["data"] == {"token": "json "}
    assert lines[2]["raw"] == '{"token": "json "}'
    assert lines[-1]["summary"]["ending"] == "ended"


def test_plain_get_stream_that_drops_reconnects_like_eventsource(
    scripted: list[ScriptedServer],
) -> None:
    server = ScriptedServer(
        {
            ("GET", "/feed"): in_turn(
                sse_script(b"retry: 20\n\ndata: zero\n\nid: a1\ndata: one\n\ndata: cut"),
                framed_sse_script(b"id: a2\ndata: two\n\n"),
            )
        }
    )
    scripted.append(server)
    done = run_stream("--url", f"{server.url}/feed")
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "zero\none\ntwo\n"
    first, second = server.requests
    assert "Last-Event-ID" not in first[2]
    assert second[2]["Last-Event-ID"] == "a1"
    assert "connection lost after event a1; reconnecting in 20 ms" in done.stderr.decode()


def test_no_id_seen_means_no_last_event_id_and_204_is_not_done(
    scripted: list[ScriptedServer],
) -> None:
    def no_content(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(204)
        handler.send_header("content-length", "0")
        handler.end_headers()

    server = ScriptedServer(
        {("GET", "/feed"): in_turn(sse_script(b"retry: 10\n\ndata: only\n\n"), no_content)}
    )
    scripted.append(server)
    done = run_stream("--url", f"{server.url}/feed")
    assert done.returncode == 3
    assert "Last-Event-ID" not in server.requests[1][2]
    err = done.stderr.decode()
    assert "truncated" in err and "204" in err


def test_post_to_a_plain_url_sends_data_and_is_never_resent(
    scripted: list[ScriptedServer],
) -> None:
    server = ScriptedServer({("POST", "/chat"): sse_script(b"retry: 10\n\ndata: hi\n\n")})
    scripted.append(server)
    done = run_stream("--url", f"{server.url}/chat", "--data", '{"q": 1}')
    assert done.returncode == 3  # dropped without a vouched end: truncated
    assert len(server.requests) == 1  # re-sending the POST would start a new generation
    assert server.requests[0][2]["Content-Type"] == "application/json"
    assert server.bodies == [b'{"q": 1}']
    usage = run_stream("--url", f"{server.url}/chat", "--text", "x")
    assert usage.returncode == 2
    assert b"--text and --input build a v2 request" in usage.stderr


HOSTILE_TEXT = "hi \x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eevil\r"


def test_escape_sequences_from_the_network_never_reach_the_terminal(
    scripted: list[ScriptedServer],
) -> None:
    token = json.dumps({"OUT": HOSTILE_TEXT}).encode()
    error = json.dumps({"code": "x\x1b[31m", "message": "bad \x1b]0;title\x07", "retryable": False})
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"id: 1\ndata: "
                + token
                + b"\n\nid: 2\nevent: error\ndata: "
                + error.encode()
                + b"\n\n",
                headers={"x-stream-id": "s\x1b[2J1"},
            ),
            ("GET", "/raw"): framed_sse_script(
                b"data: raw \x1b[2J\x1b]52;c;eA==\x07 \xc2\x9b bye\n\nevent: \x1b[31mx\ndata: y\n\n"
            ),
            ("POST", "/v2/models/bad/infer"): json_script(
                500, {"error": {"code": "boom", "message": "oops \x1b[2J\x1b]0;t\x07"}}
            ),
            ("GET", "/v2/models/bad"): json_script(200, {"inputs": []}),
        }
    )
    scripted.append(server)
    for args in (
        ["--url", server.url, "--text", "x"],
        ["--url", server.url, "--text", "x", "--json"],
        ["--url", f"{server.url}/raw"],
        ["--url", f"{server.url}/raw", "--json"],
        ["--url", server.url, "--model", "bad", "-i", "TEXT=x"],
    ):
        done = run_stream(*args)
        out = done.stdout + done.stderr
        for unsafe in (b"\x1b", b"\x07", b"\xc2\x9b", "\u202e".encode(), b"\r"):
            assert unsafe not in out, (args, unsafe, out)
    shown = run_stream("--url", server.url, "--text", "x")
    assert shown.stdout.decode().startswith("hi \\x1b]52;c;ZXZpbA==\\x07\\x1b[2J")
    assert "\\u202eevil\\x0d" in shown.stdout.decode()
    assert "error: bad \\x1b]0;title\\x07" in shown.stderr.decode()
    # --raw is byte-exact, escape sequences and all: that is what it is for.
    raw = run_stream("--url", f"{server.url}/raw", "--raw")
    assert raw.stdout.startswith(b"data: raw \x1b[2J\x1b]52;c;eA==\x07 \xc2\x9b bye\n\n")


@pytest.mark.parametrize("resume_url", ["http://127.0.0.1:{evil}/steal", "//127.0.0.1:{evil}/x"])
def test_a_resume_url_on_another_origin_is_never_used(
    scripted: list[ScriptedServer], resume_url: str
) -> None:
    evil = ScriptedServer({})
    scripted.append(evil)
    evil_port = evil.url.rsplit(":", 1)[1]
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"retry: 10\n\n" + events(1, 2),
                headers={"x-stream-id": "s1", "x-resume-url": resume_url.format(evil=evil_port)},
            )
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x", "--token", "sekrit")
    assert done.returncode == 3
    assert evil.requests == []
    assert "ignoring X-Resume-Url" in done.stderr.decode()
    assert all(r[2].get("Authorization") == "Bearer sekrit" for r in server.requests)


def test_a_resume_url_is_resolved_relative_to_the_stream_url(
    scripted: list[ScriptedServer],
) -> None:
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"retry: 10\n\n" + events(1, 2),
                headers={"x-stream-id": "s1", "x-resume-url": "1:18063/steal"},
            ),
            ("GET", "/v2/models/m/1:18063/steal"): sse_script(
                b'id: 3\nevent: done\ndata: {"events": 2}\n\n'
            ),
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x")
    assert done.returncode == 0, done.stderr  # RFC 3986: a path on the same origin
    assert server.requests[-1][1] == "/v2/models/m/1:18063/steal"


def test_redirects_are_followed_only_on_the_same_origin(scripted: list[ScriptedServer]) -> None:
    evil = ScriptedServer({})
    scripted.append(evil)

    def redirect(location: str):  # type: ignore[no-untyped-def]
        def script(handler: BaseHTTPRequestHandler) -> None:
            handler.send_response(307)
            handler.send_header("location", location)
            handler.send_header("content-length", "0")
            handler.end_headers()

        return script

    server = ScriptedServer(
        {
            ("GET", "/away"): redirect(f"{evil.url}/feed"),
            ("GET", "/here"): redirect("/feed"),
            ("GET", "/feed"): framed_sse_script(b"data: ok\n\n"),
        }
    )
    scripted.append(server)
    away = run_stream("--url", f"{server.url}/away", "--token", "sekrit")
    assert away.returncode == 1
    assert "redirects to" in away.stderr.decode() and "another origin" in away.stderr.decode()
    assert evil.requests == []
    here = run_stream("--url", f"{server.url}/here", "--token", "sekrit")
    assert here.returncode == 0 and here.stdout == b"ok\n"
    assert server.requests[-1][2]["Authorization"] == "Bearer sekrit"


def test_a_resume_url_given_as_url_resumes_and_does_not_restart(
    start_server: StartServer,
) -> None:
    server = start_server("echo_stream")
    body = v2_body(TEXT="x", COUNT=30, DELAY=30)
    with httpx.stream("POST", f"{server.url}/v2/models/echo/infer", json=body) as first:
        resume = server.url + first.headers["x-resume-url"]
        for chunk in first.iter_raw():
            if b"\ndata: " in chunk:
                break
    done = run_stream("--url", resume, "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.decode().splitlines()]
    numbers = [int(line["id"].rpartition(":")[2]) for line in lines[:-1]]
    assert numbers == list(range(1, 32))  # the whole stream, once, from the buffer then live
    assert [line["data"]["OUT"] for line in lines[:-2]] == [f"w{i} " for i in range(30)]
    assert len([line for line in server.lines if "stream " in line and " 200 " in line]) <= 1
    get_url = run_stream("--url", f"{server.url}/v2/models/echo/infer?TEXT=a%20b")
    assert get_url.returncode == 0 and get_url.stdout == b"a b \n"


def test_wait_rides_out_a_server_that_is_not_up_yet(tmp_path: object) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = subprocess.Popen(
        infer_command(
            "stream", "--url", f"http://127.0.0.1:{port}", "--text", "hello there", "--wait"
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)
    server = ServerProcess(
        MODELS / "slow_init", "--port", str(port), env={"SLOW_INIT_SECONDS": "2"}
    )
    try:
        out, err = client.communicate(timeout=60)
    finally:
        server.stop()
    assert client.returncode == 0, err
    assert out == b"OUT: hello there\n"
    fast_fail = run_stream("--url", f"http://127.0.0.1:{port}", "--text", "x")
    assert fast_fail.returncode == 1
    assert b"cannot connect to" in fast_fail.stderr and b"--wait" in fast_fail.stderr


def test_status_line_shows_what_we_wait_for_then_gives_way_to_the_text(
    start_server: StartServer,
) -> None:
    server = start_server("slow_start")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        infer_command("stream", "--url", server.url, "--text", "arrived", "-i", "FIRST_DELAY=1500"),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
    )
    os.close(follower)
    screen = b""
    lock = threading.Lock()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            with lock:
                screen += chunk
        elif process.poll() is not None:
            break
    process.wait(10)
    os.close(leader)
    text = screen.decode(errors="replace")
    assert "waiting for the first event" in text
    assert " s" in text.split("waiting for the first event", 1)[1][:12]  # elapsed time
    before_text = text.split("arrived", 1)[0]
    assert before_text.rstrip("\x1b[0m1;").endswith("\r\x1b[2K") or "\r\x1b[2K" in before_text
    assert "done" in text
