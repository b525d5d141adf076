"""Correctness of one stream, checked while it arrives: ids contiguous from 1, exactly one
terminal event (`done` or `error`) and nothing after it, no event delivered twice, and a `done`
event whose `events` count matches what arrived."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_EXAMPLES_PER_STREAM = 5

# Every kind of violation, with what it means (the JSON schema and the README list these).
VIOLATION_KINDS = {
    "non_contiguous_id": "an event id is not the previous id + 1 (the first is 1)",
    "duplicated_text": "an event id arrived twice: text was delivered twice",
    "missing_terminal": "the stream ended without a done or error event",
    "after_terminal": "an event (or a second terminal event) arrived after the terminal one",
    "count_mismatch": "the done event's `events` differs from the events received",
    "malformed_event": "an event's id is not a number or its data is not a JSON object",
}


@dataclass
class StreamChecker:
    """Feed it every SSE event of one stream, then `finish()` at the end of the body."""

    last_id: int = 0
    events: int = 0
    terminals: int = 0
    violations: list[tuple[str, str]] = field(default_factory=list)

    def message(self, raw_id: str | None) -> None:
        """A model (message) event."""
        if self.terminals:
            self._flag("after_terminal", f"event id {raw_id} after the terminal event")
        if self._check_id(raw_id):
            self.events += 1  # a duplicate is reported once, as duplicated_text, not miscounted

    def terminal(self, raw_id: str | None, name: str, data: Any) -> None:
        """The `done` or `error` event."""
        self.terminals += 1
        if self.terminals > 1:
            self._flag("after_terminal", f"a second terminal event ({name}, id {raw_id})")
        if raw_id:  # a server may leave the terminal event without an id
            self._check_id(raw_id)
        if name == "done" and isinstance(data, dict):
            told = data.get("events")
            if isinstance(told, int) and not isinstance(told, bool) and told != self.events:
                self._flag("count_mismatch", f"done says {told} events, {self.events} arrived")

    def malformed(self, detail: str) -> None:
        """An event the client could not read."""
        self._flag("malformed_event", detail)

    def finish(self, ended_cleanly: bool) -> None:
        """The body ended; ``ended_cleanly`` is False when the client itself cut it short."""
        if ended_cleanly and not self.terminals:
            self._flag("missing_terminal", f"EOF after {self.events} events, no done/error event")

    def _check_id(self, raw_id: str | None) -> bool:
        """False for an event already delivered."""
        # infer serve's ids are `<stream>:<n>`; other servers may send a bare `n`.
        number = (raw_id or "").rpartition(":")[2]
        if not (number.isascii() and number.isdigit()) or len(number) > 18:
            self._flag("malformed_event", f"event id {raw_id!r} is not a number")
            return True
        event_id = int(number)
        if event_id <= self.last_id:
            self._flag("duplicated_text", f"event id {event_id} again after {self.last_id}")
            return False
        if event_id != self.last_id + 1:
            self._flag("non_contiguous_id", f"event id {event_id} after {self.last_id}")
        self.last_id = event_id
        return True

    def _flag(self, kind: str, detail: str) -> None:
        if len(self.violations) < MAX_EXAMPLES_PER_STREAM:
            self.violations.append((kind, detail))
