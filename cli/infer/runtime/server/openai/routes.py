"""The `/v1` routes: `GET /v1/models`, `POST /v1/chat/completions`, `POST /v1/completions`.

Admission, the slots, `inference_time`, cancellation and shutdown are the runtime's own, shared
with the v2 routes: an OpenAI request takes a slot like any other and is refused with the same
503 when none is free, and a streaming model's run is a Stream in the same registry.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from infer.protocol.error_codes import ErrorCode
from infer.runtime.server.admission import admit, unavailable
from infer.runtime.server.http_errors import Refusal
from infer.runtime.server.limits import BodyError, read_request_json
from infer.runtime.server.openai.errors import OpenAIError, error_body
from infer.runtime.server.openai.generation import Generation, ResultGeneration, StreamGeneration
from infer.runtime.server.openai.mapping import (
    InputPlan,
    MappedRequest,
    ignored_line,
    map_request,
    plan_inputs,
)
from infer.runtime.server.openai.objects import CompletionObjects, Usage, model_object
from infer.runtime.server.openai.replies import JSONReply, ReplyPlan, StreamReply
from infer.runtime.server.openai.repo_flag import OpenAIFlag
from infer.runtime.server.openai.request import Kind, OpenAIRequest, parse_request
from infer.runtime.server.openai.usage import NO_TOKENIZER_NOTE, TokenCounter
from infer.runtime.server.state import Runtime
from infer.runtime.server.supervisor import PendingResult
from infer.runtime.server.worker_state import Phase

log = logging.getLogger("infer.serve")
MAX_LOGGED_NAMES = 256


class OpenAIRoutes:
    """The OpenAI-compatible API of one served model."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.flag = OpenAIFlag(runtime.config.repo)
        tokenizer = runtime.config.tokenizer
        self.counter = TokenCounter(tokenizer) if tokenizer is not None else None
        self.created = int(time.time())
        self._logged: set[str] = set()

    def mount(self) -> Mount:
        """Everything under `/v1`, unknown paths answered with an OpenAI-shaped 404."""
        router = Router(
            routes=[
                Route("/models", self.list_models, methods=["GET"]),
                Route("/models/{model:path}", self.get_model, methods=["GET"]),
                Route("/chat/completions", self.chat_completions, methods=["POST"]),
                Route("/completions", self.completions, methods=["POST"]),
            ],
            default=_not_found,
        )
        return Mount("/v1", app=router)

    # -- models -----------------------------------------------------------------------------

    async def list_models(self, request: Request) -> Response:
        """GET /v1/models: the one model this server serves."""
        return JSONResponse({"object": "list", "data": [self._model()]})

    async def get_model(self, request: Request) -> Response:
        """GET /v1/models/{model}."""
        try:
            self._check_model(request.path_params["model"])
        except OpenAIError as error:
            return error.response()
        return JSONResponse(self._model())

    def _model(self) -> dict[str, Any]:
        state = self.runtime.worker_state
        extra: dict[str, Any] = {"ready": state.phase == Phase.READY, "streaming": state.streaming}
        extra["openai_client_compatibility"] = self.flag.read()
        if state.inputs:
            extra.update(plan_inputs(state.inputs, self.flag.read()).describe())
        return model_object(self.runtime.config.model_name, self.created, extra)

    def _check_model(self, name: str | None) -> None:
        served = self.runtime.config.model_name
        if name is not None and name != served:
            raise OpenAIError(
                404,
                f"The model `{name}` does not exist; this server serves `{served}`",
                code=ErrorCode.MODEL_NOT_FOUND,
                param="model",
            )

    # -- completions ------------------------------------------------------------------------

    async def chat_completions(self, request: Request) -> Response:
        """POST /v1/chat/completions."""
        return await self._complete(request, "chat")

    async def completions(self, request: Request) -> Response:
        """POST /v1/completions."""
        return await self._complete(request, "completion")

    async def _complete(self, request: Request, kind: Kind) -> Response:
        try:
            parsed = parse_request(await self._read_body(request), kind)
            self._check_model(parsed.model)
            self._check_available()
            mapped = map_request(parsed, self.runtime.worker_state.inputs, self._plan())
            self._log_ignored(mapped)
            generation = await self._start(mapped.inputs)
        except OpenAIError as error:
            log.info("request -  %d  %s: %s", error.status, error.code, error.message)
            return error.response()
        plan = self._reply_plan(parsed, mapped, generation)
        reply = StreamReply(generation, plan) if parsed.stream else JSONReply(generation, plan)
        return _as_response(reply)

    async def _read_body(self, request: Request) -> Any:
        try:
            return await read_request_json(request, self.runtime.config)
        except BodyError as error:  # size, depth, time: the v2 routes' own limits
            raise OpenAIError(error.status, error.message, code=error.code) from None

    def _check_available(self) -> None:
        refusal = unavailable(self.runtime)
        if refusal is not None:
            raise _from_v2(refusal)

    def _plan(self) -> InputPlan:
        return plan_inputs(self.runtime.worker_state.inputs, self.flag.read())

    def _log_ignored(self, mapped: MappedRequest) -> None:
        for key, why in mapped.ignored.items():
            # Once per server run, not once per request; the set of names said is bounded.
            if key not in self._logged and len(self._logged) < MAX_LOGGED_NAMES:
                self._logged.add(key)
                log.warning("openai: %s (said once)", ignored_line(key, why))

    async def _start(self, inputs: dict[str, Any]) -> Generation:
        runtime = self.runtime
        config = runtime.config
        started = time.perf_counter()
        try:
            slot = await admit(runtime)
        except Refusal as refusal:
            raise _from_v2(refusal) from None
        remaining = config.inference_time_s - (time.perf_counter() - started)
        if not runtime.worker_state.streaming:
            pending = PendingResult()
            request_no = runtime.submit(inputs, pending)
            return ResultGeneration(runtime, pending, request_no, slot, remaining)
        # As the v2 route starts a stream: the stream owns the slot, the deadline ends it.
        return StreamGeneration(runtime, runtime.open_stream(inputs, slot, remaining))

    def _reply_plan(
        self, parsed: OpenAIRequest, mapped: MappedRequest, generation: Generation
    ) -> ReplyPlan:
        warnings = mapped.warnings()
        counter = self.counter
        count_usage = None
        if counter is None:
            if parsed.include_usage or not parsed.stream:
                warnings.append(NO_TOKENIZER_NOTE)
        else:
            messages = [m.to_json() for m in parsed.messages] if parsed.kind == "chat" else None

            async def count_usage(text: str) -> Usage | None:
                return await asyncio.to_thread(
                    counter.count, messages, mapped.conversation_text, text
                )

        objects = CompletionObjects(
            parsed.kind, generation.request_id, self.runtime.config.model_name
        )
        return ReplyPlan(
            objects,
            count_usage,
            parsed.include_usage,
            warnings,
            prefix=parsed.prompt if parsed.echo else "",
            heartbeat_s=self.runtime.config.heartbeat_s,
        )


def _from_v2(refusal: Refusal) -> OpenAIError:
    """The v2 routes' refusal (503 loading, over capacity, shutting down) as an OpenAI error."""
    return OpenAIError(
        refusal.status, refusal.message, code=refusal.code, retry_after=refusal.retry_after
    )


async def _not_found(scope: Scope, receive: Receive, send: Send) -> None:
    method, path = scope.get("method", "GET"), scope.get("path", "")
    body = error_body(404, f"{method} {path}: no such route", code=ErrorCode.NOT_FOUND)
    await JSONResponse(body, status_code=404)(scope, receive, send)


def _as_response(app: ASGIApp) -> Response:
    # Starlette routes return Responses; an ASGI callable works the same way when called.
    return app  # type: ignore[return-value]


def openai_routes(runtime: Runtime) -> Mount:
    """The `/v1` mount for ``runtime``'s model."""
    return OpenAIRoutes(runtime).mount()
