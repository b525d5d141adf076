"""The ASGI responses of the OpenAI routes: an SSE stream of chunks ending in `data: [DONE]`,
or one JSON object. Both watch for the client going away and then cancel the model's run, so no
time is spent on an answer nobody reads.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from starlette.responses import JSONResponse
from starlette.types import Message, Receive, Scope, Send

from infer.runtime.server.openai.generation import Generation
from infer.runtime.server.openai.objects import DONE_FRAME, CompletionObjects, Usage, sse_frame
from infer.runtime.server.sse import framing as sse

CountUsage = Callable[[str], Awaitable[Usage | None]]


@dataclass
class ReplyPlan:
    """What one response needs besides the generation itself."""

    objects: CompletionObjects
    count_usage: CountUsage | None
    include_usage: bool
    warnings: list[str] = field(default_factory=list)
    prefix: str = ""  # `echo: true` on /v1/completions: the prompt goes first
    heartbeat_s: float = 15.0


class _Reply:
    def __init__(self, generation: Generation, plan: ReplyPlan) -> None:
        self.generation = generation
        self.plan = plan
        self.disconnected = False

    async def _watch(self, receive: Receive) -> None:
        while True:
            message: Message = await receive()
            if message["type"] == "http.disconnect":
                self.disconnected = True
                self.generation.cancel("the client disconnected")
                self.generation.poke()
                return

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the response (ASGI)."""
        watcher = asyncio.create_task(self._watch(receive))
        try:
            await self._run(scope, receive, send)
        except OSError:
            pass  # the client went away mid-write
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            self.generation.close()

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError

    async def _usage(self, text: str) -> Usage | None:
        count = self.plan.count_usage
        return await count(text) if count is not None else None


class JSONReply(_Reply):
    """`stream: false`: the whole answer as one chat.completion / text_completion object."""

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = [self.plan.prefix]
        while (batch := await self.generation.next_batch()) is not None:
            parts.extend(batch)
            if self.disconnected:
                return
        if self.disconnected:
            return
        failure = self.generation.failure
        if failure is not None:
            await failure.response()(scope, receive, send)
            return
        text = "".join(parts)
        payload = self.plan.objects.complete(
            text, self.generation.finish_reason or "stop", await self._usage(text)
        )
        if self.plan.warnings:
            payload["warnings"] = self.plan.warnings
        await JSONResponse(payload)(scope, receive, send)


class StreamReply(_Reply):
    """`stream: true`: chunks as the model produces them, then the finish, usage and [DONE]."""

    _send: Send
    _ticker: asyncio.TimerHandle | None = None
    _ping_due = False

    async def _run(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._send = send
        headers = [
            (b"content-type", b"text/event-stream; charset=utf-8"),
            (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"),
            (b"x-request-id", self.generation.request_id.encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        objects = self.plan.objects
        first = objects.chunk("" if objects.kind == "chat" else None, role=True)
        if self.plan.warnings:
            first["warnings"] = self.plan.warnings
        await self._write(sse_frame(first) + self._text_frames([self.plan.prefix]))
        texts = [self.plan.prefix]
        self._ticker = asyncio.get_running_loop().call_later(self.plan.heartbeat_s, self._tick)
        try:
            while (batch := await self.generation.next_batch()) is not None:
                if self.disconnected:
                    return
                if batch:
                    texts.extend(batch)
                    await self._write(self._text_frames(batch))
                elif self._ping_due:
                    self._ping_due = False
                    await self._write(sse.PING)
        finally:
            if self._ticker is not None:
                self._ticker.cancel()
        if self.disconnected:
            return
        await self._write(await self._ending("".join(texts)))
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _tick(self) -> None:
        self._ping_due = True
        self.generation.poke()
        self._ticker = asyncio.get_running_loop().call_later(self.plan.heartbeat_s, self._tick)

    def _text_frames(self, texts: list[str]) -> bytes:
        chunk = self.plan.objects.chunk
        return b"".join(sse_frame(chunk(text)) for text in texts if text)

    async def _ending(self, text: str) -> bytes:
        failure = self.generation.failure
        if failure is not None:
            # In-band, then the stream closes without [DONE]: the answer did not complete.
            return sse_frame(failure.body())
        objects = self.plan.objects
        finish = objects.chunk(None, finish_reason=self.generation.finish_reason or "stop")
        frames = sse_frame(finish)
        if self.plan.include_usage:
            frames += sse_frame(objects.usage_chunk(await self._usage(text)))
        return frames + DONE_FRAME

    async def _write(self, body: bytes) -> None:
        if body:
            await self._send({"type": "http.response.body", "body": body, "more_body": True})
