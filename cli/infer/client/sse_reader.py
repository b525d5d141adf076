"""A Server-Sent Events reader that follows the WHATWG HTML standard's parsing rules.

https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

Bytes go in as they arrive, split anywhere; complete events come out. The rules it keeps:

- the stream is UTF-8; invalid sequences become U+FFFD; one leading BOM is dropped;
- lines end with CRLF, LF or CR (a CR at the end of one read and an LF at the start of the next
  are one line ending);
- ``data`` lines join with LF; ``event`` names the type (``message`` when empty or absent);
- ``id`` sets the last event id unless its value contains NUL, and it is a string, never a number;
  the id persists across events until the server sets another;
- ``retry`` counts only when the value is ASCII digits (then capped at ``max_retry_ms``);
- lines starting with ``:`` are comments; unknown fields are ignored;
- a blank line dispatches; an event with an empty data buffer is not dispatched (its id still
  counts); an incomplete event at end of stream is dropped.

It knows nothing of HTTP or of any protocol carried over SSE; that belongs to the layers above.
Everything is bounded: a line or an event over ``max_event_chars`` is an error, not memory growth.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

DEFAULT_MAX_RETRY_MS = 60_000
DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024


class SSEFormatError(ValueError):
    """The stream broke a limit the reader enforces (a line or event too large)."""


@dataclass(frozen=True)
class SSEMessage:
    """One dispatched event, as an ``EventSource`` would deliver it."""

    type: str  # "message" unless the server named it
    data: str
    last_event_id: str


class SSEReader:
    """Incremental WHATWG event-stream parser: ``feed`` bytes, get the events completed so far."""

    def __init__(
        self,
        *,
        max_retry_ms: int = DEFAULT_MAX_RETRY_MS,
        max_event_chars: int = DEFAULT_MAX_EVENT_CHARS,
        last_event_id: str = "",
    ) -> None:
        self.max_retry_ms = max_retry_ms
        self.max_event_chars = max_event_chars
        # What a reconnect would send as Last-Event-ID ("" means: send none).
        self.last_event_id = last_event_id
        # The reconnection time the server asked for, in ms (None until it sends `retry:`).
        self.retry_ms: int | None = None
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._line: list[str] = []
        self._line_chars = 0
        self._after_cr = False  # the last character seen was a CR (an LF next is not a new line)
        self._data: list[str] = []
        self._data_chars = 0
        self._has_data = False
        self._type = ""
        self._id_buffer = last_event_id

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        """The events that ``chunk`` completes, in order."""
        return self._feed_text(self._decoder.decode(chunk))

    def close(self) -> list[SSEMessage]:
        """End of stream: flush the decoder; an unterminated event is dropped, as the spec says."""
        events = self._feed_text(self._decoder.decode(b"", final=True))
        self._line.clear()
        self._line_chars = 0
        self._reset_event()
        return events

    def _feed_text(self, text: str) -> list[SSEMessage]:
        events: list[SSEMessage] = []
        start = 0
        size = len(text)
        if not size:
            return events  # a read that ended inside a character: nothing changes yet
        if self._after_cr and text[0] == "\n":
            start = 1
        self._after_cr = False
        position = start
        while position < size:
            char = text[position]
            if char == "\n" or char == "\r":
                self._append(text[start:position])
                self._process_line(events)
                if char == "\r":
                    if position + 1 < size:
                        if text[position + 1] == "\n":
                            position += 1
                    else:
                        self._after_cr = True
                position += 1
                start = position
                continue
            # Jump straight to the next line ending: most of a line is plain characters.
            next_lf = text.find("\n", position)
            next_cr = text.find("\r", position)
            ends = [index for index in (next_lf, next_cr) if index >= 0]
            position = min(ends) if ends else size
        self._append(text[start:size])
        return events

    def _append(self, piece: str) -> None:
        if not piece:
            return
        self._line_chars += len(piece)
        if self._line_chars + self._data_chars > self.max_event_chars:
            raise SSEFormatError(f"an SSE event is larger than {self.max_event_chars} characters")
        self._line.append(piece)

    def _process_line(self, events: list[SSEMessage]) -> None:
        line = "".join(self._line)
        self._line.clear()
        self._line_chars = 0
        if not line:
            self._dispatch(events)
            return
        if line[0] == ":":
            return  # a comment
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
            self._data_chars += len(value) + 1
            self._has_data = True
        elif name == "event":
            self._type = value
        elif name == "id":
            if "\0" not in value:
                self._id_buffer = value
        elif name == "retry" and value.isascii() and value.isdigit():
            # Digits only (no sign, no space); a huge value is capped, never slept.
            wanted = int(value) if len(value) <= 12 else self.max_retry_ms
            self.retry_ms = min(wanted, self.max_retry_ms)

    def _dispatch(self, events: list[SSEMessage]) -> None:
        self.last_event_id = self._id_buffer
        if self._has_data:
            data = "\n".join(self._data)
            events.append(SSEMessage(self._type or "message", data, self.last_event_id))
        self._reset_event()

    def _reset_event(self) -> None:
        self._data.clear()
        self._data_chars = 0
        self._has_data = False
        self._type = ""
