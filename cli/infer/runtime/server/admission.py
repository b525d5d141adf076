"""Admission: whether a request may run now, and the refusal when not.

Shared by the v2 routes (app.py) and the `/v1` routes (openai/routes.py), so an OpenAI request
is refused exactly as a v2 one is: the same status, code, message and ``Retry-After``.

Runs in the server process.
"""

from __future__ import annotations

from infer.protocol.error_codes import ErrorCode
from infer.runtime.server.http_errors import Refusal
from infer.runtime.server.slots import QueueFullError, Slot, SlotsClosedError
from infer.runtime.server.state import Runtime
from infer.runtime.server.worker_state import Phase


def shutting_down() -> Refusal:
    """503 ``server_shutting_down``: nothing new runs once shutdown has begun."""
    return Refusal(
        503, ErrorCode.SERVER_SHUTTING_DOWN, "the server is shutting down", retry_after=2
    )


def unavailable(runtime: Runtime) -> Refusal | None:
    """Why no request can run now (shutting down, loading, failed to load), or None."""
    if runtime.shutting_down:
        return shutting_down()
    state = runtime.worker_state
    if state.phase == Phase.READY:
        return None
    if state.phase == Phase.FAILED and state.failure:
        return Refusal(
            503, state.failure.code, f"the model failed to load: {state.failure.message}"
        )
    return Refusal(
        503,
        ErrorCode.MODEL_LOADING,
        "the model is loading (initialize() is running)",
        retry_after=1,
    )


async def admit(runtime: Runtime) -> Slot:
    """A slot for one request, or Refusal: queue full (503), or the server shutting down."""
    config = runtime.config
    try:
        slot = await runtime.take_slot()
    except SlotsClosedError:
        raise shutting_down() from None
    except QueueFullError:
        raise Refusal(
            503,
            ErrorCode.OVER_CAPACITY,
            f"all {config.concurrency} slot(s) are busy and {config.queue_size} request(s) wait",
            retry_after=1,
        ) from None
    if runtime.shutting_down:  # the slot was handed over just before the signal
        slot.release()
        raise shutting_down()
    return slot
