"""The browser guard in process: Host, Origin, Content-Type and opt-in CORS."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.runtime.inprocess.conftest import INFER, Serve
from tests.servers import v2_body

pytestmark = [pytest.mark.anyio, pytest.mark.timeout(60)]

JSON = {"content-type": "application/json"}
BODY = json.dumps(v2_body(TEXT="a")).encode()


def code_of(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


async def test_host_origin_and_content_type_without_cors(serve: Serve) -> None:
    server = await serve()
    client = server.client
    ready = "/v2/health/ready"
    for host in ("127.0.0.1:8000", "localhost:8000", "localhost", "app.localhost:8000", "[::1]"):
        assert (await client.get(ready, headers={"Host": host})).status_code == 200, host
    for host in ("evil.example:8000", "attacker.com", "127.0.0.1.evil.com", ""):
        response = await client.get(ready, headers={"Host": host})
        assert code_of(response) == (403, "host_not_allowed"), host
        assert "--allow-host" in response.json()["error"]["message"]
    for content_type in ("text/plain", "application/x-www-form-urlencoded", ""):
        response = await client.post(INFER, content=BODY, headers={"content-type": content_type})
        assert code_of(response) == (415, "unsupported_media_type"), content_type
    assert (await client.post(INFER, content=BODY, headers=JSON)).status_code == 200
    charset = {"content-type": "application/json; charset=utf-8"}
    assert (await client.post(INFER, content=BODY, headers=charset)).status_code == 200
    evil = {"Origin": "http://evil.example"}
    assert code_of(await client.post(INFER, content=BODY, headers={**JSON, **evil})) == (
        403,
        "origin_not_allowed",
    )
    assert code_of(await client.get(f"{INFER}?TEXT=a", headers=evil)) == (403, "origin_not_allowed")
    no_cors = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}
    assert code_of(await client.get(f"{INFER}?TEXT=a", headers=no_cors)) == (
        403,
        "origin_not_allowed",
    )
    preflight = await client.options(
        INFER, headers={**evil, "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 403
    assert "access-control-allow-origin" not in preflight.headers
    own = await client.get(f"{INFER}?TEXT=a", headers={"Origin": "http://127.0.0.1:8000"})
    assert own.status_code == 200
    assert "access-control-allow-origin" not in own.headers
    assert len(server.fake.received) == 3  # only the allowed requests reached the model


async def test_allow_host_and_cors_origins(serve: Serve) -> None:
    server = await serve(allow_hosts=("devbox.lan",), cors_origins=("http://localhost:3000",))
    client = server.client
    live = await client.get("/v2/health/live", headers={"Host": "devbox.lan"})
    assert live.status_code == 200
    page = {"Origin": "http://localhost:3000"}
    preflight = await client.options(
        INFER,
        headers={
            **page,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, last-event-id",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "last-event-id" in allowed
    assert preflight.headers["access-control-allow-credentials"] == "true"
    stream = await client.get(f"{INFER}?TEXT=a%20b", headers=page)
    assert stream.headers["content-type"].startswith("text/event-stream")
    assert stream.headers["access-control-allow-origin"] == "http://localhost:3000"
    assert "X-Resume-Url" in stream.headers["access-control-expose-headers"]
    assert stream.headers["vary"] == "Origin"
    missing = await client.get("/v2/models/nope", headers=page)
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "http://localhost:3000"
    other = await client.get(f"{INFER}?TEXT=a", headers={"Origin": "http://localhost:4000"})
    assert code_of(other) == (403, "origin_not_allowed")


async def test_cors_star_allows_any_origin_without_credentials(serve: Serve) -> None:
    server = await serve(cors_origins=("*",))
    response = await server.client.get("/v2/health/live", headers={"Origin": "https://a.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
