"""The HTTP API (README "infer serve"): v2 infer, health, metadata, and stream resume.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from infer.protocol.error_codes import ErrorCode, known_code
from infer.repo.sample_input import with_sample_examples
from infer.repo.v2_inputs import InputProblem, parse_v2_inputs
from infer.runtime.server.admission import admit, unavailable
from infer.runtime.server.browser_security import BrowserGuard, BrowserPolicy
from infer.runtime.server.http_errors import Refusal, internal_error
from infer.runtime.server.limits import BodyError, read_request_json
from infer.runtime.server.openai.routes import openai_routes
from infer.runtime.server.playground import playground_page
from infer.runtime.server.query_inputs import query_to_v2_body
from infer.runtime.server.slots import Slot
from infer.runtime.server.sse.event_ids import InvalidLastEventIdError, parse_last_event_id
from infer.runtime.server.sse.response import SSEResponse, stream_headers
from infer.runtime.server.sse.streams import EventsLostError, Stream
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import PendingResult
from infer.runtime.server.worker_state import Phase

log = logging.getLogger("infer.serve")


def _runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def _wrong_model(runtime: Runtime, name: str) -> Refusal | None:
    if name == runtime.config.model_name:
        return None
    return Refusal(
        404,
        ErrorCode.MODEL_NOT_FOUND,
        f"no model named {name!r}; this server serves {runtime.config.model_name!r}",
    )


def _check_available(runtime: Runtime) -> None:
    if refusal := unavailable(runtime):
        raise refusal


async def infer(request: Request) -> Response:
    """POST /v2/models/{name}[/versions/1]/infer; GET with inputs in the query (EventSource)."""
    try:
        return await _infer(request)
    except Refusal as refusal:
        # Streams and answers log themselves when they end; refusals are logged here.
        body = refusal.body()
        log.info("request -  %d  %s: %s", refusal.status, refusal.code, body["error"]["message"])
        return refusal.response(body)


async def _infer(request: Request) -> Response:
    runtime = _runtime(request)
    config = runtime.config
    started = time.perf_counter()
    if refusal := _wrong_model(runtime, request.path_params["name"]):
        raise refusal
    if runtime.shutting_down:
        _check_available(runtime)
    if request.method == "GET":
        return await _infer_get(request, runtime, started)
    try:
        body = await read_request_json(request, config)
    except BodyError as error:
        raise Refusal(error.status, error.code, error.message) from None
    _check_available(runtime)
    return await _admit(runtime, body, started)


async def _infer_get(request: Request, runtime: Runtime, started: float) -> Response:
    # EventSource reconnects to the URL it opened, with Last-Event-ID: that continues the
    # stream the id names (its ids carry the stream's id), it never starts a new generation.
    if request.headers.get("last-event-id"):
        return _resume(request, runtime, None)
    _check_available(runtime)
    body, problems = query_to_v2_body(
        request.query_params.multi_items(), runtime.worker_state.inputs
    )
    if problems:
        raise _invalid_inputs(problems)
    return await _admit(runtime, body, started, query=request.url.query)


def _invalid_inputs(problems: list[InputProblem]) -> Refusal:
    details = [{"name": p.name, "message": p.message} for p in problems]
    summary = "; ".join(p.message for p in problems)
    return Refusal(422, ErrorCode.INVALID_INPUTS, summary, details=details)


async def _admit(runtime: Runtime, body: Any, started: float, query: str | None = None) -> Response:
    config = runtime.config
    inputs, problems = parse_v2_inputs(body, runtime.worker_state.inputs)
    if problems:
        raise _invalid_inputs(problems)
    slot = await admit(runtime)
    remaining = config.inference_time_s - (time.perf_counter() - started)
    if runtime.worker_state.streaming:
        return _start_stream(runtime, inputs, slot, remaining, query)
    return await _run_once(runtime, inputs, slot, remaining)


def _start_stream(
    runtime: Runtime, inputs: dict[str, Any], slot: Slot, remaining: float, query: str | None
) -> Response:
    stream = runtime.open_stream(inputs, slot, remaining)
    stream.query = query
    # Admitted: status, headers, retry and pings go out now, not when the model first speaks,
    # so a client that gives up while it thinks is noticed and its slot freed. A model that
    # never starts is ended in-band by the deadline above (an `error` event, inference_timeout).
    return _sse(runtime, stream, 0)


def _sse(runtime: Runtime, stream: Stream, after: int | None) -> Response:
    """The SSE response that sends ``stream`` from after event ``after`` (None: the buffer)."""
    config = runtime.config
    resume_url = f"/v2/models/{config.model_name}/streams/{stream.id}"
    return _as_response(
        SSEResponse(
            stream,
            after,
            heartbeat_s=config.heartbeat_s,
            retry_ms=config.retry_ms,
            headers=stream_headers(stream, resume_url),
            on_detach=runtime.on_detach,
        )
    )


async def _run_once(
    runtime: Runtime, inputs: dict[str, Any], slot: Slot, remaining: float
) -> Response:
    config = runtime.config
    pending = PendingResult()
    started = time.perf_counter()
    request_no = runtime.submit(inputs, pending)
    status = 200
    try:
        event, data = await asyncio.wait_for(asyncio.shield(pending.future), remaining)
    except asyncio.TimeoutError:
        runtime.abandon(request_no)
        status = 504
        raise Refusal(
            504,
            ErrorCode.INFERENCE_TIMEOUT,
            f"the model did not answer within inference_time ({config.inference_time_s:g} s)",
        ) from None
    finally:
        slot.release()
        log.info(
            "request %d  %s  duration=%.1fms",
            request_no,
            status,
            (time.perf_counter() - started) * 1000,
        )
    if event == "error":
        # The in-band payload as HTTP: 503 when a retry may succeed, 500 when it will not.
        code = known_code(data.get("code")) or ErrorCode.MODEL_ERROR
        if data.get("retryable"):
            raise Refusal(503, code, str(data["message"]), retry_after=1)
        raise Refusal(500, code, str(data["message"]))
    return JSONResponse(
        {"model_name": config.model_name, "model_version": "1", "outputs": data["outputs"]}
    )


async def resume(request: Request) -> Response:
    """GET /v2/models/{name}/streams/{id} with Last-Event-ID: the missed events, then live."""
    runtime = _runtime(request)
    if refusal := _wrong_model(runtime, request.path_params["name"]):
        return refusal.response()
    try:
        return _resume(request, runtime, request.path_params["stream_id"])
    except Refusal as refusal:
        return refusal.response()


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
            raise _bad_last_event_id(str(error)) from None
        if stream_id is None:
            stream_id = last.stream_id
        elif last.stream_id not in (None, stream_id):
            raise _bad_last_event_id(f"Last-Event-ID {raw!r} is not from this stream")
    stream = runtime.registry.get(stream_id) if stream_id else None
    if stream is None:
        raise Refusal(
            404, ErrorCode.STREAM_NOT_FOUND, "no such stream: it never existed or has expired"
        )
    if via_infer_url and stream.query != request.url.query:
        raise _bad_last_event_id("Last-Event-ID names a stream started by another URL")
    after = last.sequence if last is not None else None
    if after is not None:
        if after > stream.last_id:
            raise _bad_last_event_id(
                f"Last-Event-ID {raw!r} is ahead of the stream (its last event is "
                f"{stream.last_id})",
            )
        if stream.ended and after == stream.last_id:
            # The client has the terminal event: 204 tells EventSource to stop reconnecting.
            return Response(status_code=204)
        try:
            stream.read_from(after)
        except EventsLostError as error:
            raise Refusal(404, ErrorCode.EVENTS_EXPIRED, f"cannot resume: {error}") from None
    runtime.reattach(stream)
    return _sse(runtime, stream, after)


def _bad_last_event_id(message: str) -> Refusal:
    return Refusal(400, ErrorCode.INVALID_LAST_EVENT_ID, message)


async def cancel(request: Request) -> Response:
    """DELETE /v2/models/{name}/streams/{id}: stop a generation now."""
    runtime = _runtime(request)
    if refusal := _wrong_model(runtime, request.path_params["name"]):
        return refusal.response()
    stream = runtime.registry.get(request.path_params["stream_id"])
    if stream is None:
        return Refusal(404, ErrorCode.STREAM_NOT_FOUND, "no such stream").response()
    if not stream.ended:
        runtime.cancel_stream(stream, ErrorCode.CANCELLED, "cancelled by the client")
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
    name = request.path_params.get("name")
    refusal = (_wrong_model(runtime, name) if name is not None else None) or unavailable(runtime)
    return refusal.response() if refusal else JSONResponse({"ready": True})


async def metadata(request: Request) -> Response:
    """GET /v2/models/{name}: inputs, streaming flag, readiness."""
    runtime = _runtime(request)
    if refusal := _wrong_model(runtime, request.path_params["name"]):
        return refusal.response()
    state = runtime.worker_state
    if state.phase in (Phase.STARTING, Phase.LOADING) and not state.inputs:
        return Refusal(
            503, ErrorCode.MODEL_LOADING, "the model is loading", retry_after=1
        ).response()
    return JSONResponse(
        {
            "name": runtime.config.model_name,
            "versions": ["1"],
            "platform": "inferless-python",
            "streaming": state.streaming,
            "ready": state.phase == Phase.READY,
            "inputs": with_sample_examples(
                [spec.to_metadata() for spec in state.inputs], runtime.config.repo
            ),
            "inference_time_s": runtime.config.inference_time_s,
        }
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: ErrorCode.NOT_FOUND, 405: ErrorCode.METHOD_NOT_ALLOWED}.get(
        exc.status_code, ErrorCode.HTTP_ERROR
    )
    message = f"{request.method} {request.url.path}: {exc.detail}"
    headers = dict(exc.headers) if exc.headers else None
    return Refusal(exc.status_code, code, message, headers=headers).response()


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
    app.router.routes.append(openai_routes(runtime))
    return app
