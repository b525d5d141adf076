"""An unexpected exception in the server: a JSON 500 and one log line, never a traceback."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infer.runtime.server.http_errors import internal_error
from infer.runtime.server.shutdown import LastResort


async def _broken(request: Request) -> Response:
    raise KeyError("a bug " + "x" * 5000)


def test_an_unexpected_exception_is_a_json_500_and_one_capped_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Starlette(
        routes=[Route("/boom", _broken)], exception_handlers={Exception: internal_error}
    )

    async def main() -> httpx.Response:
        transport = httpx.ASGITransport(app=LastResort(app))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get("/boom")

    with caplog.at_level(logging.ERROR, logger="infer.serve"):
        response = asyncio.run(main())
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    records = [r for r in caplog.records if r.name == "infer.serve"]
    assert len(records) == 1
    message = records[0].getMessage()
    assert message.startswith(
        "internal error answering GET /boom: KeyError (at test_last_resort.py:"
    )
    assert "more characters omitted" in message
    assert records[0].exc_info is None
