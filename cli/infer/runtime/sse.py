"""Server-Sent Events framing, by hand: it is three lines, and a library layer costs more per
event than everything else on the hot path (see DESIGN.md section 3)."""

from __future__ import annotations

PING = b": ping\n\n"


def retry_frame(milliseconds: int) -> bytes:
    """Tells EventSource-style clients how long to wait before reconnecting."""
    return b"retry: %d\n\n" % milliseconds


def event_frame(event_id: int, data: bytes) -> bytes:
    """A default-type (`message`) event; ``data`` is one line of JSON."""
    return b"id: %d\ndata: %s\n\n" % (event_id, data)


def named_frame(event_id: int, event: str, data: bytes) -> bytes:
    """A named event, such as the terminal `done` and `error`."""
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event_id, event.encode(), data)
