"""OpenAI-shaped errors: ``{"error": {"message", "type", "param", "code"}}``, and how the
runtime's own error codes become them.

Runs in the server process.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from infer.protocol.error_codes import ErrorCode, known_code
from infer.protocol.message_caps import MAX_MESSAGE_CHARS, cap_text

# The `type` OpenAI (and vLLM) put on each status; clients branch on the status, people read this.
TYPE_BY_STATUS = {
    400: "invalid_request_error",
    404: "invalid_request_error",
    413: "invalid_request_error",
    415: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "server_error",
    504: "server_error",
}


class OpenAIError(Exception):
    """A request the OpenAI routes refuse, with everything the error body needs."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: ErrorCode | None = None,
        param: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        message = cap_text(message, MAX_MESSAGE_CHARS // 2)  # it may quote what the client sent
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.param = param
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body (also what an in-band SSE error carries)."""
        return error_body(self.status, self.message, code=self.code, param=self.param)

    def response(self) -> JSONResponse:
        """The HTTP response for this error."""
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else {}
        return JSONResponse(self.body(), status_code=self.status, headers=headers)


def error_body(
    status: int, message: str, *, code: ErrorCode | None = None, param: str | None = None
) -> dict[str, Any]:
    """``{"error": {...}}`` for ``status``."""
    kind = TYPE_BY_STATUS.get(status, "server_error" if status >= 500 else "invalid_request_error")
    wire_code = code.value if code is not None else None
    return {"error": {"message": message, "type": kind, "param": param, "code": wire_code}}


def from_runtime(data: dict[str, Any]) -> OpenAIError:
    """The runtime's ``{"code", "message", "retryable"}`` (a failed request) as an OpenAIError.

    Timeouts are 504 and anything the client may retry (a restarting worker, shutdown) is 503,
    as the v2 routes answer them; a model that raised is a 500.
    """
    code = known_code(data.get("code")) or ErrorCode.MODEL_ERROR
    message = str(data.get("message") or "the model failed")
    if code == ErrorCode.INFERENCE_TIMEOUT:
        return OpenAIError(504, message, code=code)
    if data.get("retryable"):
        return OpenAIError(503, message, code=code, retry_after=1)
    return OpenAIError(500, message, code=code)
