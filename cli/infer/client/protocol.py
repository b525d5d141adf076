"""What a stream's SSE events mean: the layer above the reader.

Against `infer serve` (its answers carry ``X-Stream-Id``) the client is strict: ids must be
``<stream>:<n>`` (or a bare ``n``) and increase, data must be JSON objects, and the stream ends
with exactly one ``done`` or ``error`` event. Against any other server it takes events as they
come: data is JSON when it parses, text otherwise; named events are shown, none is terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from infer.client.sse_reader import SSEMessage
from infer.errors import ClientError

TERMINAL_EVENTS = ("done", "error")
NOTICE_EVENTS = ("trimmed",)  # in-band notices from infer serve (not model events, not terminal)


@dataclass(frozen=True)
class Event:
    """One event as received."""

    id: str  # the last event id when it arrived ("" when the server set none)
    name: str  # "message" unless the server named it
    data: Any  # the data parsed as JSON when it is JSON, else the text itself
    raw: str  # the data field exactly as received
    at: float  # perf_counter when its bytes arrived
    is_json: bool = False


def to_event(message: SSEMessage, at: float) -> Event:
    """An Event from a reader message, its data parsed when it is JSON."""
    try:
        return Event(
            message.last_event_id, message.type, json.loads(message.data), message.data, at, True
        )
    except ValueError:
        return Event(message.last_event_id, message.type, message.data, message.data, at)


class PlainProtocol:
    """Any SSE server: every event is shown; only the end of the body ends the stream."""

    strict = False

    def accept(self, message: SSEMessage, at: float) -> Event:
        """The event for ``message``."""
        return to_event(message, at)

    def ending(self, event: Event) -> str | None:
        """None: a plain stream has no terminal event."""
        return None


class InferProtocol:
    """`infer serve`'s contract, checked: increasing ids, JSON objects, one terminal event."""

    strict = True

    def __init__(self) -> None:
        self.last_sequence = 0

    def accept(self, message: SSEMessage, at: float) -> Event:
        """The event for ``message``, or ClientError("malformed SSE: ...")."""
        event = to_event(message, at)
        if event.name in NOTICE_EVENTS:
            return event
        sequence = _sequence(event.id)
        if not event.is_json or not isinstance(event.data, dict):
            what = "data that is not JSON" if not event.is_json else "JSON that is not an object"
            raise ClientError(
                f"malformed SSE: event {event.id or '(no id)'} carries {what}: {event.raw[:80]!r}"
            )
        if sequence <= self.last_sequence:
            raise ClientError(
                f"malformed SSE: event id {event.id!r} does not follow {self.last_sequence}"
            )
        self.last_sequence = sequence
        return event

    def ending(self, event: Event) -> str | None:
        """``done`` or ``error`` for the terminal event, else None."""
        return event.name if event.name in TERMINAL_EVENTS else None


def _sequence(event_id: str) -> int:
    number = event_id.rpartition(":")[2]
    if not (number.isascii() and number.isdigit()) or len(number) > 18:
        raise ClientError(f"malformed SSE: event id {event_id!r} is not <stream>:<number>")
    return int(number)
