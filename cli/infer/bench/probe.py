"""One streamed request under load: send it, read its SSE answer to the end of the body,
time every event and check the stream's correctness as it arrives."""

from __future__ import annotations

import asyncio
import codecs
import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from infer.bench.checks import StreamChecker
from infer.protocol.error_codes import ErrorCode

TEXT_FIELD_PREFERENCE = ("OUT", "text", "generated_text", "token", "TEXT")
# The server's own timeout code, and the ones this client gives the requests it times out.
TIMEOUT_CODES = {"http_504", ErrorCode.INFERENCE_TIMEOUT.value, "client_timeout", "connect_timeout"}
MAX_ERROR_BODY = 64 * 1024
_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


@dataclass
class RequestResult:
    """One request as the client saw it."""

    sent_at: float = 0.0
    first_at: float | None = None
    last_at: float | None = None
    ended_at: float = 0.0
    events: int = 0
    gaps_ms: list[float] = field(default_factory=list)
    outcome: str = "error"  # ok, error, timed_out
    code: str = ""  # why it failed: an error event's code, http_503, client_timeout, ...
    text: list[str] = field(default_factory=list)
    checker: StreamChecker = field(default_factory=StreamChecker)

    @property
    def ttft_ms(self) -> float | None:
        """Time from sending to the first model event."""
        return None if self.first_at is None else (self.first_at - self.sent_at) * 1000

    @property
    def e2e_ms(self) -> float:
        """Time from sending to the end of the answer."""
        return (self.ended_at - self.sent_at) * 1000

    @property
    def itl_ms(self) -> float | None:
        """Mean inter-event gap of this request (what an ITL/TPOT SLO bounds)."""
        if self.first_at is None or self.last_at is None or self.events < 2:
            return None
        return (self.last_at - self.first_at) * 1000 / (self.events - 1)

    def fail(self, code: str) -> None:
        """Record why the request did not succeed (the first reason wins)."""
        if self.outcome != "ok" and not self.code:
            self.outcome = "timed_out" if code in TIMEOUT_CODES else "error"
            self.code = code


async def run_request(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    timeout_s: float,
    text_field: str | None = None,
    keep_text: bool = False,
) -> RequestResult:
    """Send ``body`` and consume the answer; never raises for what the server does."""
    result = RequestResult(sent_at=time.perf_counter())
    try:
        await asyncio.wait_for(
            _exchange(client, url, body, result, text_field, keep_text), timeout_s
        )
    except asyncio.TimeoutError:
        result.fail("client_timeout")
        result.checker.finish(ended_cleanly=False)
    except httpx.ConnectError:
        result.fail("connect_error")
    except httpx.ConnectTimeout:
        result.fail("connect_timeout")
    except (httpx.HTTPError, httpx.StreamError):  # a reset, a write timeout, a bad encoding
        result.fail("connection_lost")
        result.checker.finish(ended_cleanly=False)
    result.ended_at = time.perf_counter() if not result.ended_at else result.ended_at
    return result


async def _exchange(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    result: RequestResult,
    text_field: str | None,
    keep_text: bool,
) -> None:
    request = client.build_request("POST", url, json=body, headers=_SSE_HEADERS)
    response = await client.send(request, stream=True)
    try:
        if response.status_code >= 400:
            await _drain_bounded(response)
            result.fail(f"http_{response.status_code}")
            return
        content_type = response.headers.get("content-type", "").partition(";")[0]
        if content_type != "text/event-stream":
            result.fail("not_sse")
            return
        await _read_events(response, result, text_field, keep_text)
    finally:
        await response.aclose()


async def _drain_bounded(response: httpx.Response) -> None:
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > MAX_ERROR_BODY:
            break


async def _read_events(
    response: httpx.Response, result: RequestResult, text_field: str | None, keep_text: bool
) -> None:
    checker = result.checker
    text_decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    lines = SSELineDecoder()
    decoder = SSEDecoder()
    field_name = text_field
    gaps = result.gaps_ms
    async for chunk in response.aiter_raw():
        now = time.perf_counter()
        for line in lines.decode(text_decoder.decode(chunk)):
            sse = decoder.decode(line)
            if sse is None or not sse.data:
                continue  # not a complete event yet, or a retry-only block
            name = sse.event or "message"
            if name == "message":
                checker.message(sse.id)
                if result.last_at is None:
                    result.first_at = now
                else:
                    gaps.append((now - result.last_at) * 1000)
                result.last_at = now
                result.events += 1
                piece, field_name = _text_of(sse.data, field_name, checker)
                if keep_text:
                    result.text.append(piece)
                continue
            data = _json_or_none(sse.data)
            checker.terminal(sse.id, name, data)
            if checker.terminals == 1:
                result.ended_at = now
                if name == "done":
                    result.outcome, result.code = "ok", ""
                else:
                    code = data.get("code") if isinstance(data, dict) else None
                    result.fail(str(code) if code else name)
    if not checker.terminals:
        result.fail("truncated")
    checker.finish(ended_cleanly=True)


def _json_or_none(data: str) -> Any:
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        return None


def _text_of(data: str, field_name: str | None, checker: StreamChecker) -> tuple[str, str | None]:
    """The event's text (and the field it is in, chosen on the first event when not given)."""
    payload = _json_or_none(data)
    if not isinstance(payload, dict):
        checker.malformed(f"event data is not a JSON object: {data[:60]!r}")
        return "", field_name
    if field_name is None:
        strings = [key for key, value in payload.items() if isinstance(value, str)]
        preferred = [key for key in TEXT_FIELD_PREFERENCE if key in strings]
        field_name = preferred[0] if preferred else strings[0] if strings else None
    value = payload.get(field_name) if field_name else None
    return (value if isinstance(value, str) else ""), field_name
