"""`infer stream` as a user runs it: a real process against a real `infer serve` (or, for
failures a real server never produces, a scripted one)."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import StartServer, infer_command
from tests.scripted_server import ScriptedServer, events, json_script, sse_script


def run_stream(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        infer_command("stream", *args), capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def scripted() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.close()


def test_piped_output_is_the_concatenated_events_and_a_summary(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    done = run_stream("--url", server.url, "--text", "how to make an omelette", "-i", "DELAY=20")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "how to make an omelette \n"
    summary = done.stderr.strip().splitlines()[-1]
    assert summary.startswith("■ done  ·  5 events  ·  TTFT ")
    assert "events/s  ·  gap p50 " in summary and " / p95 " in summary and "total " in summary
    assert "Traceback" not in done.stderr


def test_twenty_thousand_events_arrive_in_order_with_a_true_summary(
    start_server: StartServer,
) -> None:
    # The replay buffer holds the whole stream, so a client slowed down by a busy machine is never
    # cut off with client_too_slow: this checks correctness at volume. How fast the client keeps
    # up is measured by scripts/bench_client_cpu.py, never asserted in a test.
    server = start_server("echo_stream", "--replay-buffer", "32768")
    done = run_stream("--url", server.url, "--text", "x", "-i", "COUNT=20000", "--json")
    lines = done.stdout.splitlines()
    assert len(lines) == 20002  # every event, the done event, the summary
    summary = json.loads(lines[-1])["summary"]
    assert summary["events"] == 20000 and summary["ending"] == "done"
    ids = [json.loads(line)["id"] for line in lines[:-1]]
    assert [int(i.rpartition(":")[2]) for i in ids] == list(range(1, 20002))


def test_json_mode_writes_one_object_per_event_and_a_sane_summary(
    start_server: StartServer,
) -> None:
    server = start_server("echo_stream")
    done = run_stream("--url", server.url, "--text", "one two three", "-i", "DELAY=50", "--json")
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    stream_id = lines[-1]["summary"]["stream_id"]
    assert [(line.get("id"), line.get("event")) for line in lines[:-1]] == [
        (f"{stream_id}:1", "message"),
        (f"{stream_id}:2", "message"),
        (f"{stream_id}:3", "message"),
        (f"{stream_id}:4", "done"),
    ]
    assert lines[0]["raw"] == '{"OUT":"one "}'
    assert [line["data"] for line in lines[:3]] == [
        {"OUT": "one "},
        {"OUT": "two "},
        {"OUT": "three "},
    ]
    summary = lines[-1]["summary"]
    assert summary["ending"] == "done" and summary["events"] == 3
    assert 0 < summary["ttft_ms"] < summary["total_ms"]
    # Two gaps of 50 ms: a late event makes one longer and the next shorter, so the lower
    # bound only has to tell "a real gap" from "read together" (0 ms).
    assert 20 <= summary["gap_p50_ms"] <= 500
    assert 1 < summary["events_per_s"] < 25
    assert summary["terminal"]["events"] == 3


def test_raw_mode_writes_the_sse_bytes_as_received(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    done = run_stream("--url", server.url, "--text", "a b", "--raw")
    sid = done.stdout.split("\n")[1].removeprefix("id: ").removesuffix(":0")
    assert done.stdout.startswith(
        f"retry: 3000\nid: {sid}:0\n\n"
        f'id: {sid}:1\ndata: {{"OUT":"a "}}\n\nid: {sid}:2\ndata: {{"OUT":"b "}}\n\n'
        f"id: {sid}:3\nevent: done\ndata: {{"
    )
    assert done.returncode == 0


def test_error_event_exits_1_with_the_servers_message(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    done = run_stream("--url", server.url, "--input", "MODE=raise")
    assert done.returncode == 1
    assert done.stdout == "onetwo\n"
    assert "■ error model_error" in done.stderr
    assert "error: ValueError: boom at token 3" in done.stderr


def test_non_streaming_model_prints_its_outputs(start_server: StartServer) -> None:
    server = start_server("basic_model")
    done = run_stream("--url", server.url, "--text", "hello")
    assert done.returncode == 0
    assert done.stdout == "generated_text: HELLO!\nlength: 5\n"


def test_input_file_is_sent_as_is(start_server: StartServer, tmp_path: Path) -> None:
    server = start_server("echo_stream")
    request = tmp_path / "input.json"
    request.write_text(
        json.dumps(
            {"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["x y"]}]}
        )
    )
    done = run_stream("--url", server.url, "--input-file", str(request))
    assert done.stdout == "x y \n"


def test_bad_input_and_http_errors_are_one_line_messages(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    cases = [
        (
            ["--text", "a", "-i", "COUNT=many"],
            2,
            "error: --input COUNT=many: COUNT is INT and 'many' is not an integer",
        ),
        (
            ["-i", "TXT=a"],
            2,
            "error: --input TXT: the model has no input 'TXT' (did you mean 'TEXT'?)",
        ),
        (["-i", "no-equals"], 2, "error: --input 'no-equals' is not NAME=VALUE"),
        (
            ["--model", "nope", "--text", "a"],
            1,
            f"error: HTTP 404 from GET {server.url}/v2/models/nope: model_not_found: "
            "no model named 'nope'; this server serves 'echo'",
        ),
        ([], 2, "error: nothing to send: give --text, --input NAME=VALUE or --input-file"),
        (["--url", "ftp://x", "--text", "a"], 2, "error: --url 'ftp://x' is not an http(s) URL"),
        (
            ["--url", "http://127.0.0.1:9", "--text", "a"],
            1,
            "error: cannot connect to http://127.0.0.1:9",
        ),
        (
            ["--input-file", "/nonexistent.json"],
            2,
            "error: cannot read --input-file /nonexistent.json: No such file or directory",
        ),
    ]
    for args, code, message in cases:
        done = run_stream("--url", server.url, *args)
        assert done.returncode == code, (args, done.stderr)
        assert done.stderr.splitlines()[0] == message, args
        assert "Traceback" not in done.stderr


def test_reconnects_with_last_event_id_and_loses_nothing(scripted: list[ScriptedServer]) -> None:
    resume_path = "/v2/models/m/streams/s1"
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"retry: 50\n\n" + events(1, 3) + b'id: 4\ndata: {"OUT": "w4',  # cut mid-event
                headers={"x-stream-id": "s1", "x-resume-url": resume_path},
            ),
            ("GET", resume_path): sse_script(
                b"retry: 50\n\n" + events(4, 6) + b'id: 7\nevent: done\ndata: {"events": 6}\n\n'
            ),
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "w1 w2 w3 w4 w5 w6 \n"
    resume = [r for r in server.requests if r[1] == resume_path]
    assert len(resume) == 1
    assert resume[0][2]["Last-Event-ID"] == "3"
    assert "connection lost after event 3; reconnecting in 50 ms (attempt 1/5)" in done.stderr
    assert "reconnected; resuming after event 3" in done.stderr
    assert "1 reconnect(s)" in done.stderr


def test_truncated_stream_without_resume_exits_3(scripted: list[ScriptedServer]) -> None:
    server = ScriptedServer({("POST", "/v2/models/m/infer"): sse_script(events(1, 2))})
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x")
    assert done.returncode == 3
    assert done.stdout == "w1 w2 \n"
    assert "truncated: the stream ended without a done or error event" in done.stderr


def test_reconnection_gives_up_after_bounded_attempts(scripted: list[ScriptedServer]) -> None:
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"retry: 10\n\n" + events(1, 1),
                headers={"x-stream-id": "s1", "x-resume-url": "/v2/models/m/streams/s1"},
            ),
            ("GET", "/v2/models/m/streams/s1"): sse_script(b"retry: 10\n\n"),
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x", "--max-reconnects", "2")
    assert done.returncode == 3
    assert "gave up reconnecting" in done.stderr
    assert len([r for r in server.requests if r[0] == "GET" and "streams" in r[1]]) == 2


def test_malformed_and_non_sse_answers_are_named(scripted: list[ScriptedServer]) -> None:
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): sse_script(
                b"id: 1\ndata: {not json\n\n", headers={"x-stream-id": "s1"}
            ),
            ("POST", "/v2/models/html/infer"): lambda h: _html(h),
            ("GET", "/v2/models/html"): json_script(200, {"inputs": []}),
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        "error: malformed SSE: event 1 carries data that is not JSON: '{not json'"
    )
    done = run_stream("--url", server.url, "--model", "html", "--text", "x")
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == (
        f"error: {server.url}/v2/models/html/infer answered text/html, not text/event-stream"
    )


def _html(handler: object) -> None:
    from http.server import BaseHTTPRequestHandler

    assert isinstance(handler, BaseHTTPRequestHandler)
    body = b"<html>hello</html>"
    handler.send_response(200)
    handler.send_header("content-type", "text/html")
    handler.send_header("content-length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def test_token_is_sent_as_bearer_and_never_printed(scripted: list[ScriptedServer]) -> None:
    server = ScriptedServer(
        {
            ("POST", "/v2/models/m/infer"): json_script(
                401, {"error": {"code": "unauthorized", "message": "bad token"}}
            )
        }
    )
    scripted.append(server)
    done = run_stream("--url", server.url, "--text", "x", "--token", "sekrit-123")
    assert done.returncode == 1
    assert all(r[2].get("Authorization") == "Bearer sekrit-123" for r in server.requests)
    assert "sekrit-123" not in done.stdout + done.stderr
    assert "HTTP 401" in done.stderr and "unauthorized: bad token" in done.stderr


def test_ctrl_c_exits_130_with_partial_stats_and_cancels_generation(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("echo_stream")
    marker = tmp_path / "cancelled"
    process = subprocess.Popen(
        infer_command(
            "stream",
            "--url",
            server.url,
            "--text",
            "x",
            "-i",
            "COUNT=2000",
            "-i",
            "DELAY=20",
            "-i",
            f"MARKER={marker}",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.read(12)  # a few events arrived
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "■ interrupted (Ctrl-C); the server was asked to stop generating" in err
    assert "Traceback" not in err
    deadline = time.monotonic() + 3  # the DELETE cancels at once, not after the resume grace
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert marker.read_text() == "cancelled"


def test_text_arrives_progressively_on_a_terminal(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        infer_command(
            "stream", "--url", server.url, "--text", "alpha beta gamma delta", "-i", "DELAY=400"
        ),
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm-256color", "COLUMNS": "100"},
    )
    os.close(follower)
    seen: list[tuple[float, str]] = []
    screen = b""
    start = time.monotonic()
    while time.monotonic() - start < 20:
        ready, _, _ = select.select([leader], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
            text = screen.decode(errors="replace")
            for word in ("alpha", "beta", "gamma", "delta"):
                if word in text and word not in dict((w, t) for t, w in seen):
                    seen.append((time.monotonic() - start, word))
        elif process.poll() is not None:
            break
    process.wait(10)
    os.close(leader)
    assert [word for _, word in seen] == ["alpha", "beta", "gamma", "delta"]
    times = dict((w, t) for t, w in seen)
    # Each word shows up when it is sent (400 ms apart), not all at the end.
    assert times["delta"] - times["alpha"] > 0.9
    assert b"\x1b[1m" in screen  # rendered with rich's styling on a terminal
    assert b"done" in screen


def test_url_without_a_scheme_means_http(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    bare = server.url.removeprefix("http://")  # "127.0.0.1:PORT", as a user types it
    done = run_stream("--url", bare, "--text", "hi there")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "hi there \n"


def test_non_streaming_answer_reports_its_time(start_server: StartServer) -> None:
    server = start_server("basic_model")
    done = run_stream("--url", server.url, "--text", "hello")
    assert done.returncode == 0, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("■ answered  ·  total ") and " ms  ·  " in last


def test_text_mode_warns_when_the_model_never_finalises(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    done = run_stream("--url", server.url, "--input", "MODE=no_finalise")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "one\n"
    assert "warning: infer() returned without finalise_streamed_output()" in done.stderr


def test_json_mode_counts_tokens_with_a_tokenizer(
    start_server: StartServer, tmp_path: Path
) -> None:
    pytest.importorskip("transformers")
    from tests.templates.tiny_model import build_tiny_model

    tokenizer = build_tiny_model(tmp_path / "tiny")
    server = start_server("echo_stream")
    done = run_stream(
        "--url",
        server.url,
        "--text",
        "how to make an omelette",
        # Events apart in time: five read in one batch (a busy machine) have no rate.
        "--input",
        "DELAY=5",
        "--json",
        "--tokenizer",
        str(tokenizer),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.splitlines()[-1])["summary"]
    assert summary["tokens"] == 5  # one word-level token per word
    assert summary["tokens_per_s"] is not None
