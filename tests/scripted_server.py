"""A scripted HTTP server for client tests: real sockets on 127.0.0.1, answering with exactly
the bytes a test needs (dropped connections, malformed SSE, HTML), which `infer serve` never
sends on purpose."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

METADATA = {
    "name": "m",
    "streaming": True,
    "inputs": [{"name": "TEXT", "datatype": "STRING", "shape": [1], "required": True}],
}

Script = Callable[[BaseHTTPRequestHandler], None]


class ScriptedServer:
    """Routes (method, path) to scripts; records every request's headers."""

    def __init__(self, routes: dict[tuple[str, str], Script]) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.bodies: list[bytes] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _dispatch(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                outer.bodies.append(self.rfile.read(length) if length else b"")
                outer.requests.append((method, self.path, dict(self.headers)))
                script = routes.get((method, self.path))
                if script is None and method == "GET" and self.path == "/v2/models/m":
                    script = json_script(200, METADATA)
                if script is None and method == "GET" and self.path == "/v2/models":
                    script = json_script(200, {"models": [{"name": "m"}]})
                if script is None:
                    json_script(404, {"error": {"code": "not_found", "message": "nope"}})(self)
                else:
                    script(self)

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def json_script(status: int, body: dict[str, Any]) -> Script:
    def script(handler: BaseHTTPRequestHandler) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return script


def sse_script(body: bytes, headers: dict[str, str] | None = None, close: bool = True) -> Script:
    """Send SSE bytes without a length, then close the connection (a drop, unless terminal)."""

    def script(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("connection", "close")
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
        if close:
            handler.close_connection = True

    return script


def events(first: int, last: int) -> bytes:
    return b"".join(b'id: %d\ndata: {"OUT": "w%d "}\n\n' % (i, i) for i in range(first, last + 1))


def framed_sse_script(body: bytes, headers: dict[str, str] | None = None) -> Script:
    """SSE bytes with a Content-Length: the end of the body is a clean, vouched-for end."""

    def script(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("content-type", "text/event-stream")
        for key, value in (headers or {}).items():
            handler.send_header(key, value)
        handler.send_header("content-length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return script


def in_turn(*scripts: Script) -> Script:
    """Each call runs the next script (the last one repeats)."""
    calls = iter(range(1 << 30))

    def script(handler: BaseHTTPRequestHandler) -> None:
        scripts[min(next(calls), len(scripts) - 1)](handler)

    return script
