"""The server's side of the worker: starting it, talking to it, noticing when it dies.

The worker is a child process so that a crash, a hang or an out-of-memory kill in the user's
code never takes the server down; the supervisor restarts it and fails in-flight requests
with a clear, retryable error.

A request that ignores its cancellation does not take healthy streams down with it: the
supervisor *drains* its worker instead of killing it. A fresh worker takes every new request
while the old one keeps serving the requests it already runs; it is killed as soon as only
abandoned requests are left on it, or when its drain time is up (healthy requests still
running then end in-band with ``worker_restarted``). At most one worker drains at a time.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from infer.environment.diagnose import log_failure
from infer.environment.launch import WorkerEnvironment
from infer.protocol.error_codes import ErrorCode, error_payload
from infer.repo.datatypes import InputSpec
from infer.repo.inferless_settings import DEFAULT_INFERENCE_TIME_S
from infer.runtime.server.worker_state import LoadFailure, Phase, WorkerState
from infer.runtime.wire import FrameDecoder, Kind, encode

log = logging.getLogger("infer.serve")
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


class WorkerHandle(Protocol):
    """What the supervisor needs of a worker process (``asyncio.subprocess.Process`` has it)."""

    @property
    def pid(self) -> int: ...
    @property
    def returncode(self) -> int | None: ...
    def kill(self) -> None: ...
    async def wait(self) -> int: ...


# Starts one worker: its process, and the server's end of the socket it speaks wire.py over.
# The default is WorkerSupervisor.spawn; tests pass a fake worker's (tests/runtime/inprocess).
WorkerLauncher = Callable[[], Awaitable[tuple[WorkerHandle, socket.socket]]]


@dataclass(eq=False)
class WorkerProcess:
    """One worker process, its socket, and the requests it runs."""

    process: WorkerHandle
    transport: asyncio.Transport | None = None
    calls: dict[int, Call] = field(default_factory=dict)
    watcher: asyncio.Task[None] | None = None
    drain_timer: asyncio.TimerHandle | None = None

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid

    @property
    def healthy_calls(self) -> int:
        """Requests on this worker that someone still waits for."""
        return sum(1 for call in self.calls.values() if call is not _DISCARD)

    def send(self, frame: bytes) -> None:
        """Write one frame, unless the socket is gone."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(frame)

    def kill(self) -> None:
        """SIGKILL, if it still runs."""
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    def fail_calls(self, code: ErrorCode, message: str) -> None:
        """End every request on this worker in-band."""
        calls, self.calls = self.calls, {}
        for call in calls.values():
            call.finish("error", error_payload(code, message))


class WorkerSupervisor:
    """Starts, feeds, watches, drains and restarts the worker process."""

    def __init__(
        self,
        repo: Path,
        gpu: bool,
        log_level: str = "info",
        drain_timeout_s: float = DEFAULT_INFERENCE_TIME_S,
        worker: WorkerEnvironment | None = None,
        exit_on_failure: bool = False,
        launch: WorkerLauncher | None = None,
    ) -> None:
        self.repo = repo
        self.gpu = gpu
        self.log_level = log_level
        self.drain_timeout_s = drain_timeout_s
        self.worker = worker or WorkerEnvironment(device="gpu" if gpu else "cpu")
        # Without --reload a model that cannot load ends the server; with it, we wait for a fix.
        self.exit_on_failure = exit_on_failure
        # How each worker starts: a real process, unless a test hands in a fake one.
        self.launch: WorkerLauncher = launch or self.spawn
        self.state = WorkerState()
        self.ready_event = asyncio.Event()
        self.fatal_event = asyncio.Event()
        self._worker: WorkerProcess | None = None
        self._draining: WorkerProcess | None = None
        self._owner: dict[int, WorkerProcess] = {}
        self._next_request = 0
        self._stopping = False
        self._swap_reply: asyncio.Future[tuple[Kind, dict[str, Any]]] | None = None

    @property
    def worker_pids(self) -> list[int]:
        """Pids of every worker process still running (the current one and a draining one)."""
        workers = [self._worker, self._draining]
        return [w.pid for w in workers if w is not None and w.process.returncode is None]

    @property
    def draining(self) -> bool:
        """Whether an old worker is finishing its healthy requests."""
        return self._draining is not None

    # -- life cycle -------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn the worker; returns once it runs (not once it is ready)."""
        self._stopping = False
        self.state.phase = Phase.LOADING
        self.state.failure = None
        self.ready_event.clear()
        process, sock = await self.launch()
        worker = WorkerProcess(process)
        self._worker = worker
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_connection(
            lambda: _WorkerProtocol(self, worker), sock=sock
        )
        worker.transport = transport
        worker.watcher = asyncio.create_task(self._watch(worker))

    async def spawn(self) -> tuple[WorkerHandle, socket.socket]:
        """The production launcher: ``python -m infer.runtime.worker`` on a socketpair."""
        parent, child = socket.socketpair()
        env = self.worker.environ(os.environ)
        command = [
            self.worker.python,
            "-m",
            "infer.runtime.worker",
            "--fd",
            str(child.fileno()),
            "--repo",
            str(self.repo),
            "--log-level",
            self.log_level,
            "--parent-pid",
            str(os.getpid()),
            *(["--gpu"] if self.gpu else []),
        ]
        process = await asyncio.create_subprocess_exec(
            *command, pass_fds=(child.fileno(),), env=env
        )
        child.close()
        return process, parent

    async def stop(self, timeout: float = 10.0) -> None:
        """Ask the worker to finalize() and exit; kill it if it has not within ``timeout``."""
        self._stopping = True
        self.fail_all(ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
        if self._draining is not None:
            self._draining.kill()
        worker = self._worker
        if worker is not None:
            worker.send(encode(Kind.SHUTDOWN, 0))
            if worker.process.returncode is None:
                try:
                    await asyncio.wait_for(worker.process.wait(), max(timeout, 0.1))
                except asyncio.TimeoutError:
                    log.warning(
                        "the worker did not finish finalize() within %.1f s; killing it", timeout
                    )
                    worker.kill()
                    await worker.process.wait()
        for each in (worker, self._draining):
            if each is not None:
                await self._forget(each)
        self.state.phase = Phase.STOPPED

    async def _forget(self, worker: WorkerProcess) -> None:
        if worker.watcher is not None and worker.watcher is not asyncio.current_task():
            worker.watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker.watcher
        if worker.transport is not None:
            worker.transport.close()
        if worker.drain_timer is not None:
            worker.drain_timer.cancel()

    async def restart(self, reason: str) -> None:
        """Kill the worker and start a fresh one (its requests end with worker_restarted)."""
        log.info("restarting the worker: %s", reason)
        old, self._worker = self._worker, None
        if old is not None:
            self._retire_now(old, f"the worker restarted ({reason})")
            await old.process.wait()
            await self._forget(old)
        await self.start()

    async def drain(self, reason: str) -> None:
        """Start a fresh worker for new requests; the old one finishes its healthy ones.

        The old worker is killed once only abandoned requests remain on it, or after
        ``drain_timeout_s`` at most.
        """
        old = self._worker
        if old is None or self._stopping:
            return
        if self._draining is not None:  # one drain at a time: memory stays bounded
            self._retire_now(self._draining, "the worker was replaced twice in a row")
        log.warning(
            "%s; draining worker %d (%d healthy request(s) continue there) "
            "and starting a fresh one",
            reason,
            old.pid,
            old.healthy_calls,
        )
        self._draining = old
        self._worker = None  # new requests wait for the fresh worker
        self.state.phase = Phase.LOADING
        self.ready_event.clear()
        old.drain_timer = asyncio.get_running_loop().call_later(
            self.drain_timeout_s,
            self._retire_now,
            old,
            f"the drained worker ran past {self.drain_timeout_s:g} s",
        )
        self._finish_drain_if_idle(old)
        await self.start()

    def _retire_now(self, worker: WorkerProcess, message: str) -> None:
        if worker is self._draining:
            self._draining = None
        if worker.drain_timer is not None:
            worker.drain_timer.cancel()
        for request in list(worker.calls):
            self._owner.pop(request, None)
        worker.fail_calls(ErrorCode.WORKER_RESTARTED, message)
        worker.kill()

    def _finish_drain_if_idle(self, worker: WorkerProcess) -> None:
        if worker is self._draining and worker.healthy_calls == 0:
            log.info("drained worker %d: its healthy requests are done; stopping it", worker.pid)
            self._retire_now(worker, "the worker was drained")

    def kill(self) -> None:
        """Last resort at exit (or on a second Ctrl-C): no process is left behind."""
        for worker in (self._worker, self._draining):
            if worker is not None:
                worker.kill()

    async def _watch(self, worker: WorkerProcess) -> None:
        code = await worker.process.wait()
        if self._stopping:
            return
        if worker is not self._worker:  # a drained or replaced worker ended
            if worker is self._draining:
                self._draining = None
            for request in list(worker.calls):
                self._owner.pop(request, None)
            worker.fail_calls(
                ErrorCode.WORKER_CRASHED, f"the model's worker process died (exit code {code})"
            )
            await self._forget(worker)
            return
        was_ready = self.state.phase == Phase.READY
        if was_ready:
            self.state.phase = Phase.LOADING  # not ready again until the new worker says so
            self.ready_event.clear()
        for request in list(worker.calls):
            self._owner.pop(request, None)
        worker.fail_calls(
            ErrorCode.WORKER_CRASHED,
            f"the model's worker process died (exit code {code}); the runtime restarts it",
        )
        if not was_ready:
            if self.state.phase != Phase.FAILED:
                message = f"the worker died while loading the model (exit code {code})"
                self._set_failed(
                    {"code": ErrorCode.WORKER_CRASHED.value, "message": message, "fatal": False}
                )
            return
        log.error("the worker died (exit code %s); restarting it", code)
        await asyncio.sleep(RESTART_DELAY_S)
        if not self._stopping and worker is self._worker:
            await self.start()

    async def swap_code(self, timeout: float = 60.0) -> tuple[Kind, dict[str, Any]]:
        """Ask the ready worker to re-import app.py without initialize() (see code_swap.py).

        Returns (SWAPPED, data) or (SWAP_FAILED, {"message", "restart"}).
        """
        worker = self._worker
        if worker is None or self.state.phase != Phase.READY or self._swap_reply is not None:
            return Kind.SWAP_FAILED, {"message": "the worker is not ready", "restart": True}
        self._swap_reply = asyncio.get_running_loop().create_future()
        worker.send(encode(Kind.SWAP, 0))
        try:
            kind, data = await asyncio.wait_for(asyncio.shield(self._swap_reply), timeout)
        except asyncio.TimeoutError:
            return Kind.SWAP_FAILED, {"message": "the worker did not answer", "restart": True}
        finally:
            self._swap_reply = None
        if kind == Kind.SWAPPED:
            self.state.inputs = [InputSpec.from_metadata(entry) for entry in data["inputs"]]
        return kind, data

    # -- requests ---------------------------------------------------------------------------

    def submit(self, inputs: dict[str, Any], call: Call) -> int:
        """Send one request to the worker; its frames go to ``call``."""
        self._next_request += 1
        request = self._next_request
        worker = self._worker
        if worker is None or worker.transport is None or self.state.phase != Phase.READY:
            message = "the model's worker is restarting; try again in a moment"
            call.finish("error", error_payload(ErrorCode.WORKER_RESTARTING, message))
            return request
        worker.calls[request] = call
        self._owner[request] = worker
        payload = json.dumps({"inputs": inputs}).encode()
        worker.send(encode(Kind.INFER, request, payload))
        return request

    def abandon(self, request: int) -> bool:
        """Ask the worker to stop this request; its later frames are dropped.

        Returns whether the worker was still running it.
        """
        worker = self._owner.get(request)
        if worker is None or request not in worker.calls:
            return False
        worker.calls[request] = _DISCARD
        worker.send(encode(Kind.CANCEL, request))
        self._finish_drain_if_idle(worker)
        return True

    def stuck_on_current_worker(self, request: int) -> bool:
        """Whether the current worker still runs this (abandoned) request."""
        worker = self._owner.get(request)
        return worker is not None and worker is self._worker and request in worker.calls

    def in_flight(self, request: int) -> bool:
        """Whether a worker is still running this request."""
        worker = self._owner.get(request)
        return worker is not None and request in worker.calls

    def fail_all(self, code: ErrorCode, message: str) -> None:
        """End every request on every worker in-band (and tell the workers to stop them)."""
        for worker in (self._worker, self._draining):
            if worker is None:
                continue
            for request in list(worker.calls):
                self._owner.pop(request, None)
                worker.send(encode(Kind.CANCEL, request))
            worker.fail_calls(code, message)

    # -- frames from the worker -------------------------------------------------------------

    def on_frame(self, worker: WorkerProcess, kind: int, request: int, payload: bytes) -> None:
        """Route one frame (the hot path for EVENT)."""
        if kind == Kind.EVENT:
            call = worker.calls.get(request)
            if call is not None:
                call.push_event(payload)
            return
        if kind in (Kind.DONE, Kind.ERROR, Kind.RESULT):
            call = worker.calls.pop(request, None)
            self._owner.pop(request, None)
            if call is not None:
                event = {Kind.DONE: "done", Kind.ERROR: "error", Kind.RESULT: "result"}[Kind(kind)]
                call.finish(event, json.loads(payload))
                if worker is self._draining:
                    self._finish_drain_if_idle(worker)
            return
        if worker is self._worker:
            self._on_lifecycle(Kind(kind), payload)

    def _on_lifecycle(self, kind: Kind, payload: bytes) -> None:
        data = json.loads(payload) if payload else {}
        if kind == Kind.HELLO:
            self.state.streaming = bool(data["streaming"])
            self.state.inputs = [InputSpec.from_metadata(entry) for entry in data["inputs"]]
            log.info("model imported (worker pid %s); running initialize()", data["pid"])
        elif kind == Kind.READY:
            self.state.device = str(data.get("device", ""))
            self.state.phase = Phase.READY
            self.ready_event.set()
        elif kind == Kind.INIT_FAILED:
            self._set_failed(data)
        elif kind in (Kind.SWAPPED, Kind.SWAP_FAILED):
            reply = self._swap_reply
            if reply is not None and not reply.done():
                reply.set_result((kind, data))

    def _set_failed(self, data: dict[str, Any]) -> None:
        self.state.phase = Phase.FAILED
        self.state.failure = LoadFailure.from_wire(data)
        waiting = not (data.get("fatal") or self.exit_on_failure)
        log_failure(data, self.worker, log, waiting=waiting)
        if data.get("fatal") or self.exit_on_failure:
            self.fatal_event.set()
        self.ready_event.set()  # wake waiters so they see the failure

    def on_connection_lost(self, worker: WorkerProcess) -> None:
        """A worker's socket closed; the process watcher decides what it means."""
        worker.transport = None
        reply = self._swap_reply
        if worker is self._worker and reply is not None and not reply.done():
            reply.set_result((Kind.SWAP_FAILED, {"message": "the worker died", "restart": True}))


class _WorkerProtocol(asyncio.Protocol):
    def __init__(self, supervisor: WorkerSupervisor, worker: WorkerProcess) -> None:
        self._supervisor = supervisor
        self._worker = worker
        self._decoder = FrameDecoder()

    def data_received(self, data: bytes) -> None:
        on_frame = self._supervisor.on_frame
        worker = self._worker
        for kind, request, payload in self._decoder.feed(data):
            on_frame(worker, kind, request, payload)

    def connection_lost(self, exc: Exception | None) -> None:
        self._supervisor.on_connection_lost(self._worker)
