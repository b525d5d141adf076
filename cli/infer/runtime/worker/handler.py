"""The `stream_output_handler` a streaming model receives, and the exceptions it raises.

Runs in the worker process.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

from infer.protocol.error_codes import ErrorCode


class StreamCancelledError(Exception):
    """The client went away (or the request timed out): stop generating.

    Raised by ``send_streamed_output``; a model may catch it to stop early and clean up.
    """


class StreamProtocolError(Exception):
    """The model broke the streaming contract (sent after finalising, changed its schema)."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# One encoder for every event: json.dumps with options builds a new encoder per call.
# allow_nan=False: NaN and Infinity are not JSON, and a browser's JSON.parse rejects them.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode


def _event_json(event: dict[str, Any]) -> bytes:
    if not isinstance(event, dict):
        raise StreamProtocolError(
            ErrorCode.INVALID_EVENT,
            f"send_streamed_output takes a dict, got {type(event).__name__}",
        )
    try:
        return _ENCODE(event).encode()
    except (TypeError, ValueError) as error:
        raise StreamProtocolError(
            ErrorCode.INVALID_EVENT, f"the event cannot be sent as JSON: {error}"
        ) from error


class StreamOutputHandler:
    """Sends one request's events; checks every event has the first one's keys and types."""

    Cancelled = StreamCancelledError

    def __init__(self, emit: Callable[[bytes], None]) -> None:
        self._emit = emit
        self._schema: dict[str, type] | None = None
        self.cancelled = threading.Event()
        self.finalised = False
        self.events = 0
        # Set when the model broke the contract, even if it then swallowed the exception.
        self.failure: StreamProtocolError | None = None

    def send_streamed_output(self, output: dict[str, Any]) -> None:
        """Send one event to the client."""
        if self.cancelled.is_set():
            raise StreamCancelledError("the client disconnected or the request timed out")
        if self.failure is not None:
            raise self.failure
        try:
            payload = self._check(output)
        except StreamProtocolError as error:
            self.failure = error
            raise
        self.events += 1
        self._emit(payload)

    def _check(self, output: dict[str, Any]) -> bytes:
        if self.finalised:
            raise StreamProtocolError(
                ErrorCode.SEND_AFTER_FINALISE,
                "send_streamed_output was called after finalise_streamed_output",
            )
        if hasattr(output, "model_dump"):  # a pydantic response object
            output = output.model_dump()
        payload = _event_json(output)
        first = self._schema
        if first is None:
            self._schema = {key: type(value) for key, value in output.items()}
        elif len(output) != len(first) or any(
            first.get(key) is not type(value) for key, value in output.items()
        ):
            now = {key: type(value) for key, value in output.items()}
            difference = _schema_difference(first, now)
            raise StreamProtocolError(ErrorCode.OUTPUT_SCHEMA_CHANGED, difference)
        return payload

    def finalise_streamed_output(self) -> None:
        """Mark the stream complete; the runtime ends it when infer() returns."""
        self.finalised = True

    # The platform's spelling is "finalise"; accept the other one rather than hang the stream.
    finalize_streamed_output = finalise_streamed_output


def _schema_difference(first: dict[str, type], now: dict[str, type]) -> str:
    parts = []
    added = sorted(set(now) - set(first))
    removed = sorted(set(first) - set(now))
    if added:
        parts.append(f"new key(s) {added}")
    if removed:
        parts.append(f"missing key(s) {removed}")
    for key in sorted(set(first) & set(now)):
        if first[key] is not now[key]:
            parts.append(f"{key!r} changed from {first[key].__name__} to {now[key].__name__}")
    return "every streamed event must have the same schema as the first; this one has " + ", ".join(
        parts
    )
