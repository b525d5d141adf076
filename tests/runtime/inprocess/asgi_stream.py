"""One HTTP request driven through an ASGI app by hand, its body read as the app sends it.

httpx's ASGITransport (and Starlette's TestClient) hand back a response only once the app has
finished it, so they cannot read a live stream's first events, drop the connection halfway, or
watch a stream end while the server shuts down. This can, with the same ASGI messages a real
server (uvicorn) exchanges with the app.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from starlette.types import ASGIApp, Message

HOST = "127.0.0.1:8000"


class ASGIStream:
    """A request in flight: its status and headers, and its body so far."""

    def __init__(self, app: ASGIApp, method: str, path: str, headers: dict[str, str], body: bytes):
        self.status = 0
        self.headers: dict[str, str] = {}
        self.body = b""
        self.complete = False
        self._messages: asyncio.Queue[Message] = asyncio.Queue()
        self._disconnected = asyncio.Event()
        self._flowing = asyncio.Event()  # cleared: the app's sends block, as on a full socket
        self._flowing.set()
        self._request_body: bytes | None = body
        path, _, query = path.partition("?")
        raw_headers = [(b"host", HOST.encode())]
        raw_headers += [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
        }

        async def run() -> None:
            await app(scope, self._receive, self._send)

        self.task = asyncio.get_running_loop().create_task(run())

    @classmethod
    async def open(
        cls,
        app: ASGIApp,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ASGIStream:
        """Send the request; return once the status and headers arrived."""
        body = b"" if json_body is None else json.dumps(json_body).encode()
        all_headers = {"content-type": "application/json"} if json_body is not None else {}
        stream = cls(app, method, path, {**all_headers, **(headers or {})}, body)
        while not stream.status:
            await stream._next(timeout=10)
        return stream

    async def _receive(self) -> Message:
        if self._request_body is not None:
            body, self._request_body = self._request_body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self._disconnected.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: Message) -> None:
        await self._flowing.wait()
        await self._messages.put(message)

    def pause(self) -> None:
        """Stop reading: the app's next send blocks, like a client whose socket buffer is full."""
        self._flowing.clear()

    def resume(self) -> None:
        """Read again."""
        self._flowing.set()

    async def _next(self, timeout: float) -> None:
        getter = asyncio.ensure_future(self._messages.get())
        done, _ = await asyncio.wait(
            {getter, self.task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if getter not in done:
            getter.cancel()
            if self.task in done:
                self.task.result()  # the app raised: show it
                raise AssertionError(f"the app finished without completing: {self.body!r}")
            raise AssertionError(f"nothing arrived within {timeout} s; so far: {self.body!r}")
        message = getter.result()
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = {k.decode().lower(): v.decode() for k, v in message["headers"]}
        elif message["type"] == "http.response.body":
            self.body += message.get("body", b"")
            self.complete = not message.get("more_body", False)
            if self.complete:
                self._disconnected.set()  # as uvicorn does once a response is complete

    async def read_until(self, marker: bytes, timeout: float = 10) -> bytes:
        """The body so far, once it contains ``marker``."""
        while marker not in self.body:
            if self.complete:
                raise AssertionError(f"the body ended without {marker!r}: {self.body!r}")
            await self._next(timeout)
        return self.body

    async def read_all(self, timeout: float = 10) -> bytes:
        """The whole body, once the app has sent its last chunk."""
        while not self.complete:
            await self._next(timeout)
        await asyncio.wait_for(self.task, timeout)
        return self.body

    async def disconnect(self, timeout: float = 10) -> None:
        """The client goes away; returns once the app has finished with the request."""
        self._disconnected.set()
        await asyncio.wait_for(self.task, timeout)
