"""Consuming one streamed answer: SSE over httpx (decoded with httpx-sse's decoders),
reconnection with Last-Event-ID as the SSE standard promises, and clear failures."""

from __future__ import annotations

import codecs
import contextlib
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from httpx_sse._decoders import SSEDecoder, SSELineDecoder

from infer.client.request import Endpoint
from infer.errors import ClientError

DEFAULT_RETRY_MS = 3000


@dataclass(frozen=True)
class Event:
    """One model event (or the terminal one) as received."""

    id: int
    name: str  # "message", "done" or "error"
    data: dict[str, Any]
    at: float  # perf_counter when its bytes arrived


@dataclass
class Outcome:
    """How a stream ended, from the client's side."""

    ending: str = "truncated"  # done, error, truncated, gave_up, interrupted, result
    terminal: dict[str, Any] = field(default_factory=dict)
    reconnects: int = 0
    stream_id: str | None = None
    result: dict[str, Any] | None = None
    detail: str = ""


@dataclass
class Handlers:
    """What the caller does with what arrives."""

    on_event: Callable[[Event], None]
    on_raw: Callable[[bytes], None] | None = None
    on_notice: Callable[[str], None] = lambda _: None
    on_chunk_end: Callable[[], None] = lambda: None


class StreamSession:
    """One request to a model, streamed to the end (or as far as it goes)."""

    def __init__(
        self,
        endpoint: Endpoint,
        token: str | None = None,
        max_reconnects: int = 5,
        retry_ms: int | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.endpoint = endpoint
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        timeout = httpx.Timeout(connect=connect_timeout, read=None, write=30.0, pool=10.0)
        self.client = httpx.Client(headers=headers, timeout=timeout)
        self.max_reconnects = max_reconnects
        self.retry_override_ms = retry_ms
        self.retry_ms = DEFAULT_RETRY_MS
        self.last_id = 0
        self.outcome = Outcome()
        self._resume_path: str | None = None

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def resolve_model(self) -> None:
        """Without --model, ask the server for its (only) model's name."""
        if self.endpoint.model is None:
            self.endpoint = Endpoint(self.endpoint.base_url, self._only_model())

    def metadata(self) -> dict[str, Any]:
        """The model's metadata (its inputs and streaming flag)."""
        self.resolve_model()
        response = self._request("GET", self.endpoint.model_url())
        return self._json(response)

    def _only_model(self) -> str:
        models = self._json(self._request("GET", f"{self.endpoint.base_url}/v2/models"))
        names = [str(m["name"]) for m in models.get("models", [])]
        if len(names) != 1:
            raise ClientError(
                f"the server at {self.endpoint.base_url} serves {len(names)} models",
                hint="choose one with --model NAME",
            )
        return names[0]

    def run(self, body: dict[str, Any], handlers: Handlers) -> Outcome:
        """Send the request and consume the answer, reconnecting when the connection drops."""
        self.resolve_model()
        url = self.endpoint.model_url("/infer")
        request = self.client.build_request("POST", url, json=body, headers=_SSE_HEADERS)
        self._consume(self._send(request), handlers, first=True)
        while self.outcome.ending == "truncated":
            if not self._resume_path or self.outcome.reconnects >= self.max_reconnects:
                if self._resume_path:
                    self.outcome.ending = "gave_up"
                return self.outcome
            self.outcome.reconnects += 1
            delay_ms = (
                self.retry_override_ms if self.retry_override_ms is not None else self.retry_ms
            )
            handlers.on_notice(
                f"connection lost after event {self.last_id}; reconnecting in {delay_ms} ms "
                f"(attempt {self.outcome.reconnects}/{self.max_reconnects})"
            )
            time.sleep(delay_ms / 1000)
            resume = self.client.build_request(
                "GET",
                self.endpoint.base_url + self._resume_path,
                headers={**_SSE_HEADERS, "Last-Event-ID": str(self.last_id)},
            )
            try:
                response = self._send(resume)
            except ClientError as error:
                handlers.on_notice(f"reconnect failed: {error.message}")
                continue
            if response.status_code == 204:
                response.close()
                self.outcome.ending = "done"
                return self.outcome
            handlers.on_notice(f"reconnected; resuming after event {self.last_id}")
            self._consume(response, handlers, first=False)
        return self.outcome

    def cancel(self) -> None:
        """Ask the server to stop generating (used on Ctrl-C); best effort."""
        if self.outcome.stream_id and self.endpoint.model:
            url = self.endpoint.model_url(f"/streams/{self.outcome.stream_id}")
            with contextlib.suppress(httpx.HTTPError):
                self.client.delete(url, timeout=2)

    def _send(self, request: httpx.Request) -> httpx.Response:
        try:
            response = self.client.send(request, stream=True)
        except httpx.ConnectError:
            raise ClientError(
                f"cannot connect to {self.endpoint.base_url}",
                hint="is `infer serve` running there? (or pass --url)",
            ) from None
        except httpx.TransportError as error:
            raise ClientError(f"{request.method} {request.url} failed: {error}") from None
        if response.status_code >= 400:
            response.read()
            response.close()
            raise ClientError(_http_error(response))
        return response

    def _request(self, method: str, url: str) -> httpx.Response:
        response = self._send(self.client.build_request(method, url))
        response.read()
        response.close()
        return response

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            data = response.json()
        except ValueError:
            raise ClientError(
                f"{response.request.url} answered HTTP {response.status_code} that is not JSON",
                hint="is --url pointing at an infer server?",
            ) from None
        if not isinstance(data, dict):
            raise ClientError(f"{response.request.url} answered unexpected JSON")
        return data

    def _consume(self, response: httpx.Response, handlers: Handlers, first: bool) -> None:
        try:
            self._consume_open(response, handlers, first)
        finally:
            response.close()

    def _consume_open(self, response: httpx.Response, handlers: Handlers, first: bool) -> None:
        content_type = response.headers.get("content-type", "").partition(";")[0]
        if first and content_type == "application/json":
            response.read()
            self.outcome.ending = "result"
            self.outcome.result = self._json(response)
            return
        if content_type != "text/event-stream":
            raise ClientError(
                f"{response.request.url} answered {content_type or 'no content type'}, "
                "not text/event-stream",
                hint="is --url pointing at an infer server?",
            )
        if "x-resume-url" in response.headers:
            self._resume_path = response.headers["x-resume-url"]
            self.outcome.stream_id = response.headers.get("x-stream-id")
        try:
            for event in self._events(response, handlers):
                handlers.on_event(event)
                if event.name != "message":
                    self.outcome.ending = "done" if event.name == "done" else "error"
                    self.outcome.terminal = event.data
                    return
        except (httpx.TransportError, httpx.StreamError):
            return  # a dropped connection: run() decides whether to resume

    def _events(self, response: httpx.Response, handlers: Handlers) -> Iterator[Event]:
        text_decoder = codecs.getincrementaldecoder("utf-8")()
        lines = SSELineDecoder()
        decoder = SSEDecoder()
        for chunk in response.iter_raw():
            now = time.perf_counter()
            if handlers.on_raw is not None:
                handlers.on_raw(chunk)
            for line in lines.decode(text_decoder.decode(chunk)):
                sse = decoder.decode(line)
                if sse is None:
                    continue
                if sse.retry is not None:
                    self.retry_ms = sse.retry
                if not sse.data:
                    continue  # a retry-only block, or a ping after an id (httpx-sse quirk)
                yield self._event(sse.id, sse.event or "message", sse.data, now)
            handlers.on_chunk_end()

    def _event(self, raw_id: str, name: str, data: str, at: float) -> Event:
        try:
            event_id = int(raw_id)
        except ValueError:
            raise ClientError(f"malformed SSE: event id {raw_id!r} is not a number") from None
        try:
            payload = json.loads(data)
        except json.JSONDecodeError:
            raise ClientError(
                f"malformed SSE: event {event_id} carries data that is not JSON: {data[:80]!r}"
            ) from None
        if not isinstance(payload, dict):
            raise ClientError(f"malformed SSE: event {event_id} is not a JSON object")
        if event_id <= self.last_id:
            raise ClientError(f"malformed SSE: event id {event_id} after {self.last_id}")
        self.last_id = event_id
        return Event(event_id, name, payload, at)


_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


def _http_error(response: httpx.Response) -> str:
    prefix = f"HTTP {response.status_code} from {response.request.method} {response.request.url}"
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error.get("message"):
        return f"{prefix}: {error.get('code', 'error')}: {error['message']}"
    text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return f"{prefix}: {text}" if text else prefix
