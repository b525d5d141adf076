"""The HTTP API (README "infer serve"): v2 infer, health, metadata, and stream resume.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from infer.repo.sample_input import with_sample_examples
from infer.repo.v2_inputs import parse_v2_inputs
from infer.runtime.server.browser_security import BrowserGuard, BrowserPolicy
from infer.runtime.server.http_errors import error_response, internal_error
from infer.runtime.server.limits import BodyError, read_request_json
from infer.runtime.server.playground import playground_page
from infer.runtime.server.query_inputs import query_to_v2_body
from infer.runtime.server.slots import QueueFullError, Slot, SlotsClosedError
from infer.runtime.server.sse.event_ids import InvalidLastEventIdError, parse_last_event_id
from infer.runtime.server.sse.response import SSEResponse, stream_headers
from infer.runtime.server.sse.streams import EventsLostError, Stream
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import PendingResult

log = logging.getLogger("infer.serve")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _shutting_down() -> Response:
    return error_response(503, "server_shutting_down", "the server is shutting down", retry_after=2)


def _unavailable(runtime: Runtime) -> Response | None:
    if runtime.shutting_down:
        return _shutting_down()
    state = runtime.supervisor.state
    if state.phase == "ready":
        return None
    if state.phase == "failed" and state.failure:
        return error_response(
            503,
            str(state.failure.get("code", "model_failed")),
            f"the model failed to load: {state.failure.get('message')}",
        )
    return error_response(
        503, "model_loading", "the model is loading (initialize() is running)", retry_after=1
    )


def _wrong_model(runtime: Runtime, name: str) -> Response | None:
    if name == runtime.config.model_name:
        return None
    return error_response(
        404,
        "model_not_found",
        f"no model named {name!r}; this server serves {runtime.config.model_name!r}",
    )


async def infer(request: Request) -> Response:
    """POST /v2/models/{name}[/versions/1]/infer; GET with inputs in the query (EventSource)."""
    response = await _infer(request)
    if isinstance(response, JSONResponse) and response.status_code >= 400:
        # Streams and answers log themselves when they end; refusals are logged here.
        error = json.loads(bytes(response.body))["error"]
        log.info("request -  %d  %s: %s", response.status_code, error["code"], error["message"])
    return response


async def _infer(request: Request) -> Response:
    runtime = _runtime(request)
    config = runtime.config
    started = time.perf_counter()
    if problem := _wrong_model(runtime, request.path_params["name"]):
        return problem
    if runtime.shutting_down and (problem := _unavailable(runtime)):
        return problem
    if request.method == "GET":
        return await _infer_get(request, runtime, started)
    try:
        body = await read_request_json(request, config)
    except BodyError as error:
        return error_response(error.status, error.code, error.message)
    if problem := _unavailable(runtime):
        return problem
    return await _admit(runtime, body, started)


async def _infer_get(request: Request, runtime: Runtime, started: float) -> Response:
    # EventSource reconnects to the URL it opened, with Last-Event-ID: that continues the
    # stream the id names (its ids carry the stream's id), it never starts a new generation.
    if request.headers.get("last-event-id"):
        return _resume(request, runtime, None)
    if problem := _unavailable(runtime):
        return problem
    body, problems = query_to_v2_body(
        request.query_params.multi_items(), runtime.supervisor.state.inputs
    )
    if problems:
        details = [{"name": p.name, "message": p.message} for p in problems]
        summary = "; ".join(p.message for p in problems)
        return error_response(422, "invalid_inputs", summary, details=details)
    return await _admit(runtime, body, started, query=request.url.query)


async def _admit(runtime: Runtime, body: Any, started: float, query: str | None = None) -> Response:
    config = runtime.config
    inputs, problems = parse_v2_inputs(body, runtime.supervisor.state.inputs)
    if problems:
        details = [{"name": p.name, "message": p.message} for p in problems]
        summary = "; ".join(p.message for p in problems)
        return error_response(422, "invalid_inputs", summary, details=details)
    try:
        slot = await _take_slot(runtime)
    except SlotsClosedError:
        return _shutting_down()
    except QueueFullError:
        return error_response(
            503,
            "over_capacity",
            f"all {config.concurrency} slot(s) are busy and {config.queue_size} request(s) wait",
            retry_after=1,
        )
    if runtime.shutting_down:  # the slot was handed over just before the signal
        slot.release()
        return _shutting_down()
    remaining = config.inference_time_s - (time.perf_counter() - started)
    if runtime.supervisor.state.streaming:
        return _start_stream(runtime, inputs, slot, remaining, query)
    return await _run_once(runtime, inputs, slot, remaining)


async def _take_slot(runtime: Runtime) -> Slot:
    if runtime.slots.running >= runtime.config.concurrency:
        runtime.preempt_detached()
        await asyncio.sleep(0)
    await runtime.slots.acquire(timeout=runtime.config.inference_time_s)
    return Slot(runtime.slots)


def _start_stream(
    runtime: Runtime, inputs: dict[str, Any], slot: Slot, remaining: float, query: str | None
) -> Response:
    config = runtime.config
    stream = open_stream(runtime, inputs, slot, remaining)
    stream.query = query
    # Admitted: status, headers, retry and pings go out now, not when the model first speaks,
    # so a client that gives up while it thinks is noticed and its slot freed. A model that
    # never starts is ended in-band by the deadline above (an `error` event, inference_timeout).
    resume_url = f"/v2/models/{config.model_name}/streams/{stream.id}"
    return _as_response(
        SSEResponse(
            stream,
            0,
            heartbeat_s=config.heartbeat_s,
            retry_ms=config.retry_ms,
            headers=stream_headers(stream, resume_url),
            on_detach=runtime.on_detach,
        )
    )


def open_stream(runtime: Runtime, inputs: dict[str, Any], slot: Slot, remaining: float) -> Stream:
    """Start a generation as a stream that owns ``slot`` and ends at ``remaining`` seconds.

    The v2 and the OpenAI routes both start streams this way.
    """
    stream = runtime.registry.create()
    runtime.hold_slot(stream, slot)
    stream.request_no = runtime.supervisor.submit(inputs, stream)
    stream.on_end(runtime.on_stream_end)
    deadline = asyncio.get_running_loop().call_later(remaining, _on_deadline, runtime, stream)
    stream.on_end(lambda _: deadline.cancel())
    return stream


def _on_deadline(runtime: Runtime, stream: Stream) -> None:
    seconds = runtime.config.inference_time_s
    runtime.cancel_stream(
        stream,
        "inference_timeout",
        f"the request took longer than inference_time ({seconds:g} s)",
        retryable=True,
    )


async def _run_once(
    runtime: Runtime, inputs: dict[str, Any], slot: Slot, remaining: float
) -> Response:
    config = runtime.config
    pending = PendingResult()
    started = time.perf_counter()
    request_no = runtime.supervisor.submit(inputs, pending)
    status = 200
    try:
        event, data = await asyncio.wait_for(asyncio.shield(pending.future), remaining)
    except asyncio.TimeoutError:
        runtime.abandon(request_no)
        status = 504
        return error_response(
            504,
            "inference_timeout",
            f"the model did not answer within inference_time ({config.inference_time_s:g} s)",
        )
    finally:
        slot.release()
        log.info(
            "request %d  %s  duration=%.1fms",
            request_no,
            status,
            (time.perf_counter() - started) * 1000,
        )
    if event == "error":
        code = str(data.get("code"))
        if data.get("retryable"):
            return error_response(503, code, str(data["message"]), retry_after=1)
        return error_response(500, code, str(data["message"]))
    return JSONResponse(
        {"model_name": config.model_name, "model_version": "1", "outputs": data["outputs"]}
    )


async def resume(request: Request) -> Response:
    """GET /v2/models/{name}/streams/{id} with Last-Event-ID: the missed events, then live."""
    runtime = _runtime(request)
    if problem := _wrong_model(runtime, request.path_params["name"]):
        return problem
    return _resume(request, runtime, request.path_params["stream_id"])


def _resume(request: Request, runtime: Runtime, stream_id: str | None) -> Response:
    """Continue a stream after its Last-Event-ID (or from what the buffer holds, without one).

    ``stream_id`` comes from a resume URL; on the infer URL (EventSource) the id names it.
    """
    via_infer_url = stream_id is None
    raw = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    last = None
    if raw:
        try:
            last = parse_last_event_id(raw)
        except InvalidLastEventIdError as error:
            return error_response(400, "invalid_last_event_id", str(error))
        if stream_id is None:
            stream_id = last.stream_id
        elif last.stream_id not in (None, stream_id):
            return error_response(
                400, "invalid_last_event_id", f"Last-Event-ID {raw!r} is not from this stream"
            )
    stream = runtime.registry.get(stream_id) if stream_id else None
    if stream is None:
        return error_response(
            404, "stream_not_found", "no such stream: it never existed or has expired"
        )
    if via_infer_url and stream.query != request.url.query:
        return error_response(
            400, "invalid_last_event_id", "Last-Event-ID names a stream started by another URL"
        )
    after = last.sequence if last is not None else None
    if after is not None:
        if after > stream.last_id:
            return error_response(
                400,
                "invalid_last_event_id",
                f"Last-Event-ID {raw!r} is ahead of the stream (its last event is "
                f"{stream.last_id})",
            )
        if stream.ended and after == stream.last_id:
            # The client has the terminal event: 204 tells EventSource to stop reconnecting.
            return Response(status_code=204)
        try:
            stream.read_from(after)
        except EventsLostError as error:
            return error_response(404, "events_expired", f"cannot resume: {error}")
    runtime.reattach(stream)
    resume_url = f"/v2/models/{runtime.config.model_name}/streams/{stream.id}"
    return _as_response(
        SSEResponse(
            stream,
            after,
            heartbeat_s=runtime.config.heartbeat_s,
            retry_ms=runtime.config.retry_ms,
            headers=stream_headers(stream, resume_url),
            on_detach=runtime.on_detach,
        )
    )


async def cancel(request: Request) -> Response:
    """DELETE /v2/models/{name}/streams/{id}: stop a generation now."""
    runtime = _runtime(request)
    if problem := _wrong_model(runtime, request.path_params["name"]):
        return problem
    stream = runtime.registry.get(request.path_params["stream_id"])
    if stream is None:
        return error_response(404, "stream_not_found", "no such stream")
    if not stream.ended:
        runtime.cancel_stream(stream, "cancelled", "cancelled by the client", retryable=False)
    return Response(status_code=204)


def _as_response(app: ASGIApp) -> Response:
    # Starlette routes return Responses; an ASGI callable works the same way when called.
    return app  # type: ignore[return-value]


async def models(request: Request) -> Response:
    """GET /v2/models: the one model this server serves."""
    runtime = _runtime(request)
    return JSONResponse({"models": [{"name": runtime.config.model_name, "versions": ["1"]}]})


async def live(request: Request) -> Response:
    """GET /v2/health/live."""
    return JSONResponse({"live": True})


async def ready(request: Request) -> Response:
    """GET /v2/health/ready and /v2/models/{name}/ready: 503 while initialize() runs."""
    runtime = _runtime(request)
    if "name" in request.path_params and (
        problem := _wrong_model(runtime, request.path_params["name"])
    ):
        return problem
    return _unavailable(runtime) or JSONResponse({"ready": True})


async def metadata(request: Request) -> Response:
    """GET /v2/models/{name}: inputs, streaming flag, readiness."""
    runtime = _runtime(request)
    if problem := _wrong_model(runtime, request.path_params["name"]):
        return problem
    state = runtime.supervisor.state
    if state.phase in ("starting", "loading") and not state.inputs:
        return error_response(503, "model_loading", "the model is loading", retry_after=1)
    return JSONResponse(
        {
            "name": runtime.config.model_name,
            "versions": ["1"],
            "platform": "inferless-python",
            "streaming": state.streaming,
            "ready": state.phase == "ready",
            "inputs": with_sample_examples(
                [spec.to_metadata() for spec in state.inputs], runtime.config.repo
            ),
            "inference_time_s": runtime.config.inference_time_s,
        }
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = f"{request.method} {request.url.path}: {exc.detail}"
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, message, headers=headers)


def build_app(runtime: Runtime) -> Starlette:
    """The ASGI app for one model."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await runtime.supervisor.start()
        try:
            yield
        finally:
            runtime.begin_shutdown()
            await runtime.supervisor.stop(runtime.shutdown_time_left())

    routes = [
        Route("/", playground_page),
        Route("/v2/health/live", live),
        Route("/v2/health/ready", ready),
        Route("/v2/models", models),
        Route("/v2/models/{name}", metadata),
        Route("/v2/models/{name}/versions/1", metadata),
        Route("/v2/models/{name}/ready", ready),
        Route("/v2/models/{name}/infer", infer, methods=["GET", "POST"]),
        Route("/v2/models/{name}/versions/1/infer", infer, methods=["GET", "POST"]),
        Route("/v2/models/{name}/streams/{stream_id}", resume, methods=["GET"]),
        Route("/v2/models/{name}/streams/{stream_id}", cancel, methods=["DELETE"]),
    ]
    config = runtime.config
    policy = BrowserPolicy.build(config.host, config.allow_hosts, config.cors_origins)
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: internal_error},
        middleware=[Middleware(BrowserGuard, policy=policy)],
    )
    app.state.runtime = runtime
    from infer.runtime.server.openai.routes import (
        openai_routes,  # imported here: it builds on this module
    )

    app.router.routes.append(openai_routes(runtime))
    return app
