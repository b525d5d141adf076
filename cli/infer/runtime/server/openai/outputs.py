"""Reading the answer's text out of what the model sends: streamed events or a returned dict.

The text is the model's one string field (or the first of `OUT`, `generated_text`, `text`, ...
when there are several). A string field `finish_reason` set to `length` (or `stop`) is how a
model tells OpenAI clients why it stopped.

Runs in the server process.
"""

from __future__ import annotations

import json
from typing import Any

TEXT_PREFERENCE = (
    "OUT",
    "generated_text",
    "text",
    "content",
    "token",
    "response",
    "output",
    "answer",
    "TEXT",
)
FINISH_KEY = "finish_reason"
FINISH_REASONS = ("stop", "length", "content_filter")


def pick_text_field(data: dict[str, Any]) -> str | None:
    """The key holding the text, or None when no string field qualifies."""
    strings = [k for k, v in data.items() if isinstance(v, str) and k != FINISH_KEY]
    if len(strings) == 1:
        return strings[0]
    return next((name for name in TEXT_PREFERENCE if name in strings), None)


class EventText:
    """Text and finish reason of each streamed event; the text field is chosen on the first."""

    def __init__(self) -> None:
        self.field: str | None = None
        self.finish_reason: str | None = None
        self._chosen = False

    def read(self, data: dict[str, Any]) -> str:
        """This event's text (an event with no string field reads as its JSON)."""
        if not self._chosen:
            self.field = pick_text_field(data)
            self._chosen = True
        reason = data.get(FINISH_KEY)
        if reason in FINISH_REASONS:
            self.finish_reason = reason
        if self.field is None:
            return json.dumps(data, ensure_ascii=False)
        value = data.get(self.field)
        return value if isinstance(value, str) else ""


def result_text(outputs: list[dict[str, Any]]) -> tuple[str, str | None]:
    """The text and finish reason of a non-streaming model's v2 outputs."""
    values: dict[str, Any] = {}
    for output in outputs:
        data = output.get("data") or []
        values[str(output.get("name"))] = data[0] if len(data) == 1 else data
    reason = values.get(FINISH_KEY)
    finish = reason if reason in FINISH_REASONS else None
    for key, value in values.items():
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            values[key] = "".join(value)
    field = pick_text_field(values)
    if field is None:
        return json.dumps(values, ensure_ascii=False), finish
    return str(values[field]), finish
