"""Consuming one streamed answer over HTTP: the WHATWG reader (sse_reader.py) under a protocol
layer (protocol.py), reconnection with Last-Event-ID as EventSource does it, waiting for a
server that is starting, and follow-up URLs kept on the user's origin."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from infer.client.origin import resolve_same_origin
from infer.client.protocol import Event, InferProtocol, PlainProtocol
from infer.client.sse_reader import SSEFormatError, SSEReader
from infer.client.terminal import sanitise
from infer.errors import ClientError
from infer.protocol.error_codes import ErrorCode, known_code

__all__ = ["Event", "Handlers", "Outcome", "StreamRequest", "StreamSession"]

DEFAULT_RETRY_MS = 3000
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_S = 10.0
_SSE_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


@dataclass
class Outcome:
    """How a stream ended, from the client's side."""

    # done, error (terminal events); ended (a plain stream's clean end); truncated, gave_up,
    # interrupted; result (a non-streaming answer)
    ending: str = "truncated"
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
    on_status: Callable[[str | None], None] = lambda _: None


@dataclass(frozen=True)
class StreamRequest:
    """The first request of a stream."""

    method: str
    url: str
    body: bytes | None = None
    content_type: str | None = None


class StreamSession:
    """One stream, read to its end (or as far as it goes), reconnecting when it drops."""

    def __init__(
        self,
        origin: str,
        token: str | None = None,
        max_reconnects: int = 5,
        retry_ms: int | None = None,
        connect_timeout: float = 10.0,
        wait_s: float | None = None,
    ) -> None:
        self.origin = origin  # the --url: follow-up URLs must stay on its origin
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        timeout = httpx.Timeout(connect=connect_timeout, read=None, write=30.0, pool=10.0)
        # Redirects are followed by hand, and only on the same origin (see _send_once).
        self.client = httpx.Client(headers=headers, timeout=timeout, follow_redirects=False)
        self.max_reconnects = max_reconnects
        self.retry_override_ms = retry_ms
        self.retry_ms = DEFAULT_RETRY_MS
        self.wait_s = wait_s
        self.last_event_id = ""
        self.outcome = Outcome()
        self.protocol: InferProtocol | PlainProtocol | None = None
        self._resume_url: str | None = None
        self._handlers = Handlers(on_event=lambda _: None)

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def get_json(self, url: str, handlers: Handlers | None = None) -> dict[str, Any]:
        """GET a JSON document (model metadata), waiting for readiness when asked to."""
        if handlers is not None:
            self._handlers = handlers
        response = self._send(self.client.build_request("GET", url))
        response.read()
        response.close()
        return _json(response)

    def run(self, request: StreamRequest, handlers: Handlers) -> Outcome:
        """Send the request and consume the answer, reconnecting when the connection drops."""
        self._handlers = handlers
        first = self.client.build_request(
            request.method,
            request.url,
            content=request.body,
            headers={
                **_SSE_HEADERS,
                **({"Content-Type": request.content_type} if request.content_type else {}),
            },
        )
        handlers.on_status("queued")
        self._consume(self._send(first), first=True)
        while self.outcome.ending == "truncated":
            target = self._resume_url or (request.url if request.method == "GET" else None)
            if target is None:
                return self.outcome  # re-sending a POST would start a new generation
            if self.outcome.reconnects >= self.max_reconnects:
                self.outcome.ending = "gave_up"
                return self.outcome
            if not self._reconnect(target):
                return self.outcome
        return self.outcome

    def _reconnect(self, url: str) -> bool:
        handlers = self._handlers
        self.outcome.reconnects += 1
        delay_ms = self.retry_override_ms if self.retry_override_ms is not None else self.retry_ms
        after = f"after event {self.last_event_id}" if self.last_event_id else "before any event"
        handlers.on_notice(
            f"connection lost {after}; reconnecting in {delay_ms} ms "
            f"(attempt {self.outcome.reconnects}/{self.max_reconnects})"
        )
        time.sleep(delay_ms / 1000)
        headers = dict(_SSE_HEADERS)
        if self.last_event_id:  # EventSource sends it only once an id was seen
            headers["Last-Event-ID"] = self.last_event_id
        try:
            response = self._send(self.client.build_request("GET", url, headers=headers))
        except ClientError as error:
            handlers.on_notice(f"reconnect failed: {error.message}")
            return True
        if response.status_code == 204:
            response.close()
            self.outcome.detail = "the server answered 204 (nothing more) without a terminal event"
            return False
        handlers.on_notice(f"reconnected; resuming {after}")
        self._consume(response, first=False)
        return True

    def cancel(self) -> None:
        """Ask the server to stop generating (used on Ctrl-C); best effort."""
        if self._resume_url and self.protocol is not None and self.protocol.strict:
            with contextlib.suppress(httpx.HTTPError):
                self.client.delete(self._resume_url, timeout=2)

    # -- HTTP ------------------------------------------------------------------------------

    def _send(self, request: httpx.Request) -> httpx.Response:
        """Send; with --wait, retry while the server is not up yet or answers 503."""
        deadline = None if self.wait_s is None else time.monotonic() + self.wait_s
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            try:
                response = self._send_once(request)
            except httpx.ConnectError:
                if left is None or left <= 0:
                    raise ClientError(
                        f"cannot connect to {_origin_text(request.url)}",
                        hint="is `infer serve` running there? (or pass --url, or --wait)",
                    ) from None
                self._handlers.on_status("waiting for the server to start")
                time.sleep(min(0.5, left))
                continue
            except httpx.TransportError as error:
                raise ClientError(f"{request.method} {request.url} failed: {error}") from None
            if response.status_code == 503 and left is not None and left > 0:
                response.read()
                response.close()
                self._handlers.on_status(_waiting_label(response))
                time.sleep(min(_retry_after(response), left))
                continue
            if response.status_code >= 400:
                response.read()
                response.close()
                raise ClientError(_http_error(response))
            return response

    def _send_once(self, request: httpx.Request) -> httpx.Response:
        for _ in range(MAX_REDIRECTS + 1):
            response = self.client.send(request, stream=True)
            location = response.headers.get("location")
            if response.status_code not in (301, 302, 303, 307, 308) or location is None:
                return response
            response.close()
            target = resolve_same_origin(request.url, location, self.origin)
            if target is None:
                raise ClientError(
                    f"{request.url} redirects to {sanitise(location)!r}, another origin; not "
                    "following it (credentials are only sent to --url's origin)"
                )
            keep = response.status_code in (307, 308)  # the method and body must not change
            headers = request.headers.copy()
            del headers["host"]
            if not keep:
                for name in ("content-type", "content-length"):
                    headers.pop(name, None)
            request = self.client.build_request(
                request.method if keep else "GET",
                target,
                content=request.content if keep and request.method != "GET" else None,
                headers=headers,
            )
        raise ClientError(f"{request.url}: more than {MAX_REDIRECTS} redirects")

    # -- reading ---------------------------------------------------------------------------

    def _consume(self, response: httpx.Response, first: bool) -> None:
        try:
            self._consume_open(response, first)
        finally:
            response.close()

    def _consume_open(self, response: httpx.Response, first: bool) -> None:
        handlers = self._handlers
        content_type = response.headers.get("content-type", "").partition(";")[0].strip()
        if first and content_type == "application/json":
            response.read()
            handlers.on_status(None)
            self.outcome.ending = "result"
            self.outcome.result = _json(response)
            return
        if content_type != "text/event-stream":
            handlers.on_status(None)
            raise ClientError(
                f"{response.request.url} answered {sanitise(content_type) or 'no content type'}"
                ", not text/event-stream",
                hint="is --url pointing at an SSE stream or an infer server?",
            )
        self._note_headers(response)
        handlers.on_status("waiting for the first event")
        reader = SSEReader(last_event_id=self.last_event_id)
        protocol = self.protocol
        assert protocol is not None
        try:
            for chunk in response.iter_raw():
                now = time.perf_counter()
                if handlers.on_raw is not None:
                    handlers.on_raw(chunk)
                for message in reader.feed(chunk):
                    event = protocol.accept(message, now)
                    self.last_event_id = reader.last_event_id
                    if event.name == "trimmed" and protocol.strict:
                        handlers.on_notice(_notice_text(event))
                        continue
                    handlers.on_event(event)
                    if ending := protocol.ending(event):
                        self.outcome.ending = ending
                        self.outcome.terminal = event.data if isinstance(event.data, dict) else {}
                        return
                self.last_event_id = reader.last_event_id
                if reader.retry_ms is not None:
                    self.retry_ms = reader.retry_ms
                handlers.on_chunk_end()
            reader.close()
        except (httpx.TransportError, httpx.StreamError):
            return  # a dropped connection: run() decides whether to resume
        except SSEFormatError as error:
            raise ClientError(f"malformed SSE: {error}") from None
        if not protocol.strict and _framed(response):
            # The body ended as its HTTP framing says it should: a clean end, not a drop.
            self.outcome.ending = "ended"

    def _note_headers(self, response: httpx.Response) -> None:
        stream_id = response.headers.get("x-stream-id")
        if stream_id is not None and not isinstance(self.protocol, InferProtocol):
            self.protocol = InferProtocol()
            self.outcome.stream_id = sanitise(stream_id)
        elif self.protocol is None:
            self.protocol = PlainProtocol()
        resume = response.headers.get("x-resume-url")
        if resume is not None:
            target = resolve_same_origin(response.request.url, resume, self.origin)
            if target is None:
                self._handlers.on_notice(
                    f"ignoring X-Resume-Url {sanitise(resume)!r}: it leaves "
                    f"{_origin_text(self.origin)}"
                )
            else:
                self._resume_url = target


def _framed(response: httpx.Response) -> bool:
    encoding = response.headers.get("transfer-encoding", "").lower()
    return "chunked" in encoding or "content-length" in response.headers


def _notice_text(event: Event) -> str:
    data = event.data if isinstance(event.data, dict) else {}
    return sanitise(str(data.get("message") or event.raw))


def _origin_text(url: str | httpx.URL) -> str:
    parsed = httpx.URL(str(url))
    port = f":{parsed.port}" if parsed.port else ""
    return f"{parsed.scheme}://{parsed.host}{port}"


def _retry_after(response: httpx.Response) -> float:
    value = response.headers.get("retry-after", "")
    seconds = float(value) if value.isascii() and value.isdigit() else 1.0
    return max(0.1, min(seconds, MAX_RETRY_AFTER_S))


# What a 503's code means for someone waiting on the status line.
_WAITING_LABELS: dict[ErrorCode | None, str] = {
    ErrorCode.MODEL_LOADING: "loading the model",
    ErrorCode.OVER_CAPACITY: "queued: every slot is busy",
}


def _waiting_label(response: httpx.Response) -> str:
    try:
        code = response.json().get("error", {}).get("code")
    except (ValueError, AttributeError):
        code = None
    return _WAITING_LABELS.get(known_code(code), "waiting: the server is unavailable (503)")


def _json(response: httpx.Response) -> dict[str, Any]:
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


def _http_error(response: httpx.Response) -> str:
    prefix = f"HTTP {response.status_code} from {response.request.method} {response.request.url}"
    try:
        error = response.json().get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if isinstance(error, dict) and error.get("message"):
        return sanitise(f"{prefix}: {error.get('code', 'error')}: {error['message']}")
    text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return sanitise(f"{prefix}: {text}" if text else prefix)
