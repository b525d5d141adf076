"""The gateway: `infer serve`'s own HTTP app, with Ray Serve model replicas as its worker.

The routes, input validation, admission, SSE framing, heartbeats, replay buffers and resume
are the local runtime's (``infer.runtime.server.app``), unchanged. Only the supervisor differs:
``RaySupervisor`` sends each request to a model replica through a Ray Serve handle and turns
the replica's frames into the same ``Call`` methods the local worker's frames reach. A replica
or node lost mid-request ends its stream with an in-band ``worker_crashed`` error.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from typing import Any

from infer.engines.ray.logs import show_infer_logs
from infer.protocol.error_codes import ErrorCode, error_payload
from infer.repo.datatypes import InputSpec
from infer.runtime.server.app import build_app
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import Call, WorkerSupervisor
from infer.runtime.server.worker_state import Phase
from infer.runtime.wire import Kind

log = logging.getLogger("infer.serve")
DESCRIBE_RETRY_S = 1.0
TERMINAL_EVENTS: dict[int, str] = {Kind.DONE: "done", Kind.ERROR: "error", Kind.RESULT: "result"}


class RaySupervisor(WorkerSupervisor):
    """The local supervisor's interface, backed by a Ray Serve deployment handle.

    Ray Serve starts, places, health-checks and replaces replicas, so there is no process to
    spawn, restart or kill here; ``start`` only learns the model's schema from a replica.
    """

    def __init__(self, handle: Any, config: ServeConfig) -> None:
        super().__init__(config.repo, config.gpu, config.log_level, config.inference_time_s)
        self._handle = handle
        self._calls: dict[int, Call] = {}
        self._pumps: dict[int, asyncio.Task[None]] = {}
        self._describer: asyncio.Task[None] | None = None

    @property
    def worker_pids(self) -> list[int]:
        """No local worker processes: the replicas are Ray's."""
        return []

    @property
    def draining(self) -> bool:
        """Ray Serve drains replicas itself."""
        return False

    async def start(self) -> None:
        """Learn the model's inputs and streaming flag from a replica, in the background."""
        self.state.phase = Phase.LOADING
        self._describer = asyncio.create_task(self._describe())

    async def _describe(self) -> None:
        while True:
            try:
                info: dict[str, Any] = await self._handle.describe.remote()
                break
            except Exception as error:  # replicas still starting, or one just died
                log.warning("no model replica answered yet (%s); retrying", error)
                await asyncio.sleep(DESCRIBE_RETRY_S)
        self.state.streaming = bool(info["streaming"])
        self.state.inputs = [InputSpec.from_metadata(entry) for entry in info["inputs"]]
        self.state.phase = Phase.READY
        self.ready_event.set()
        if info.get("niceness"):
            log.warning(
                "model replicas run at niceness %s; start the cluster with "
                "RAY_worker_niceness=0 so streams are not starved",
                info["niceness"],
            )

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop every request in flight; their streams end with `server_shutting_down`."""
        self._stopping = True
        if self._describer is not None:
            self._describer.cancel()
        self.fail_all(ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down")
        self.state.phase = Phase.STOPPED

    async def restart(self, reason: str) -> None:
        """Ray Serve replaces unhealthy replicas itself; a stuck request is only logged."""
        log.warning("not restarting a Ray Serve replica (%s); Ray health-checks replicas", reason)

    async def drain(self, reason: str) -> None:
        """As ``restart``: replicas are Ray Serve's to replace."""
        await self.restart(reason)

    def stuck_on_current_worker(self, request: int) -> bool:
        """Never: a cancelled request's generator is cancelled, whatever the model does."""
        return False

    def in_flight(self, request: int) -> bool:
        """Whether a replica still runs this request for someone."""
        return request in self._calls

    def fail_all(self, code: ErrorCode, message: str) -> None:
        """End every request in-band and cancel it on its replica."""
        for pump in list(self._pumps.values()):
            pump.cancel()
        calls, self._calls = self._calls, {}
        for call in calls.values():
            call.finish("error", error_payload(code, message))

    def kill(self) -> None:
        """Nothing to kill: the replicas belong to Ray Serve."""

    def submit(self, inputs: dict[str, Any], call: Call) -> int:
        """Send one request to a replica; its frames go to ``call``."""
        self._next_request += 1
        request = self._next_request
        if self.state.phase != Phase.READY or self._stopping:
            message = "no model replica is ready; try again in a moment"
            call.finish("error", error_payload(ErrorCode.WORKER_RESTARTING, message))
            return request
        self._calls[request] = call
        # A fresh context: Ray Serve cancels calls made in an HTTP request's context when its
        # client disconnects. The stream must outlive its reader for resume_grace_s (so a
        # client can resume it); the runtime cancels it itself after that.
        pump = contextvars.Context().run(asyncio.create_task, self._pump(request, inputs))
        self._pumps[request] = pump
        return request

    def abandon(self, request: int) -> bool:
        """Cancel the request on its replica (its generator is cancelled); drop its frames."""
        if self._calls.pop(request, None) is None:
            return False
        pump = self._pumps.pop(request, None)
        if pump is not None:
            pump.cancel()
        return True

    async def _pump(self, request: int, inputs: dict[str, Any]) -> None:
        generator = self._handle.options(stream=True).run.remote(inputs)
        try:
            async for batch in generator:
                for kind, payload in batch:
                    self._route(kind, request, payload)
        except asyncio.CancelledError:
            generator.cancel()
            raise
        except Exception as error:
            self._lost(request, f"{type(error).__name__}: {_first_line(error)}")
        finally:
            self._pumps.pop(request, None)
        if request in self._calls:  # the replica's generator ended without a terminal frame
            self._lost(request, "its answer ended without a terminal event")

    def _route(self, kind: int, request: int, payload: bytes) -> None:
        # The local supervisor's routing, minus worker processes (the hot path for EVENT).
        if kind == Kind.EVENT:
            call = self._calls.get(request)
            if call is not None:
                call.push_event(payload)
        elif kind in TERMINAL_EVENTS:
            call = self._calls.pop(request, None)
            if call is not None:
                call.finish(TERMINAL_EVENTS[kind], json.loads(payload))

    def _lost(self, request: int, why: str) -> None:
        call = self._calls.pop(request, None)
        if call is None:
            return
        log.error("request %d: the model replica was lost: %s", request, why)
        message = (
            f"the model replica serving this request was lost ({why}); "
            "Ray Serve replaces it, retry the request"
        )
        call.finish("error", error_payload(ErrorCode.WORKER_CRASHED, message))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0][:300] if text else "no details"


class Gateway:
    """The HTTP entry of the Ray Serve application (wrapped by ``serve.ingress`` elsewhere)."""

    def __init__(self, model: Any, config: ServeConfig) -> None:
        show_infer_logs(config.log_level)
        self._runtime = Runtime(config)
        self._runtime.supervisor = RaySupervisor(model, config)

    async def stop_streams(self) -> int:
        """End every live stream in-band (`server_shutting_down`); returns how many there were.

        Called before the application is deleted, so Serve's drain does not wait for streams.
        """
        live = len(self._runtime.registry.live())
        self._runtime.begin_shutdown()
        return live

    def __serve_build_asgi_app__(self) -> Any:
        """The local runtime's Starlette app over this gateway's runtime."""
        return build_app(self._runtime)
