"""An ASGI response that sends one Stream as Server-Sent Events to one reader.

It writes straight to the ASGI `send` (no per-chunk task group), watches for the client going
away while idle, and sends `: ping` comments when there is nothing else to send.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from infer.protocol.error_codes import ErrorCode, error_payload
from infer.runtime.server.sse import framing as sse
from infer.runtime.server.sse.streams import EventsLostError, Stream


class SSEResponse:
    """Sends ``stream``'s events after id ``after``, then live ones, until the terminal event.

    ``after=None`` (a first connect without Last-Event-ID) replays whatever the buffer still
    holds, saying in-band (a ``trimmed`` event) when the start is gone. Status, headers, the
    ``retry:``/``id:`` opening and pings go out at once, before the model's first event.
    """

    def __init__(
        self,
        stream: Stream,
        after: int | None,
        *,
        heartbeat_s: float,
        retry_ms: int,
        headers: dict[str, str],
        on_detach: Callable[[Stream], None],
    ) -> None:
        self.stream = stream
        self.after = after
        self.heartbeat_s = heartbeat_s
        self.retry_ms = retry_ms
        self.headers = headers
        self.on_detach = on_detach
        self._disconnected = False
        self._ping_due = False
        self._ticker: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the response (ASGI)."""
        raw_headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
            *((key.lower().encode(), value.encode()) for key, value in self.headers.items()),
        ]
        stream = self.stream
        stream.readers += 1
        stream.detached_at = None
        watcher = asyncio.create_task(self._watch_disconnect(receive))
        self._ticker = asyncio.get_running_loop().call_later(self.heartbeat_s, self._tick)
        try:
            await send({"type": "http.response.start", "status": 200, "headers": raw_headers})
            await self._pump(send)
            if not self._disconnected:
                await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            pass  # the client went away mid-write
        finally:
            if self._ticker is not None:
                self._ticker.cancel()
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            stream.readers -= 1
            if stream.readers == 0 and not stream.ended:
                self.on_detach(stream)

    async def _pump(self, send: Send) -> None:
        stream = self.stream
        cursor = self.after
        trimmed = b""
        if cursor is None:
            cursor = stream.first_kept_id - 1
            if cursor > 0:
                trimmed = self._trimmed_frame(cursor)
        prefix = sse.opening_frame(self.retry_ms, stream.id_prefix, cursor) + trimmed
        while not self._disconnected:
            try:
                chunk, cursor = stream.read_from(cursor)
            except EventsLostError as error:
                chunk, cursor = self._lost_frame(str(error)), stream.last_id
                await send(
                    {"type": "http.response.body", "body": prefix + chunk, "more_body": True}
                )
                return
            if chunk or prefix:
                await send(
                    {"type": "http.response.body", "body": prefix + chunk, "more_body": True}
                )
                prefix = b""
                self._ping_due = False
            if stream.ended and cursor >= stream.last_id:
                return
            if cursor < stream.last_id or self._disconnected:
                # It changed while send() awaited: new events and wake() only resolve a future
                # that already exists, so look again rather than wait for the next change.
                continue
            if not self._ping_due:
                await stream.wait()
            if self._ping_due and not self._disconnected and cursor >= stream.last_id:
                self._ping_due = False
                await send({"type": "http.response.body", "body": sse.PING, "more_body": True})

    def _lost_frame(self, detail: str) -> bytes:
        data = error_payload(
            ErrorCode.CLIENT_TOO_SLOW, f"this reader fell too far behind and {detail}"
        )
        stream = self.stream
        return sse.named_frame(
            stream.id_prefix, stream.last_id + 1, "error", json.dumps(data).encode()
        )

    def _trimmed_frame(self, missing: int) -> bytes:
        data = {
            "code": ErrorCode.EVENTS_TRIMMED.value,
            "message": f"events 1..{missing} left the replay buffer; this replay starts at "
            f"event {missing + 1}",
            "first_id": missing + 1,
        }
        return sse.notice_frame("trimmed", json.dumps(data).encode())

    def _tick(self) -> None:
        self._ping_due = True
        self.stream.wake()
        self._ticker = asyncio.get_running_loop().call_later(self.heartbeat_s, self._tick)

    async def _watch_disconnect(self, receive: Receive) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                self._disconnected = True
                self.stream.wake()
                return


def stream_headers(stream: Stream, resume_url: str) -> dict[str, Any]:
    """Headers that tell a client how to find this stream again."""
    return {"X-Stream-Id": stream.id, "X-Resume-Url": resume_url}
