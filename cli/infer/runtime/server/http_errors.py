"""JSON error responses: every client mistake gets a status, a code and words that help.

Runs in the server process.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infer.runtime.server.limits import cap_error_body


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: list[dict[str, Any]] | None = None,
    retry_after: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """``{"error": {"code", "message", "details"?}}`` with the given status."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details:
        body["details"] = details
    body = cap_error_body(body)  # a huge bad request never gets a huge answer
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": body}, status_code=status, headers=all_headers)


async def internal_error(request: Request, exc: Exception) -> Response:
    """A bug in the runtime: a JSON 500 for the client (the log line comes from LastResort)."""
    return error_response(
        500, "internal_error", "the server hit an unexpected error; the log has the details"
    )
