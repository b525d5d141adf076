"""The shutdown contract, and the last line of defence against tracebacks.

From the first SIGINT/SIGTERM: nothing more is admitted (503 + Retry-After), queued requests
get a 503 at once, live streams an in-band ``server_shutting_down`` event; connections still
open at half of ``--shutdown-grace`` are aborted, finalize() gets what is left of the grace,
and past the grace (plus a small margin) the process exits whatever it is doing. A second
signal exits at once, killing the worker.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
import traceback

from starlette.types import ASGIApp, Receive, Scope, Send

from infer.protocol.message_caps import cap_text
from infer.runtime.server.connections import ConnectionLimits
from infer.runtime.server.state import Runtime

log = logging.getLogger("infer.serve")
# The hard exit comes this long after the grace, so the orderly path always wins the race.
HARD_EXIT_MARGIN_S = 3.0


class ShutdownControl:
    """Turns stop signals into the shutdown contract."""

    def __init__(self, runtime: Runtime, limits: ConnectionLimits) -> None:
        self.runtime = runtime
        self.limits = limits
        self.loop: asyncio.AbstractEventLoop | None = None
        self._signals: list[int] = []
        self._hard_exit: threading.Timer | None = None

    def on_signal(self, sig: int) -> bool:
        """Called from the signal handler; returns whether uvicorn should see the signal."""
        self._signals.append(sig)
        if len(self._signals) > 1:
            self._exit_now(sig, "second signal: exiting now and killing the worker")
        grace = self.runtime.config.shutdown_grace_s
        self._hard_exit = threading.Timer(
            grace + HARD_EXIT_MARGIN_S,
            self._exit_now,
            (sig, f"shutdown took longer than --shutdown-grace ({grace:g} s); exiting now"),
        )
        self._hard_exit.daemon = True
        self._hard_exit.start()
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._begin)
        return True

    def _begin(self) -> None:
        self.runtime.begin_shutdown()
        assert self.loop is not None
        self.loop.call_later(self.runtime.config.shutdown_grace_s / 2, self._abort_stragglers)

    def _abort_stragglers(self) -> None:
        count = self.limits.close_all()
        if count:
            log.warning("closed %d connection(s) still open halfway through the grace", count)

    def _exit_now(self, sig: int, reason: str) -> None:
        self.runtime.supervisor.kill()
        os.write(2, f"infer serve: {reason}\n".encode())
        os._exit(128 + sig if sig in (signal.SIGINT, signal.SIGTERM) else 1)

    def finished(self) -> None:
        """The orderly shutdown is over: the hard exit is not needed."""
        if self._hard_exit is not None:
            self._hard_exit.cancel()


class LastResort:
    """Wraps the app: an unexpected exception is one log line, never a traceback.

    Starlette has already answered such a request with a JSON 500 (``internal_error``); this
    only stops the exception from reaching uvicorn, which would print its traceback.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app (ASGI)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            log.error(
                "internal error answering %s %s: %s",
                scope.get("method"),
                scope.get("path"),
                describe_exception(error),
            )


def describe_exception(error: BaseException) -> str:
    """``Type (at file:line): message`` in one capped line (the place first: it is never cut)."""
    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {os.path.basename(frames[-1].filename)}:{frames[-1].lineno})" if frames else ""
    return cap_text(f"{type(error).__name__}{where}: {error}", 1024)
