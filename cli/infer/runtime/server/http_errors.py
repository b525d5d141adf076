"""JSON error responses: every refusal gets a status, a catalogued code
(``infer.protocol.error_codes``) and words that help.

Runs in the server process.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infer.protocol.error_codes import ErrorCode, http_error_body
from infer.runtime.server.limits import cap_error_body


class Refusal(Exception):
    """A request the server turns away, as data: rendered by the v2 routes as JSON, by the
    `/v1` routes in OpenAI's shape, and logged from these fields (never from a parsed body)."""

    def __init__(
        self,
        status: int,
        code: ErrorCode,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.retry_after = retry_after
        self.headers = headers

    def body(self) -> dict[str, Any]:
        """``{"error": {"code", "message", "details"?}}``, capped in size."""
        body = http_error_body(self.code, self.message, self.details)
        # A huge bad request never gets a huge answer.
        return {"error": cap_error_body(body["error"])}

    def response(self, body: dict[str, Any] | None = None) -> JSONResponse:
        """The JSON response (of ``body`` if already built), with ``Retry-After`` when given."""
        all_headers = dict(self.headers or {})
        if self.retry_after is not None:
            all_headers["Retry-After"] = str(self.retry_after)
        return JSONResponse(body or self.body(), status_code=self.status, headers=all_headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the runtime: a JSON 500 for the client (the log line comes from LastResort)."""
    message = "the server hit an unexpected error; the log has the details"
    return Refusal(500, ErrorCode.INTERNAL_ERROR, message).response()
