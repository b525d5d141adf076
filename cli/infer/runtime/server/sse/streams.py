"""Streams: each streamed answer's framed events in a bounded replay buffer, and their registry.

Events are framed as SSE once, when they arrive, so live readers and resuming readers send the
same bytes without re-encoding. The buffer keeps at least ``capacity`` recent events (at most
twice that, so trimming is amortised); a reader that falls further behind than that has lost
events and is told so in-band rather than growing memory without bound.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

from infer.protocol.error_codes import ErrorCode, error_payload
from infer.runtime.server.sse import framing as sse


class EventsLostError(Exception):
    """The reader asked for events that have already left the replay buffer."""


class Stream:
    """One streamed answer: events so far, how it ended, and who is reading it."""

    def __init__(self, stream_id: str, capacity: int) -> None:
        self.id = stream_id
        self.id_prefix = stream_id.encode() + b":"
        # For streams started by GET (EventSource): the query that started them, so a reconnect
        # with this stream's Last-Event-ID is known to come from the same page.
        self.query: str | None = None
        self.request_no = 0
        self.capacity = capacity
        self.started = time.perf_counter()
        self.first_event_at: float | None = None
        self.ended_at: float | None = None
        self.outcome = ""
        self.events = 0
        self.readers = 0
        self.detached_at: float | None = None
        self._frames: list[bytes] = []
        self._base = 1  # the event id of _frames[0]
        self._next_id = 1
        self._terminal: bytes | None = None
        self._changed: asyncio.Future[None] | None = None
        self._on_end: list[Callable[[Stream], None]] = []

    @property
    def ended(self) -> bool:
        """Whether the terminal event has been written."""
        return self._terminal is not None

    @property
    def last_id(self) -> int:
        """The id of the last event written (the terminal one once ended)."""
        return self._next_id - 1

    @property
    def first_kept_id(self) -> int:
        """The id of the oldest event still in the replay buffer (1 until the buffer trims)."""
        return self._base

    def on_end(self, callback: Callable[[Stream], None]) -> None:
        """Call ``callback(stream)`` once, when the stream ends."""
        if self.ended:
            callback(self)
        else:
            self._on_end.append(callback)

    def push_event(self, payload: bytes) -> None:
        """Append one model event (its JSON) to the stream."""
        if self._terminal is not None:
            return
        event_id = self._next_id
        self._next_id = event_id + 1
        self.events += 1
        if self.first_event_at is None:
            self.first_event_at = time.perf_counter()
        frames = self._frames
        frames.append(sse.event_frame(self.id_prefix, event_id, payload))
        if len(frames) >= 2 * self.capacity:
            del frames[: self.capacity]
            self._base += self.capacity
        self._notify()

    def finish(self, event: str, data: dict[str, Any]) -> None:
        """Write the terminal event (`done` or `error`); later calls are ignored.

        For `done`, ``data`` is what the worker reported; the event carries the stream's numbers.
        """
        if self._terminal is not None:
            return
        self.ended_at = end = time.perf_counter()
        if self.first_event_at is None:
            self.first_event_at = end
        if event == "done":
            data = {
                "events": self.events,
                "ttft_ms": round((self.first_event_at - self.started) * 1000, 2),
                "duration_ms": round((end - self.started) * 1000, 2),
                **(
                    {
                        "warning": "infer() returned without finalise_streamed_output(); "
                        "the runtime finalised the stream"
                    }
                    if data.get("auto_finalised")
                    else {}
                ),
            }
        self.outcome = event if event == "done" else str(data.get("code", event))
        self._terminal = sse.named_frame(
            self.id_prefix, self._next_id, event, json.dumps(data).encode()
        )
        self._next_id += 1
        self._notify()
        callbacks, self._on_end = self._on_end, []
        for callback in callbacks:
            callback(self)

    def fail(self, code: ErrorCode, message: str) -> None:
        """End badly, in-band (``retryable`` as the catalogue says for ``code``)."""
        self.finish("error", error_payload(code, message))

    def read_from(self, after: int) -> tuple[bytes, int]:
        """The framed events after id ``after`` (terminal included), and the new cursor."""
        if after >= self._next_id - 1:
            return b"", after
        start = after + 1 - self._base
        if start < 0:
            raise EventsLostError(f"events {after + 1}..{self._base - 1} left the buffer")
        chunk = b"".join(self._frames[start:]) if start < len(self._frames) else b""
        if self._terminal is not None:
            chunk += self._terminal
        return chunk, self._next_id - 1

    def wait(self) -> asyncio.Future[None]:
        """A future that resolves at the next change (an event, or the end)."""
        if self._changed is None or self._changed.done():
            self._changed = asyncio.get_running_loop().create_future()
        return self._changed

    def wake(self) -> None:
        """Wake every reader (for a heartbeat or a disconnect)."""
        self._notify()

    def _notify(self) -> None:
        changed = self._changed
        if changed is not None and not changed.done():
            changed.set_result(None)


class StreamRegistry:
    """Live and recently finished streams, by id, for resuming."""

    def __init__(self, capacity: int, keep_finished_s: float, max_streams: int = 256) -> None:
        self.capacity = capacity
        self.keep_finished_s = keep_finished_s
        self.max_streams = max_streams
        self._streams: dict[str, Stream] = {}
        self._pruned_at = 0.0

    def create(self) -> Stream:
        """A new stream with a fresh, unguessable id."""
        now = time.perf_counter()
        if now - self._pruned_at > 1.0 or len(self._streams) > self.max_streams:
            self._pruned_at = now
            self.prune()
        stream = Stream(secrets.token_hex(8), self.capacity)
        self._streams[stream.id] = stream
        return stream

    def get(self, stream_id: str) -> Stream | None:
        """The stream, or None if unknown or expired."""
        return self._streams.get(stream_id)

    def live(self) -> list[Stream]:
        """Streams that have not ended."""
        return [stream for stream in self._streams.values() if not stream.ended]

    def prune(self) -> None:
        """Forget finished streams past their keep time, and the oldest beyond the cap."""
        now = time.perf_counter()
        expired = [
            key
            for key, stream in self._streams.items()
            if stream.ended_at is not None and now - stream.ended_at > self.keep_finished_s
        ]
        for key in expired:
            del self._streams[key]
        overflow = len(self._streams) - self.max_streams
        if overflow > 0:
            finished = [key for key, stream in self._streams.items() if stream.ended]
            for key in finished[:overflow]:
                del self._streams[key]
