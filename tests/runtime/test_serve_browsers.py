"""`infer serve` facing browsers, for real: --allow-host and --cors from the command line, and the
first bytes going out through uvicorn before the model's first event. The Host/Origin matrix,
GET-started streams and Last-Event-ID edge cases run in process (tests/runtime/inprocess)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.conftest import StartServer
from tests.servers import v2_body

JSON = {"content-type": "application/json"}


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_allow_host_and_cors_origins(start_server: StartServer) -> None:
    server = start_server(
        "echo_stream", "--allow-host", "devbox.lan", "--cors", "http://localhost:3000"
    )
    infer = f"{server.url}/v2/models/echo/infer"
    assert httpx.get(f"{server.url}/v2/health/live", headers={"Host": "devbox.lan"}).is_success
    page = {"Origin": "http://localhost:3000"}
    preflight = httpx.options(
        infer,
        headers={
            **page,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, last-event-id",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed_headers and "last-event-id" in allowed_headers
    assert preflight.headers["access-control-allow-credentials"] == "true"
    # Every response carries the headers, the SSE one included.
    with httpx.stream("GET", f"{infer}?TEXT=a%20b", headers=page) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        assert stream.headers["access-control-allow-origin"] == "http://localhost:3000"
        assert "X-Resume-Url" in stream.headers["access-control-expose-headers"]
        assert stream.headers["vary"] == "Origin"
        stream.read()
    missing = httpx.get(f"{server.url}/v2/models/nope", headers=page)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = httpx.get(f"{infer}?TEXT=a", headers={"Origin": "http://localhost:4000"})
    assert _code(other) == (403, "origin_not_allowed")


def test_bad_cors_origin_is_a_usage_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.servers import MODELS

    done = subprocess.run(
        [sys.executable, "-m", "infer", "serve", str(MODELS / "echo_stream"), "--cors", "evil"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error: --cors 'evil' is not an origin: expected scheme://host[:port]" in done.stderr


def test_first_bytes_go_out_before_the_first_event_and_pings_run(
    start_server: StartServer,
) -> None:
    server = start_server("slow_start", "--heartbeat", "0.3")
    body = v2_body(TEXT="late", FIRST_DELAY=3000)
    started = time.monotonic()
    with httpx.stream(
        "POST", f"{server.url}/v2/models/slow-start/infer", json=body, timeout=30
    ) as response:
        headers_at = time.monotonic() - started
        assert response.status_code == 200
        stream_id = response.headers["x-stream-id"]
        received = b""
        chunks = response.iter_raw()
        while b": ping\n\n" not in received:
            received += next(chunks)
        pinged_at = time.monotonic() - started
        received += b"".join(chunks)
    assert headers_at < 2.5 and pinged_at < 2.5  # long before the model's 3 s
    opening = b"retry: 3000\nid: %s:0\n\n" % stream_id.encode()
    assert received.startswith(opening + b": ping\n\n")
    assert received.index(b": ping") < received.index(b'"OUT":"late "')
