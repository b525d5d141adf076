"""Connection limits uvicorn does not set by itself: header size and time, and a total cap.

uvicorn's httptools protocol accepts a header of any size, waits for it forever, and keeps
every connection it accepts. That lets one client hold hundreds of megabytes (one unterminated
header) or every file descriptor (idle or slow connections). The protocol below adds, like
nginx (``large_client_header_buffers``, ``client_header_timeout``, ``worker_connections``):

- a request head (request line + headers) over ``max_header_bytes`` gets a 431 and is closed;
- a request head that has not fully arrived ``header_timeout_s`` after its first byte (or after
  the connection opened) gets a 408 and is closed (slowloris);
- past ``max_connections`` open connections, the oldest connection that is not running a
  request (idle keep-alive, or still sending its head) is closed to make room; if every
  connection is busy, the new one gets a 503 and is closed.

Idle keep-alive connections are closed by uvicorn after ``timeout_keep_alive``.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import resource
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from infer.protocol.error_codes import ErrorCode, http_error_body

log = logging.getLogger("infer.serve")
# File descriptors kept free for everything that is not a client connection: the listening
# socket, the worker's socket and pipes, log files, the model's own files.
FD_RESERVE = 64


@dataclass
class ConnectionLimits:
    """The limits, and the open connections they apply to (oldest first)."""

    max_connections: int
    max_header_bytes: int
    header_timeout_s: float
    open: OrderedDict[GuardedProtocol, None] = field(default_factory=OrderedDict)
    refused: int = 0
    evicted: int = 0

    def close_all(self) -> int:
        """Abort every open connection (the end of a shutdown); returns how many."""
        connections = list(self.open)
        for connection in connections:
            connection.transport.abort()
        return len(connections)


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE towards ``wanted`` (never past the hard limit).

    Returns the soft limit now in force. Where raising is not allowed, the limit stays as is.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def connection_cap(requested: int, fd_soft_limit: int) -> int:
    """The connection cap to use: as requested, but always below the file-descriptor limit."""
    return max(1, min(requested, fd_soft_limit - FD_RESERVE))


def _refusal(status: int, reason: str, code: ErrorCode, message: str) -> bytes:
    body = json.dumps(http_error_body(code, message)).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode() + body


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits of ConnectionLimits."""

    limits: ConnectionLimits  # set on the subclass that guarded_protocol() makes

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._reading_head = True
        self._head_bytes = 0
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection; make room (or refuse) past the cap; start the head clock."""
        super().connection_made(transport)
        limits = self.limits
        limits.open[self] = None
        if len(limits.open) > limits.max_connections and not self._make_room():
            limits.refused += 1
            self._refuse(
                503,
                "Service Unavailable",
                ErrorCode.TOO_MANY_CONNECTIONS,
                f"the server already has {limits.max_connections} open connections",
            )
            return
        self._start_head_timer()

    def _make_room(self) -> bool:
        for connection in self.limits.open:
            if connection is not self and connection.is_idle:
                self.limits.evicted += 1
                connection.transport.abort()
                self.limits.open.pop(connection, None)
                return True
        return False

    @property
    def is_idle(self) -> bool:
        """Whether no request of this connection is being answered right now."""
        cycle = self.cycle
        return cycle is None or cycle.response_complete

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and its timer."""
        self.limits.open.pop(self, None)
        self._stop_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Parse, then check the head's size (so at most one read's bytes are ever extra)."""
        if self._reading_head:
            self._head_bytes += len(data)
            self._start_head_timer()
        super().data_received(data)
        if self._reading_head and self._head_bytes > self.limits.max_header_bytes:
            self._refuse(
                431,
                "Request Header Fields Too Large",
                ErrorCode.HEADER_TOO_LARGE,
                f"the request line and headers are over {self.limits.max_header_bytes} bytes",
            )

    def on_headers_complete(self) -> None:
        """The head arrived: stop its clock and its byte count."""
        self._reading_head = False
        self._head_bytes = 0
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The body arrived: the next bytes are the next request's head."""
        super().on_message_complete()
        self._reading_head = True

    def _start_head_timer(self) -> None:
        if self._head_timer is None and self.transport is not None:
            self._head_timer = self.loop.call_later(
                self.limits.header_timeout_s, self._head_timed_out
            )

    def _stop_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def on_response_complete(self) -> None:
        """Between requests uvicorn's keep-alive timeout applies, not the head clock."""
        super().on_response_complete()
        self._stop_head_timer()

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self._reading_head or self.transport.is_closing():
            return
        if self._head_bytes == 0 and not self.is_idle:
            return  # a request is being answered; the keep-alive clock starts after it
        self._refuse(
            408,
            "Request Timeout",
            ErrorCode.HEADER_TIMEOUT,
            f"the request line and headers did not arrive within "
            f"{self.limits.header_timeout_s:g} s",
        )

    def _refuse(self, status: int, reason: str, code: ErrorCode, message: str) -> None:
        self._stop_head_timer()
        if self.transport.is_closing():
            return
        if self.is_idle:
            self.transport.write(_refusal(status, reason, code, message))
        self.transport.close()


def guarded_protocol(limits: ConnectionLimits) -> type[GuardedProtocol]:
    """A protocol class for ``uvicorn.Config(http=...)`` bound to ``limits``."""
    return type("InferHttpProtocol", (GuardedProtocol,), {"limits": limits})
