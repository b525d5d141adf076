"""What keeps a loopback server safe from the web pages its user has open.

One ASGI middleware, in front of every route:

- ``Host`` must be a loopback name or the bound address (or one given with ``--allow-host``):
  a DNS-rebinding page reaches 127.0.0.1 under its own host name and is refused (403).
- A request from another origin (an ``Origin`` header, or ``Sec-Fetch-Site: cross-site`` on a
  request that sends none, such as ``<img src>``) is refused (403) unless ``--cors`` allows it:
  a page cannot start a generation it is not allowed to read.
- ``POST`` bodies must be ``application/json`` (415): a cross-site "simple" ``text/plain`` form
  post never reaches the model.
- With ``--cors ORIGIN``, preflights are answered and every response, SSE included, carries the
  CORS headers. ``*`` allows any origin, and then never with credentials.

Runs in the server process.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from infer.protocol.error_codes import ErrorCode, http_error_body

LOOPBACK_NAMES = {"localhost", "localhost.", "127.0.0.1", "::1"}
ALLOWED_METHODS = "GET, POST, DELETE, OPTIONS"
ALLOWED_HEADERS = "Accept, Authorization, Cache-Control, Content-Type, Last-Event-ID"
EXPOSED_HEADERS = "Retry-After, X-Resume-Url, X-Stream-Id"
PREFLIGHT_MAX_AGE_S = 600
log = logging.getLogger("infer.serve")


class InvalidOriginError(ValueError):
    """A ``--cors`` value that is not ``*`` or an origin (scheme://host[:port])."""


def normalise_origin(origin: str) -> str:
    """``scheme://host[:port]`` in lower case, default ports dropped; raises InvalidOriginError."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in {"http", "https"}
        or not parts.hostname
        or parts.path not in {"", "/"}
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise InvalidOriginError(
            f"{origin!r} is not an origin: expected scheme://host[:port], e.g. http://localhost:3000"
        )
    try:
        port = parts.port
    except ValueError:
        raise InvalidOriginError(f"{origin!r} has an invalid port") from None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    suffix = f":{port}" if port is not None and port != default else ""
    return f"{parts.scheme}://{host}{suffix}"


@dataclass(frozen=True)
class BrowserPolicy:
    """Which Host names and which cross-origin pages the server answers."""

    bound_host: str = "127.0.0.1"
    allow_hosts: tuple[str, ...] = ()  # extra Host names; "*" allows any
    cors_origins: tuple[str, ...] = ()  # normalised origins; "*" allows any (no credentials)

    @classmethod
    def build(
        cls, bound_host: str, allow_hosts: tuple[str, ...], cors: tuple[str, ...]
    ) -> BrowserPolicy:
        """Validated from the command line; raises InvalidOriginError for a bad ``--cors``."""
        origins = tuple("*" if value.strip() == "*" else normalise_origin(value) for value in cors)
        return cls(bound_host, tuple(name.lower() for name in allow_hosts), origins)

    def host_allowed(self, host_header: str) -> bool:
        """Whether ``Host`` names this server (loopback, the bound address, or listed)."""
        if "*" in self.allow_hosts:
            return True
        name = _host_name(host_header)
        if not name:
            return False
        if name in LOOPBACK_NAMES or name.endswith(".localhost") or name in self.allow_hosts:
            return True
        if name == self.bound_host.lower() and self.bound_host not in {"0.0.0.0", "::"}:
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False

    def cors_origin(self, origin: str) -> str | None:
        """The Access-Control-Allow-Origin value for ``origin``, or None when not allowed."""
        if "*" in self.cors_origins:
            return "*"
        try:
            normalised = normalise_origin(origin)
        except InvalidOriginError:
            return None
        return origin if normalised in self.cors_origins else None


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else ""
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class BrowserGuard:
    """ASGI middleware applying a BrowserPolicy to every HTTP request."""

    def __init__(self, app: ASGIApp, policy: BrowserPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse, answer a preflight, or pass on with CORS headers added."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        policy = self.policy
        host = headers.get("host", "")
        if not policy.host_allowed(host):
            await _refuse(
                send,
                403,
                ErrorCode.HOST_NOT_ALLOWED,
                f"Host {host!r} is not this server's name; use http://127.0.0.1:PORT, or start "
                "`infer serve` with --allow-host NAME to answer to that name",
            )
            return
        origin = headers.get("origin")
        allow_origin = policy.cors_origin(origin) if origin else None
        if origin and allow_origin is None and not _same_origin(origin, scope, host):
            await _refuse(
                send,
                403,
                ErrorCode.ORIGIN_NOT_ALLOWED,
                f"requests from the page at {origin} are not allowed; start `infer serve` with "
                f"--cors {origin} to allow it",
            )
            return
        # A no-cors request (<img src>, <script src>) from another site sends no Origin.
        cross_site = headers.get("sec-fetch-site") in {"cross-site", "same-site"}
        if not origin and cross_site and "*" not in policy.cors_origins:
            message = "cross-site requests are not allowed"
            await _refuse(send, 403, ErrorCode.ORIGIN_NOT_ALLOWED, message)
            return
        method = scope["method"]
        if method == "OPTIONS" and origin and "access-control-request-method" in headers:
            await _preflight(send, allow_origin or origin)
            return
        if method == "POST" and not _is_json(headers.get("content-type", "")):
            await _refuse(
                send,
                415,
                ErrorCode.UNSUPPORTED_MEDIA_TYPE,
                f"POST bodies must be Content-Type: application/json, not "
                f"{headers.get('content-type') or 'none'!r}",
                allow_origin,
            )
            return
        if allow_origin is None:
            await self.app(scope, receive, send)
            return
        extra = _cors_headers(allow_origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _same_origin(origin: str, scope: Scope, host: str) -> bool:
    try:
        return normalise_origin(origin) == normalise_origin(f"{scope['scheme']}://{host}")
    except InvalidOriginError:
        return False


def _is_json(content_type: str) -> bool:
    return content_type.partition(";")[0].strip().lower() == "application/json"


def _cors_headers(allow_origin: str) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"access-control-allow-origin", allow_origin.encode("latin-1")),
        (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
    ]
    if allow_origin != "*":
        # A listed origin may send credentials; "*" never does (browsers refuse the mix).
        headers += [(b"access-control-allow-credentials", b"true"), (b"vary", b"Origin")]
    return headers


async def _preflight(send: Send, allow_origin: str) -> None:
    headers = [
        *_cors_headers(allow_origin),
        (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
        (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
        (b"access-control-max-age", str(PREFLIGHT_MAX_AGE_S).encode()),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": headers})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(
    send: Send, status: int, code: ErrorCode, message: str, allow_origin: str | None = None
) -> None:
    log.info("request -  %d  %s: %s", status, code, message)
    body = json.dumps(http_error_body(code, message)).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *(_cors_headers(allow_origin) if allow_origin else []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
