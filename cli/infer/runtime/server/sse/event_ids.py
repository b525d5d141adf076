"""SSE event ids: ``<stream id>:<sequence>``, so an id alone finds its stream again.

A browser's ``EventSource`` reconnects to the URL it was opened with, sending only the last id
it saw as ``Last-Event-ID``. Putting the stream's id in every event id is what lets
``GET /v2/models/{name}/infer?...`` tell a reconnect (continue that generation) from a new
request (start one). The sequence counts events from 1; the first bytes of every response
carry ``id: <stream>:<n>`` with no data, so even a drop before the first event resumes.

Runs in the server process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LAST_EVENT_ID_CHARS = 64
_LAST_EVENT_ID = re.compile(r"(?:([0-9a-f]{1,32}):)?([0-9]{1,15})")


class InvalidLastEventIdError(ValueError):
    """A Last-Event-ID this server never sent; the message says what is wrong with it."""


@dataclass(frozen=True)
class LastEventId:
    """A parsed Last-Event-ID: the stream it names (None for a bare number) and the sequence."""

    stream_id: str | None
    sequence: int


def event_id(stream_id: str, sequence: int) -> str:
    """The id of event number ``sequence`` in stream ``stream_id``."""
    return f"{stream_id}:{sequence}"


def parse_last_event_id(raw: str) -> LastEventId:
    """``<stream>:<n>`` or a bare ``<n>``; anything else raises InvalidLastEventIdError."""
    if len(raw) > MAX_LAST_EVENT_ID_CHARS:
        raise InvalidLastEventIdError(
            f"Last-Event-ID is {len(raw)} characters long; ids here are at most "
            f"{MAX_LAST_EVENT_ID_CHARS}"
        )
    if not raw.isascii():
        raise InvalidLastEventIdError(f"Last-Event-ID {raw!r} is not ASCII")
    match = _LAST_EVENT_ID.fullmatch(raw.strip())
    if match is None:
        raise InvalidLastEventIdError(
            f"Last-Event-ID {raw!r} is not an id this server sends (<stream>:<number>)"
        )
    return LastEventId(match.group(1), int(match.group(2)))
