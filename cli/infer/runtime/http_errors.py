"""JSON error responses: every client mistake gets a status, a code and words that help."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse


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
    all_headers = dict(headers or {})
    if retry_after is not None:
        all_headers["Retry-After"] = str(retry_after)
    return JSONResponse({"error": body}, status_code=status, headers=all_headers)
