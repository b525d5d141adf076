"""Correctness checks on every stream, against a scripted server that breaks the SSE contract
on purpose (a real `infer serve` never does): each violation is counted, printed, and fails the
run with exit 1."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.bench.helpers import run_bench
from tests.scripted_server import ScriptedServer, events, sse_script

DONE = b'id: %d\nevent: done\ndata: {"events": %d}\n\n'


def rotating(bodies: list[bytes]) -> object:
    """A script answering each request with the next body, in turn."""
    turns = itertools.cycle(bodies)
    lock = threading.Lock()

    def script(handler: BaseHTTPRequestHandler) -> None:
        with lock:
            body = next(turns)
        sse_script(body)(handler)

    return script


@pytest.fixture
def scripted() -> Iterator[list[ScriptedServer]]:
    servers: list[ScriptedServer] = []
    yield servers
    for server in servers:
        server.close()


def bench_against(
    scripted: list[ScriptedServer], bodies: list[bytes], requests: int
) -> tuple[int, dict[str, Any], str]:
    server = ScriptedServer({("POST", "/v2/models/m/infer"): rotating(bodies)})  # type: ignore[dict-item]
    scripted.append(server)
    done = run_bench(
        "--url", server.url, "--text", "x", "-c", "1", "-n", str(requests), "--json"
    )  # fmt: skip
    assert "Traceback" not in done.stderr
    return done.returncode, json.loads(done.stdout), done.stderr


def test_a_correct_stream_passes(scripted: list[ScriptedServer]) -> None:
    code, document, _ = bench_against(scripted, [events(1, 3) + DONE % (4, 3)], 2)
    assert code == 0 and document["passed"] is True


def test_every_kind_of_violation_is_counted_and_fails_the_run(
    scripted: list[ScriptedServer],
) -> None:
    bodies = [
        events(1, 2) + events(4, 4) + DONE % (5, 3),  # id 3 missing
        events(1, 2) + events(2, 3) + DONE % (4, 3),  # event 2 delivered twice
        events(1, 3),  # EOF without a terminal event
        events(1, 1) + DONE % (2, 1) + DONE % (3, 1),  # two terminal events
        events(1, 2) + DONE % (3, 5),  # done miscounts
        b"id: one\ndata: {}\n\n" + DONE % (1, 1),  # an id that is not a number
        events(1, 2) + DONE % (3, 2),  # fine
    ]
    code, document, stderr = bench_against(scripted, bodies, len(bodies))
    assert code == 1
    (level,) = document["levels"]
    violations = level["violations"]
    assert violations["by_kind"] == {
        "non_contiguous_id": 1,
        "duplicated_text": 1,
        "missing_terminal": 1,
        "after_terminal": 1,
        "count_mismatch": 1,
        "malformed_event": 1,
    }
    assert violations["streams"] == 6 and violations["total"] == 6
    assert document["passed"] is False and document["violations"] == 6
    assert level["errors"] == {"truncated": 1}
    assert "violation c=1 request 0: non_contiguous_id: event id 4 after 2" in stderr
    assert "duplicated_text: event id 2 again after 2" in stderr
    assert "missing_terminal: EOF after 3 events, no done/error event" in stderr
    assert "count_mismatch: done says 5 events, 2 arrived" in stderr
    assert "✗ 6 correctness violation(s)" in stderr


def test_an_error_event_is_a_correct_ending_counted_by_code(
    scripted: list[ScriptedServer],
) -> None:
    error = b'id: 3\nevent: error\ndata: {"code": "model_error", "message": "boom"}\n\n'
    code, document, _ = bench_against(
        scripted, [events(1, 2) + error, events(1, 1) + DONE % (2, 1)], 4
    )
    assert code == 0
    (level,) = document["levels"]
    assert level["errors"] == {"model_error": 2} and level["ok"] == 2
    assert level["violations"]["total"] == 0


def test_a_token_is_sent_as_bearer_and_never_printed(scripted: list[ScriptedServer]) -> None:
    server = ScriptedServer(
        {("POST", "/v2/models/m/infer"): sse_script(events(1, 1) + DONE % (2, 1))}
    )
    scripted.append(server)
    done = run_bench(
        "--url", f"{server.url}/v2/models/m/infer", "--token", "s3cret-token",
        "-i", "TEXT=x", "-c", "1", "-n", "2", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    posts = [headers for method, _, headers in server.requests if method == "POST"]
    assert len(posts) == 2
    assert all(headers.get("Authorization") == "Bearer s3cret-token" for headers in posts)
    assert "s3cret-token" not in done.stdout + done.stderr
