"""A real browser: headless Chromium's own EventSource against `infer serve`, from a page on
another origin (allowed with --cors), through a proxy that cuts the first connection mid-stream.
The browser's automatic reconnect (same URL + Last-Event-ID) must continue the same generation,
every event must arrive exactly once, and after the terminal event it must stop (204)."""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import StartServer

CHROMIUM = Path("/usr/bin/chromium")
PAGE = """<!doctype html>
<meta charset="utf-8">
<script>
  window.seen = []; window.errors = 0; window.finished = null;
  const source = new EventSource("%(url)s");
  source.onmessage = (e) => window.seen.push([e.lastEventId, JSON.parse(e.data).OUT]);
  source.addEventListener("done", (e) => { window.finished = e.lastEventId; });
  source.onerror = () => { window.errors += 1; };
  window.source = source;
</script>
"""


class CuttingProxy:
    """Relays TCP to ``upstream``; the first connection is cut after ``cut_after`` events."""

    def __init__(self, upstream: tuple[str, int], cut_after: int) -> None:
        self.upstream = upstream
        self.cut_after = cut_after
        self.client_bytes: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            server = socket.create_connection(self.upstream)
            self._sockets += [client, server]
            cut = self.cut_after if self.connections == 1 else None
            threading.Thread(target=self._pump, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, cut), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, cut: int | None) -> None:
        seen = b""
        while True:
            try:
                data = source.recv(65536)
            except OSError:
                break
            if not data:
                break
            if cut is None and sink is not None and source in self._sockets[::2]:
                self.client_bytes.append(data)
            try:
                sink.sendall(data)
            except OSError:
                break
            if cut is not None:
                seen += data
                if seen.count(b"\ndata: ") >= cut:
                    break  # drop the connection mid-stream, both ways
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def close(self) -> None:
        self._stopped = True
        self.listener.close()
        for sock in self._sockets:
            sock.close()


@pytest.fixture
def page_server() -> Iterator[dict[str, Any]]:
    state: dict[str, Any] = {"html": b""}

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/html; charset=utf-8")
            self.send_header("content-length", str(len(state["html"])))
            self.end_headers()
            self.wfile.write(state["html"])

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["origin"] = f"http://127.0.0.1:{httpd.server_address[1]}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def test_eventsource_survives_a_drop_with_every_event_exactly_once(
    start_server: StartServer, page_server: dict[str, Any]
) -> None:
    if not CHROMIUM.exists() or shutil.which("chromium") is None:
        pytest.skip("Debian chromium is not installed (scripts/test installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    server = start_server("echo_stream", "--cors", page_server["origin"])
    host, port = server.url.removeprefix("http://").split(":")
    proxy = CuttingProxy((host, int(port)), cut_after=10)
    url = f"http://127.0.0.1:{proxy.port}/v2/models/echo/infer?TEXT=x&COUNT=40&DELAY=40"
    page_server["html"] = (PAGE % {"url": url}).encode()
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
            )
            try:
                page = browser.new_page()
                page.goto(page_server["origin"] + "/")
                page.wait_for_function("window.finished !== null", timeout=60_000)
                # No reconnect loop: the reconnect after `done` gets 204 and the source closes.
                page.wait_for_function("window.source.readyState === 2", timeout=30_000)
                seen = page.evaluate("window.seen")
                finished = page.evaluate("window.finished")
                errors = page.evaluate("window.errors")
            finally:
                browser.close()
    finally:
        proxy.close()
    stream_id = finished.split(":")[0]
    assert [event_id for event_id, _ in seen] == [f"{stream_id}:{n}" for n in range(1, 41)]
    assert [text for _, text in seen] == [f"w{i} " for i in range(40)]
    assert finished == f"{stream_id}:41"
    requests = b"".join(proxy.client_bytes).split(b"GET /v2/models/echo/infer")[1:]
    assert len(requests) == 3  # the first, the reconnect after the drop, the one after `done`
    resumed_at = re.search(rb"last-event-id: ([0-9a-f]+):(\d+)\r\n", requests[1].lower())
    assert resumed_at is not None and resumed_at.group(1) == stream_id.encode()
    assert 5 <= int(resumed_at.group(2)) < 40  # it had some events, not all of them
    assert b"last-event-id: " + finished.encode() + b"\r\n" in requests[2].lower()
    assert errors == 3  # the drop, the clean end after `done` (EventSource retries), the 204
    # One generation served them all.
    assert sum(" 200  events=40 " in line for line in server.lines) == 1
