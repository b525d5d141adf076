"""Running the server: binding the socket, uvicorn, signals, reload, and the ready line.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
from collections.abc import AsyncIterator, Callable
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from infer.errors import InferError
from infer.protocol.message_caps import cap_log_lines
from infer.runtime.server.app import build_app
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.connections import (
    FD_RESERVE,
    ConnectionLimits,
    connection_cap,
    guarded_protocol,
    raise_fd_limit,
)
from infer.runtime.server.reload import reload_on_change
from infer.runtime.server.shutdown import LastResort, ShutdownControl
from infer.runtime.server.state import Runtime
from infer.runtime.server.worker_state import Phase

log = logging.getLogger("infer.serve")


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind before starting, so a busy port is a clear error and port 0 picks a free one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise _port_in_use(host, port) from None
        raise InferError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.listen(2048)
    sock.set_inheritable(False)
    return sock


def _port_in_use(host: str, port: int) -> InferError:
    from infer.runtime.server.port_owner import infer_serve_model

    hint = f"stop it, or pass --port 0 to pick a free port (or --port {port + 1})"
    model = infer_serve_model(host, port)
    if model is not None:
        return InferError(
            f"port {port} on {host} is already in use by another `infer serve` (model {model!r})",
            hint=hint,
        )
    return InferError(f"port {port} on {host} is already in use by another program", hint=hint)


class _Server(uvicorn.Server):
    """uvicorn, plus the shutdown contract (see runtime/shutdown.py)."""

    def __init__(self, config: uvicorn.Config, shutdown: ShutdownControl) -> None:
        super().__init__(config)
        self.shutdown_control = shutdown

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if self.shutdown_control.on_signal(sig):
            super().handle_exit(sig, frame)


def run_server(config: ServeConfig, announce: Callable[[str], None]) -> int:
    """Serve until stopped; returns the exit code (1 when the model could not start at all)."""
    cap_log_lines()
    fd_limit = raise_fd_limit(config.max_connections + 4 * FD_RESERVE)
    limits = ConnectionLimits(
        max_connections=connection_cap(config.max_connections, fd_limit),
        max_header_bytes=config.max_header_bytes,
        header_timeout_s=config.header_timeout_s,
    )
    sock = bind_socket(config.host, config.port)
    actual_port = sock.getsockname()[1]
    runtime = Runtime(config)
    app = build_app(runtime)
    shutdown = ShutdownControl(runtime, limits)
    outcome = {"code": 0}
    server: _Server | None = None

    base_lifespan = app.router.lifespan_context

    @contextlib.asynccontextmanager
    async def lifespan(app_: Starlette) -> AsyncIterator[None]:
        assert server is not None
        shutdown.loop = asyncio.get_running_loop()
        async with base_lifespan(app_):
            tasks = [asyncio.create_task(_announce_ready(runtime, announce, config, actual_port))]
            tasks.append(asyncio.create_task(_stop_on_fatal(runtime, server, outcome)))
            if config.reload:
                tasks.append(asyncio.create_task(reload_on_change(runtime, config, announce)))
            try:
                yield
            finally:
                for task in tasks:
                    task.cancel()

    app.router.lifespan_context = lifespan
    uv_config = uvicorn.Config(
        LastResort(app),
        http=guarded_protocol(limits),
        log_config=None,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=config.keep_alive_timeout_s,  # type: ignore[arg-type]
        # Connections close right after the first signal (every answer ends in-band) and
        # ShutdownControl aborts stragglers at half the grace, so this bound is a backstop.
        timeout_graceful_shutdown=max(1, int(config.shutdown_grace_s)),
        log_level=config.log_level,
    )
    server = _Server(uv_config, shutdown)
    announce(
        f"infer serve: {config.model_name} on http://{_url_host(config.host)}:{actual_port} "
        f"(worker loading {config.repo})"
    )
    log.debug(
        "limits: %d connections (fd soft limit %d), %d-byte heads within %g s, keep-alive %g s",
        limits.max_connections,
        fd_limit,
        limits.max_header_bytes,
        limits.header_timeout_s,
        config.keep_alive_timeout_s,
    )
    try:
        server.run(sockets=[sock])
    finally:
        shutdown.finished()
        runtime.supervisor.kill()
        sock.close()
    return outcome["code"]


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


async def _announce_ready(
    runtime: Runtime, announce: Callable[[str], None], config: ServeConfig, port: int
) -> None:
    while True:
        await runtime.supervisor.ready_event.wait()
        state = runtime.worker_state
        if state.phase == Phase.READY:
            mode = "streaming" if state.streaming else "non-streaming"
            device = f", device {state.device}" if state.device else ""
            base = f"http://{_url_host(config.host)}:{port}"
            announce(
                f"infer serve: ready ({mode}{device}); open {base}/ in a browser, "
                f"or try: infer stream --url {base} --model {config.model_name}"
            )
        runtime.supervisor.ready_event.clear()


async def _stop_on_fatal(runtime: Runtime, server: uvicorn.Server, outcome: dict[str, int]) -> None:
    await runtime.supervisor.fatal_event.wait()
    outcome["code"] = 1
    server.should_exit = True
