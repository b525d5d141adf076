"""The server's side of the worker: starting it, talking to it, noticing when it dies.

The worker is a child process so that a crash, a hang or an out-of-memory kill in the user's
code never takes the server down; the supervisor restarts it and fails in-flight requests
with a clear, retryable error.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infer.repo.datatypes import InputSpec
from infer.runtime.wire import FrameDecoder, Kind, encode

log = logging.getLogger("infer.serve")
STOP_TIMEOUT_S = 15.0
RESTART_DELAY_S = 0.5


class Call(Protocol):
    """Where a request's frames go: a Stream, or a pending non-streaming answer."""

    def push_event(self, payload: bytes) -> None: ...
    def finish(self, event: str, data: dict[str, Any]) -> None: ...


class _Discard:
    """Where an abandoned request's frames go until the worker ends it."""

    def push_event(self, payload: bytes) -> None:
        """Dropped."""

    def finish(self, event: str, data: dict[str, Any]) -> None:
        """Dropped."""


_DISCARD = _Discard()


class PendingResult:
    """A non-streaming request waiting for its answer."""

    def __init__(self) -> None:
        self.future: asyncio.Future[tuple[str, dict[str, Any]]] = (
            asyncio.get_running_loop().create_future()
        )

    def push_event(self, payload: bytes) -> None:
        """A non-streaming model has no events; a RESULT arrives as ``finish('result')``."""

    def finish(self, event: str, data: dict[str, Any]) -> None:
        """Resolve with (``result`` | ``done`` | ``error``, data)."""
        if not self.future.done():
            self.future.set_result((event, data))


@dataclass
class WorkerState:
    """What the server knows of its worker right now."""

    phase: str = "starting"  # starting, loading, ready, failed, stopped
    failure: dict[str, Any] | None = None
    streaming: bool = False
    inputs: list[InputSpec] = field(default_factory=list)


class WorkerSupervisor:
    """Starts, feeds, watches and restarts the worker process."""

    def __init__(self, repo: Path, gpu: bool, log_level: str = "info") -> None:
        self.repo = repo
        self.gpu = gpu
        self.log_level = log_level
        self.state = WorkerState()
        self.ready_event = asyncio.Event()
        self.fatal_event = asyncio.Event()
        self._calls: dict[int, Call] = {}
        self._next_request = 0
        self._transport: asyncio.Transport | None = None
        self._process: asyncio.subprocess.Process | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = False

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn the worker; returns once it runs (not once it is ready)."""
        self._stopping = False
        self.state.phase = "loading"
        self.state.failure = None
        self.ready_event.clear()
        parent, child = socket.socketpair()
        env = dict(os.environ)
        if not self.gpu:
            env["CUDA_VISIBLE_DEVICES"] = ""  # CPU runs are honest: the model sees no GPU
        command = [
            sys.executable,
            "-m",
            "infer.runtime.worker",
            "--fd",
            str(child.fileno()),
            "--repo",
            str(self.repo),
            "--log-level",
            self.log_level,
            *(["--gpu"] if self.gpu else []),
        ]
        self._process = await asyncio.create_subprocess_exec(
            *command, pass_fds=(child.fileno(),), env=env
        )
        child.close()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(lambda: _WorkerProtocol(self), sock=parent)
        self._transport = transport
        self._watcher = asyncio.create_task(self._watch(self._process))

    async def stop(self) -> None:
        """Ask the worker to finalize() and exit; kill it if it does not in time."""
        self._stopping = True
        process = self._process
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(encode(Kind.SHUTDOWN, 0))
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), STOP_TIMEOUT_S)
            except asyncio.TimeoutError:
                log.warning("the worker did not stop in %.0f s; killing it", STOP_TIMEOUT_S)
                process.kill()
                await process.wait()
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        if self._transport is not None:
            self._transport.close()
        self._fail_calls("server_shutting_down", "the server is shutting down", retryable=True)
        self.state.phase = "stopped"

    async def restart(self, reason: str) -> None:
        """Stop (or kill) the worker and start a fresh one."""
        log.info("restarting the worker: %s", reason)
        self._fail_calls("worker_restarted", f"the worker restarted ({reason})", retryable=True)
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
        await self.stop()
        await self.start()

    def kill(self) -> None:
        """Last resort at exit: no process is left behind."""
        if self._process is not None and self._process.returncode is None:
            self._process.kill()

    async def _watch(self, process: asyncio.subprocess.Process) -> None:
        code = await process.wait()
        if self._stopping or process is not self._process:
            return
        was_ready = self.state.phase == "ready"
        if was_ready:
            self.state.phase = "loading"  # not ready again until the new worker says so
            self.ready_event.clear()
        self._fail_calls(
            "worker_crashed",
            f"the model's worker process died (exit code {code}); the runtime restarts it",
            retryable=True,
        )
        if not was_ready:
            if self.state.phase != "failed":
                self._set_failed(
                    {
                        "code": "worker_crashed",
                        "message": f"the worker died while loading the model (exit code {code})",
                        "fatal": False,
                    }
                )
            return
        log.error("the worker died (exit code %s); restarting it", code)
        await asyncio.sleep(RESTART_DELAY_S)
        await self.start()

    # -- requests ---------------------------------------------------------------------------

    def submit(self, inputs: dict[str, Any], call: Call) -> int:
        """Send one request to the worker; its frames go to ``call``."""
        self._next_request += 1
        request = self._next_request
        if self._transport is None or self.state.phase != "ready":
            message = "the model's worker is restarting; try again in a moment"
            call.finish(
                "error", {"code": "worker_restarting", "message": message, "retryable": True}
            )
            return request
        self._calls[request] = call
        payload = json.dumps({"inputs": inputs}).encode()
        self._transport.write(encode(Kind.INFER, request, payload))
        return request

    def abandon(self, request: int) -> bool:
        """Ask the worker to stop this request; its later frames are dropped.

        Returns whether the worker was still running it.
        """
        if request not in self._calls:
            return False
        self._calls[request] = _DISCARD
        if self._transport is not None:
            self._transport.write(encode(Kind.CANCEL, request))
        return True

    def in_flight(self, request: int) -> bool:
        """Whether the worker is still running this request."""
        return request in self._calls

    # -- frames from the worker -------------------------------------------------------------

    def on_frame(self, kind: int, request: int, payload: bytes) -> None:
        """Route one frame (the hot path for EVENT)."""
        if kind == Kind.EVENT:
            call = self._calls.get(request)
            if call is not None:
                call.push_event(payload)
            return
        if kind in (Kind.DONE, Kind.ERROR, Kind.RESULT):
            call = self._calls.pop(request, None)
            if call is not None:
                event = {Kind.DONE: "done", Kind.ERROR: "error", Kind.RESULT: "result"}[Kind(kind)]
                call.finish(event, json.loads(payload))
            return
        self._on_lifecycle(Kind(kind), payload)

    def _on_lifecycle(self, kind: Kind, payload: bytes) -> None:
        data = json.loads(payload) if payload else {}
        if kind == Kind.HELLO:
            self.state.streaming = bool(data["streaming"])
            self.state.inputs = [InputSpec.from_metadata(entry) for entry in data["inputs"]]
            log.info("model imported (worker pid %s); running initialize()", data["pid"])
        elif kind == Kind.READY:
            self.state.phase = "ready"
            self.ready_event.set()
        elif kind == Kind.INIT_FAILED:
            self._set_failed(data)

    def _set_failed(self, data: dict[str, Any]) -> None:
        self.state.phase = "failed"
        self.state.failure = data
        log.error("%s", data.get("message"))
        if data.get("traceback"):
            log.error("%s", str(data["traceback"]).rstrip())
        if data.get("fatal"):
            self.fatal_event.set()
        self.ready_event.set()  # wake waiters so they see the failure

    def on_connection_lost(self, transport: asyncio.BaseTransport | None) -> None:
        """A socket closed; the process watcher decides what it means."""
        if transport is self._transport:  # not an old worker's socket closing late
            self._transport = None

    def _fail_calls(self, code: str, message: str, retryable: bool) -> None:
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.finish("error", {"code": code, "message": message, "retryable": retryable})


class _WorkerProtocol(asyncio.Protocol):
    def __init__(self, supervisor: WorkerSupervisor) -> None:
        self._supervisor = supervisor
        self._decoder = FrameDecoder()
        self._transport: asyncio.BaseTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        on_frame = self._supervisor.on_frame
        for kind, request, payload in self._decoder.feed(data):
            on_frame(kind, request, payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._supervisor.on_connection_lost(self._transport)
