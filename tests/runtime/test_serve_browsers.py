"""`infer serve` facing browsers and EventSource: Host/Origin/Content-Type checks, opt-in CORS,
GET-started streams that an EventSource reconnect continues, Last-Event-ID edge cases, and the
first bytes going out before the model's first event."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import StartServer
from tests.servers import parse_sse, v2_body

JSON = {"content-type": "application/json"}


def _code(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


def test_host_origin_and_content_type_matrix_without_cors(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    port = server.url.rsplit(":", 1)[1]
    ready = f"{server.url}/v2/health/ready"
    infer = f"{server.url}/v2/models/echo/infer"
    body = json.dumps(v2_body(TEXT="a")).encode()
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", f"app.localhost:{port}"):
        assert httpx.get(ready, headers={"Host": host}).status_code == 200, host
    for host in (f"evil.example:{port}", "attacker.com", "127.0.0.1.evil.com", ""):
        response = httpx.get(ready, headers={"Host": host})
        assert _code(response) == (403, "host_not_allowed"), host
        assert "--allow-host" in response.json()["error"]["message"]
    # A cross-site "simple" POST (text/plain, no preflight) never reaches the model.
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = httpx.post(infer, content=body, headers={"content-type": content_type})
        assert _code(response) == (415, "unsupported_media_type"), content_type
    assert httpx.post(infer, content=body, headers=JSON).status_code == 200
    ok = {"content-type": "application/json; charset=utf-8"}
    assert httpx.post(infer, content=body, headers=ok).status_code == 200
    # Pages on other origins can neither start nor read anything; preflights fail.
    evil = {"Origin": "http://evil.example"}
    assert _code(httpx.post(infer, content=body, headers={**JSON, **evil})) == (
        403,
        "origin_not_allowed",
    )
    assert _code(httpx.get(f"{infer}?TEXT=a", headers=evil)) == (403, "origin_not_allowed")
    no_cors = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}  # <img src=...>
    assert _code(httpx.get(f"{infer}?TEXT=a", headers=no_cors)) == (403, "origin_not_allowed")
    preflight = httpx.options(infer, headers={**evil, "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    # The server's own origin is fine.
    own = httpx.get(f"{infer}?TEXT=a", headers={"Origin": f"http://127.0.0.1:{port}"})
    assert own.status_code == 200
    assert "access-control-allow-origin" not in own.headers
    server.wait_for_line("request -  403  host_not_allowed")


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


def test_cors_star_allows_any_origin_without_credentials(start_server: StartServer) -> None:
    server = start_server("echo_stream", "--cors", "*")
    response = httpx.get(f"{server.url}/v2/health/live", headers={"Origin": "https://a.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers


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


def test_get_starts_a_stream_with_typed_query_inputs(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    infer = f"{server.url}/v2/models/echo/infer"
    response = httpx.get(f"{infer}?TEXT=one%20two&DELAY=1", timeout=30)
    assert response.status_code == 200
    events, _ = parse_sse(response.content)
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == ["one ", "two "]
    assert events[-1].event == "done"
    versioned = httpx.get(f"{server.url}/v2/models/echo/versions/1/infer?TEXT=v", timeout=30)
    assert parse_sse(versioned.content)[0][-1].event == "done"
    bad = httpx.get(f"{infer}?TEXT=x&DELAY=soon")
    assert _code(bad) == (422, "invalid_inputs")
    assert bad.json()["error"]["message"] == "input 'DELAY' is INT: 'soon' is not an integer"
    typo = httpx.get(f"{infer}?TXT=x").json()["error"]["message"]
    assert typo == "unknown input 'TXT' (did you mean 'TEXT'?)"


def test_eventsource_reconnect_to_the_same_url_continues_the_same_generation(
    start_server: StartServer,
) -> None:
    server = start_server("echo_stream")
    url = f"{server.url}/v2/models/echo/infer?TEXT=x&COUNT=40&DELAY=20"
    seen: list[str] = []
    with httpx.stream("GET", url, headers={"Accept": "text/event-stream"}, timeout=30) as first:
        buffer = b""
        for chunk in first.iter_raw():
            buffer += chunk
            if buffer.count(b"\ndata: ") >= 10:
                break
    whole = buffer[: buffer.rfind(b"\n\n") + 2]
    events, _ = parse_sse(whole)
    seen = [e.id or "" for e in events]
    last_id = seen[-1]
    stream_id = last_id.split(":")[0]
    # What a browser does: the same URL, plus Last-Event-ID.
    again = httpx.get(url, headers={"Last-Event-ID": last_id}, timeout=30)
    assert again.status_code == 200
    assert again.headers["x-stream-id"] == stream_id
    rest, _ = parse_sse(again.content)
    ids = seen + [e.id or "" for e in rest]
    assert ids == [f"{stream_id}:{n}" for n in range(1, 42)]  # 40 events + done, once each
    assert rest[-1].event == "done"
    # After the terminal event a reconnect gets 204: EventSource stops, no loop.
    assert httpx.get(url, headers={"Last-Event-ID": ids[-1]}).status_code == 204
    # A Last-Event-ID from another URL's stream does not cross over.
    other = httpx.get(
        f"{server.url}/v2/models/echo/infer?TEXT=y", headers={"Last-Event-ID": last_id}
    )
    assert _code(other) == (400, "invalid_last_event_id")


def test_last_event_id_edge_cases(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    started = httpx.post(
        f"{server.url}/v2/models/echo/infer", json=v2_body(TEXT="a b c"), timeout=30
    )
    stream_id = started.headers["x-stream-id"]
    resume = f"{server.url}/v2/models/echo/streams/{stream_id}"
    cases = {
        "²".encode(): "is not ASCII",
        b"9" * 5000: "is 5000 characters long",
        b"abc": "is not an id this server sends",
        b"-1": "is not an id this server sends",
        b"99": "is ahead of the stream",
        b"ffff:1": "is not from this stream",
    }
    for raw, words in cases.items():
        response = httpx.get(resume, headers=[(b"Last-Event-ID", raw)])
        assert _code(response) == (400, "invalid_last_event_id"), raw
        assert words in response.json()["error"]["message"], raw
    assert "Traceback" not in server.output
    assert httpx.get(resume, headers={"Last-Event-ID": f"{stream_id}:2"}).status_code == 200
    assert httpx.get(resume, headers={"Last-Event-ID": "2"}).status_code == 200


def test_resume_at_the_last_id_of_a_live_stream_continues_live(start_server: StartServer) -> None:
    server = start_server("echo_stream")
    body = v2_body(TEXT="x", COUNT=30, DELAY=50)
    with httpx.stream("POST", f"{server.url}/v2/models/echo/infer", json=body) as first:
        stream_id = first.headers["x-stream-id"]
        buffer = b""
        for chunk in first.iter_raw():
            buffer += chunk
            if b"\ndata: " in buffer:
                break
    events, _ = parse_sse(buffer[: buffer.rfind(b"\n\n") + 2])
    last = events[-1].seq
    response = httpx.get(
        f"{server.url}/v2/models/echo/streams/{stream_id}",
        headers={"Last-Event-ID": f"{stream_id}:{last}"},
        timeout=30,
    )
    rest, _ = parse_sse(response.content)
    assert [e.seq for e in rest] == list(range(last + 1, 32))
    assert rest[-1].event == "done"


def test_first_connect_without_last_event_id_replays_and_says_when_trimmed(
    start_server: StartServer,
) -> None:
    server = start_server("echo_stream", "--replay-buffer", "16")
    done = httpx.post(
        f"{server.url}/v2/models/echo/infer", json=v2_body(TEXT="x", COUNT=100), timeout=30
    )
    stream_id = done.headers["x-stream-id"]
    replay = httpx.get(f"{server.url}/v2/models/echo/streams/{stream_id}", timeout=30)
    assert replay.status_code == 200
    events, _ = parse_sse(replay.content)
    assert events[0].event == "trimmed" and events[0].id is None
    notice = json.loads(events[0].data)
    assert notice["code"] == "events_trimmed" and notice["first_id"] == events[1].seq
    assert [e.seq for e in events[1:]] == list(range(events[1].seq, 102))
    small = httpx.post(
        f"{server.url}/v2/models/echo/infer", json=v2_body(TEXT="a b"), timeout=30
    ).headers["x-stream-id"]
    whole, _ = parse_sse(httpx.get(f"{server.url}/v2/models/echo/streams/{small}").content)
    assert [e.event for e in whole] == ["message", "message", "done"]


def test_nan_and_infinity_are_invalid_events_never_invalid_json(start_server: StartServer) -> None:
    server = start_server("slow_start")
    response = httpx.post(
        f"{server.url}/v2/models/slow-start/infer", json=v2_body(NAN=True), timeout=30
    )
    events, _ = parse_sse(response.content)
    for event in events:
        json.loads(event.data, parse_constant=pytest.fail)  # strict JSON everywhere
    assert [e.event for e in events] == ["message", "error"]
    error = json.loads(events[-1].data)
    assert error["code"] == "invalid_event"
    assert "Out of range float values are not JSON compliant" in error["message"]


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


def test_a_disconnect_before_the_first_event_cancels_and_frees_the_slot(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("slow_start", "--heartbeat", "0.3", "--resume-grace", "0")
    marker = tmp_path / "cancelled"
    host, port = server.url.removeprefix("http://").split(":")
    payload = json.dumps(v2_body(TEXT="never", FIRST_DELAY=20000, MARKER=str(marker))).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v2/models/slow-start/infer HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        assert b"200 OK" in sock.recv(4096)
    deadline = time.monotonic() + 15
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == "cancelled"
    # The only slot is free again: the next request streams at once.
    response = httpx.post(
        f"{server.url}/v2/models/slow-start/infer", json=v2_body(TEXT="next"), timeout=10
    )
    assert b'"OUT":"next "' in response.content
    server.wait_for_line(r"end=cancelled")
