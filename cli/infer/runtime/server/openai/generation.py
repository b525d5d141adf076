"""One model run behind an OpenAI request, read as text: from a streaming model's Stream (the
same buffered stream the v2 routes serve) or from a non-streaming model's single result.

Both offer the response the same four things: `next_batch()` (the text pieces that arrived, an
empty list when woken for a heartbeat, None at the end), `poke()` (wake it), `cancel()` (stop
the model and free the slot now) and `close()` (the response is over: stop whatever still runs).

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from typing import Any, Protocol

from infer.protocol.error_codes import ErrorCode, error_payload
from infer.runtime.server.openai.errors import OpenAIError, from_runtime
from infer.runtime.server.openai.outputs import EventText, result_text
from infer.runtime.server.slots import Slot
from infer.runtime.server.sse.streams import EventsLostError, Stream
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import PendingResult

log = logging.getLogger("infer.serve")


class Generation(Protocol):
    """What a response reads from."""

    request_id: str
    finish_reason: str | None
    failure: OpenAIError | None

    async def next_batch(self) -> list[str] | None:
        """Text that arrived since the last call ([] when poked); None once the run ended."""
        ...

    def poke(self) -> None:
        """Make a waiting next_batch() return now (for a heartbeat or a disconnect)."""

    def cancel(self, message: str) -> None:
        """Stop the model's run; its slot is free once this returns."""

    def close(self) -> None:
        """The response is over: cancel the run if it still goes on."""


def parse_frames(chunk: bytes) -> list[tuple[str, dict[str, Any]]]:
    """(event name, data) of each SSE frame the runtime wrote into a Stream."""
    frames = []
    for block in chunk.split(b"\n\n"):
        name, data = "message", None
        for line in block.split(b"\n"):
            if line.startswith(b"event: "):
                name = line[7:].decode()
            elif line.startswith(b"data: "):
                data = line[6:]
        if data is not None:
            frames.append((name, json.loads(data)))
    return frames


class StreamGeneration:
    """A streaming model's run, read from its Stream."""

    def __init__(self, runtime: Runtime, stream: Stream) -> None:
        self.runtime = runtime
        self.stream = stream
        self.request_id = stream.id
        self.finish_reason: str | None = None
        self.failure: OpenAIError | None = None
        self._text = EventText()
        self._cursor = 0
        self._ended = False
        self._poked = False
        self._closed = False
        stream.readers += 1  # so the runtime never treats it as abandoned while we read it

    async def next_batch(self) -> list[str] | None:
        """Text that arrived since the last call ([] when poked); None once the run ended."""
        stream = self.stream
        while not self._ended:
            try:
                chunk, self._cursor = stream.read_from(self._cursor)
            except EventsLostError as error:
                self._finish(
                    OpenAIError(
                        500, f"the reader fell behind: {error}", code=ErrorCode.CLIENT_TOO_SLOW
                    )
                )
                return None
            if chunk:
                return self._read(chunk)
            if self._poked:
                self._poked = False
                return []
            await stream.wait()
        return None

    def _read(self, chunk: bytes) -> list[str]:
        texts = []
        for name, data in parse_frames(chunk):
            if name == "message":
                text = self._text.read(data)
                if text:
                    texts.append(text)
            elif name == "done":
                self._finish(None)
            else:
                self._finish(from_runtime(data))
        return texts

    def _finish(self, failure: OpenAIError | None) -> None:
        self._ended = True
        self.failure = failure
        self.finish_reason = self._text.finish_reason

    def poke(self) -> None:
        """Make a waiting next_batch() return now."""
        self._poked = True
        self.stream.wake()

    def cancel(self, message: str) -> None:
        """Stop the model's run; its slot is free once this returns."""
        if not self.stream.ended:
            self.runtime.cancel_stream(self.stream, ErrorCode.CANCELLED, message)

    def close(self) -> None:
        """The response is over: cancel the run if it still goes on."""
        if not self._closed:
            self._closed = True
            self.stream.readers -= 1
            self.cancel("the response ended before the model did")


class ResultGeneration:
    """A non-streaming model's run: one answer, read as one piece of text."""

    def __init__(
        self,
        runtime: Runtime,
        pending: PendingResult,
        request_no: int,
        slot: Slot,
        remaining: float,
    ) -> None:
        self.runtime = runtime
        self.pending = pending
        self.request_no = request_no
        self.request_id = secrets.token_hex(8)
        self._started = time.perf_counter()
        self.slot = slot
        self.finish_reason: str | None = None
        self.failure: OpenAIError | None = None
        self._deadline = asyncio.get_running_loop().time() + remaining
        self._poke: asyncio.Future[None] | None = None
        self._ended = False

    async def next_batch(self) -> list[str] | None:
        """The whole answer once it is there ([] when poked); None after that."""
        if self._ended:
            return None
        loop = asyncio.get_running_loop()
        self._poke = loop.create_future()
        waiters: set[asyncio.Future[Any]] = {self.pending.future, self._poke}
        timeout = max(0.0, self._deadline - loop.time())
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        if self.pending.future in done:
            return self._answer(*self.pending.future.result())
        if self._poke in done:
            return []
        self.runtime.abandon(self.request_no)
        seconds = self.runtime.config.inference_time_s
        message = f"the model did not answer within inference_time ({seconds:g} s)"
        self._end(OpenAIError(504, message, code=ErrorCode.INFERENCE_TIMEOUT))
        return None

    def _answer(self, event: str, data: dict[str, Any]) -> list[str]:
        if event != "result":
            self._end(from_runtime(data))
            return []
        text, self.finish_reason = result_text(data["outputs"])
        self._end(None)
        return [text]

    def _end(self, failure: OpenAIError | None) -> None:
        self._ended = True
        self.failure = failure
        self.slot.release()
        # 499, as nginx logs it: the client closed the request before the answer.
        status = (
            200
            if failure is None
            else 499
            if failure.code == ErrorCode.CANCELLED
            else failure.status
        )
        log.info(
            "request %d  %d  duration=%.1fms",
            self.request_no,
            status,
            (time.perf_counter() - self._started) * 1000,
        )

    def poke(self) -> None:
        """Make a waiting next_batch() return now."""
        if self._poke is not None and not self._poke.done():
            self._poke.set_result(None)

    def cancel(self, message: str) -> None:
        """Stop the model's run; its slot is free once this returns."""
        if not self.pending.future.done():
            self.runtime.abandon(self.request_no)
            self.pending.finish("error", error_payload(ErrorCode.CANCELLED, message))
        self.slot.release()

    def close(self) -> None:
        """The response is over: cancel the run if it still goes on."""
        self.cancel("the response ended before the model did")
