"""A scripted stand-in for the worker process, for in-process runtime tests.

It speaks the real wire protocol (``infer.runtime.wire``) over one end of a socketpair, on the
test's event loop, while the real supervisor, admission, SSE framing and replay buffers run on
the other end. A test scripts what the "model" does per request (send events, fail, hang,
ignore a cancellation) and what the "process" does (fail to load, crash).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from infer.runtime.wire import FrameDecoder, Kind, encode

# The schema of tests/models/echo_stream, as the real worker's HELLO would carry it.
ECHO_INPUTS: list[dict[str, Any]] = [
    {"name": "TEXT", "datatype": "STRING", "shape": [1], "required": True, "example": ["hi"]},
    {"name": "DELAY", "datatype": "INT", "shape": [1], "required": False, "example": [0]},
    {"name": "COUNT", "datatype": "INT", "shape": [1], "required": False, "example": [0]},
]
# Fake pids are far above any real one, so a test can tell them apart and never signal them.
_PIDS = itertools.count(10_000_000)


class FakeProcess:
    """The worker "process": what the supervisor sees as a pid, an exit code and a kill."""

    def __init__(self) -> None:
        self.pid = next(_PIDS)
        self.returncode: int | None = None
        self._exited = asyncio.Event()

    def kill(self) -> None:
        """SIGKILL: exit code -9 (the connection notices and stops)."""
        self.exit(-9)

    def exit(self, code: int) -> None:
        """End the process with ``code`` (the first exit wins)."""
        if self.returncode is None:
            self.returncode = code
            self._exited.set()

    async def wait(self) -> int:
        """Wait for the exit; its code."""
        await self._exited.wait()
        assert self.returncode is not None
        return self.returncode


class FakeCancelledError(Exception):
    """Raised by FakeRequest.event once the server cancelled the request (as the handler does)."""


class FakeRequest:
    """One INFER the fake worker received: its inputs, and the frames the script answers with."""

    def __init__(self, connection: FakeConnection, number: int, inputs: dict[str, Any]) -> None:
        self.connection = connection
        self.number = number
        self.inputs = inputs
        self.cancelled = asyncio.Event()
        self.ended = False

    async def event(self, data: dict[str, Any]) -> None:
        """One streamed event, serialised the way the real worker does it.

        Raises FakeCancelledError once the server sent CANCEL, like send_streamed_output.
        """
        if self.cancelled.is_set():
            raise FakeCancelledError()
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
        await self.connection.send(Kind.EVENT, self.number, payload)

    async def done(self, auto_finalised: bool = False) -> None:
        """End well."""
        await self._end(Kind.DONE, {"auto_finalised": auto_finalised})

    async def error(self, code: str, message: str, retryable: bool = False) -> None:
        """End badly, in-band."""
        await self._end(Kind.ERROR, {"code": code, "message": message, "retryable": retryable})

    async def result(self, outputs: list[dict[str, Any]]) -> None:
        """A non-streaming answer (v2 outputs)."""
        await self._end(Kind.RESULT, {"outputs": outputs})

    async def _end(self, kind: Kind, data: dict[str, Any]) -> None:
        self.ended = True
        await self.connection.send(kind, self.number, json.dumps(data).encode())


Script = Callable[[FakeRequest], Awaitable[None]]
Startup = Callable[["FakeConnection"], Awaitable[None]]


async def echo_words(request: FakeRequest) -> None:
    """The default model, tests/models/echo_stream's twin: one event per word of TEXT (or
    COUNT numbered ones), DELAY ms apart, then done."""
    delay = float(request.inputs.get("DELAY") or 0) / 1000
    count = int(request.inputs.get("COUNT") or 0)
    text = str(request.inputs.get("TEXT", ""))
    words = [f"w{i} " for i in range(count)] if count else [w + " " for w in text.split()]
    for word in words:
        await request.event({"OUT": word})
        if delay:
            await asyncio.sleep(delay)
    await request.done()


async def hang(request: FakeRequest) -> None:
    """A model stuck in its own code: it never sends again and never sees a cancellation."""
    await asyncio.Event().wait()


class FakeConnection:
    """One launched fake worker: its process, its socket, its requests."""

    def __init__(self, fake: FakeWorker, process: FakeProcess) -> None:
        self.fake = fake
        self.process = process
        self.requests: dict[int, FakeRequest] = {}
        self.commands: list[tuple[Kind, int]] = []
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._crashing = False

    async def send(self, kind: Kind, request: int, payload: bytes = b"") -> None:
        """Write one frame to the server."""
        if self._writer is None or self._writer.is_closing():
            return
        self._writer.write(encode(kind, request, payload))
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    async def send_json(self, kind: Kind, data: dict[str, Any], request: int = 0) -> None:
        """Write one frame whose payload is ``data`` as JSON."""
        await self.send(kind, request, json.dumps(data).encode())

    async def hello_and_ready(self) -> None:
        """What a worker that loads fine says: HELLO with the schema, then READY."""
        fake = self.fake
        hello = {"streaming": fake.streaming, "inputs": fake.inputs, "pid": self.process.pid}
        await self.send(Kind.HELLO, 0, json.dumps(hello).encode())
        await self.send(Kind.READY, 0, json.dumps({"device": "cpu"}).encode())

    def crash(self, code: int = 3) -> None:
        """The process dies: its socket closes (what it wrote still arrives), then it exits."""
        self._crashing = True
        self._stop()
        # A real exit is noticed (SIGCHLD) after the socket's last bytes were read.
        asyncio.get_running_loop().call_later(0.05, self.process.exit, code)

    async def run(self, sock: socket.socket) -> None:
        """Start up, then answer the server's commands until SHUTDOWN, EOF or death."""
        reader, self._writer = await asyncio.open_connection(sock=sock)
        self._spawn(self.fake.startup(self))
        decoder = FrameDecoder()
        while self.process.returncode is None:
            data = await reader.read(1 << 16)
            if not data:
                break
            for kind, number, payload in decoder.feed(data):
                self.commands.append((Kind(kind), number))
                self._on_command(Kind(kind), number, payload)
        if not self._crashing:  # the server closed the socket: a real worker exits then
            self.process.exit(0)
        self._stop()

    def _on_command(self, kind: Kind, number: int, payload: bytes) -> None:
        if kind == Kind.INFER:
            request = FakeRequest(self, number, json.loads(payload)["inputs"])
            self.requests[number] = request
            self.fake.received.append(request)
            self._spawn(self._answer(request))
        elif kind == Kind.CANCEL and number in self.requests:
            self.requests[number].cancelled.set()
        elif kind == Kind.SHUTDOWN and self.fake.exits_on_shutdown:
            self.process.exit(0)
            self._stop()

    async def _answer(self, request: FakeRequest) -> None:
        try:
            await self.fake.script(request)
        except FakeCancelledError:
            await request.error("cancelled", "the request was cancelled", retryable=True)
        if not request.ended and self.fake.streaming:
            await request.done(auto_finalised=True)

    def _spawn(self, work: Awaitable[None]) -> None:
        async def guarded() -> None:
            with contextlib.suppress(asyncio.CancelledError):
                await work

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _stop(self) -> None:
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        if self._writer is not None:
            self._writer.close()

    async def close(self) -> None:
        """Kill the process and wait until none of its tasks runs."""
        self.process.kill()
        self._stop()
        tasks = [task for task in self._tasks if task is not asyncio.current_task()]
        await asyncio.gather(*tasks, return_exceptions=True)


@dataclass
class FakeWorker:
    """What every worker the supervisor launches will do; pass ``launch`` to the supervisor.

    ``script`` answers each request (by default: echo TEXT's words as events); ``startup``
    runs when a worker starts (by default: HELLO, then READY).
    """

    streaming: bool = True
    inputs: list[dict[str, Any]] = field(default_factory=lambda: [dict(e) for e in ECHO_INPUTS])
    script: Script = echo_words
    startup: Startup = FakeConnection.hello_and_ready
    # False: SHUTDOWN is ignored, like a worker whose finalize() hangs.
    exits_on_shutdown: bool = True
    connections: list[FakeConnection] = field(default_factory=list)
    received: list[FakeRequest] = field(default_factory=list)
    _runs: list[asyncio.Task[None]] = field(default_factory=list)

    async def launch(self) -> tuple[FakeProcess, socket.socket]:
        """Start one fake worker; the supervisor gets its process and the server's socket end."""
        server_end, worker_end = socket.socketpair()
        connection = FakeConnection(self, FakeProcess())
        self.connections.append(connection)
        self._runs.append(asyncio.get_running_loop().create_task(connection.run(worker_end)))
        return connection.process, server_end

    @property
    def current(self) -> FakeConnection:
        """The most recently launched worker."""
        return self.connections[-1]

    async def close(self) -> None:
        """Kill every worker and wait for all of their tasks: nothing outlives the test."""
        for connection in self.connections:
            await connection.close()
        for run in self._runs:
            run.cancel()
        await asyncio.gather(*self._runs, return_exceptions=True)
