"""Every error code `infer serve` sends, as data: how it is sent, whether a retry can help, and
what it means. The server, the worker, the Ray gateway and the client all use this catalogue, and
README's table is generated from it (`python -m infer.protocol.error_codes README.md`).

Two shapes carry a code:

- in-band, as the data of a stream's ``event: error`` (or of a non-streaming request's failure):
  ``{"code", "message", "retryable"}``, built by :func:`error_payload`;
- as an HTTP error body, ``{"error": {"code", "message", "details"?}}``, built by
  :func:`http_error_body` (the `/v1` routes put the same codes in OpenAI's error shape).

To add a code: a member of :class:`ErrorCode`, an :class:`ErrorSpec` in ``CATALOGUE``, then
regenerate the README table; a test fails until all three agree.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from enum import Enum
from typing import Any

from infer.generated_blocks import rewrite_files, with_block


class ErrorCode(str, Enum):
    """A runtime error code; its value is what goes on the wire."""

    # in-band, from the worker: the model broke or the request was stopped
    MODEL_ERROR = "model_error"
    OUTPUT_SCHEMA_CHANGED = "output_schema_changed"
    SEND_AFTER_FINALISE = "send_after_finalise"
    INVALID_EVENT = "invalid_event"
    CANCELLED = "cancelled"
    # in-band, from the server
    INFERENCE_TIMEOUT = "inference_timeout"
    WORKER_CRASHED = "worker_crashed"
    WORKER_RESTARTING = "worker_restarting"
    WORKER_RESTARTED = "worker_restarted"
    SERVER_SHUTTING_DOWN = "server_shutting_down"
    CLIENT_TOO_SLOW = "client_too_slow"
    EVENTS_TRIMMED = "events_trimmed"
    # HTTP: the request body
    INVALID_JSON = "invalid_json"
    JSON_TOO_DEEP = "json_too_deep"
    TOO_MANY_INPUTS = "too_many_inputs"
    BODY_INCOMPLETE = "body_incomplete"
    BODY_TIMEOUT = "body_timeout"
    BODY_TOO_LARGE = "body_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    INVALID_INPUTS = "invalid_inputs"
    # HTTP: what the request names
    MODEL_NOT_FOUND = "model_not_found"
    STREAM_NOT_FOUND = "stream_not_found"
    EVENTS_EXPIRED = "events_expired"
    INVALID_LAST_EVENT_ID = "invalid_last_event_id"
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    HTTP_ERROR = "http_error"
    # HTTP: the browser guard and the connection limits
    HOST_NOT_ALLOWED = "host_not_allowed"
    ORIGIN_NOT_ALLOWED = "origin_not_allowed"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    HEADER_TOO_LARGE = "header_too_large"
    HEADER_TIMEOUT = "header_timeout"
    # HTTP: the server's state
    OVER_CAPACITY = "over_capacity"
    MODEL_LOADING = "model_loading"
    MODEL_FAILED = "model_failed"
    IMPORT_FAILED = "import_failed"
    INITIALIZE_FAILED = "initialize_failed"
    NO_GPU = "no_gpu"
    INTERNAL_ERROR = "internal_error"
    # HTTP, the `/v1` (OpenAI-compatible) routes only
    INVALID_REQUEST = "invalid_request"
    NO_CONVERSATION_INPUT = "no_conversation_input"
    MISSING_INPUTS = "missing_inputs"
    INVALID_INPUT = "invalid_input"

    def __str__(self) -> str:
        # The wire value in logs and f-strings on every Python (3.10's str() says ErrorCode.X).
        return self.value


@dataclass(frozen=True)
class ErrorSpec:
    """One code: the SSE event it travels in, the HTTP statuses it is answered with, and why."""

    code: ErrorCode
    event: str | None  # "error" (or "trimmed", a notice) in a stream; None: never in-band
    statuses: tuple[int, ...]  # HTTP statuses it is answered with; () with no event: any 4xx
    retryable: bool  # whether sending the same request again may succeed
    meaning: str

    @property
    def sent_as(self) -> str:
        """How a client meets it, e.g. ``event: error`` · ``HTTP 503``."""
        ways = [f"`event: {self.event}`"] if self.event else []
        ways += [f"HTTP {status}" for status in self.statuses]
        return ", ".join(ways) or "HTTP 4xx"


def _in_band(code: ErrorCode, retryable: bool, meaning: str, *statuses: int) -> ErrorSpec:
    return ErrorSpec(code, "error", statuses, retryable, meaning)


def _http(code: ErrorCode, status: int, retryable: bool, meaning: str) -> ErrorSpec:
    return ErrorSpec(code, None, (status,) if status else (), retryable, meaning)


_E = ErrorCode
_SPECS = (
    _in_band(
        _E.MODEL_ERROR, False, "the model's `infer()` raised; the message names the exception"
    ),
    _in_band(
        _E.OUTPUT_SCHEMA_CHANGED,
        False,
        "a streamed event's keys or value types differ from the first event's (named)",
    ),
    _in_band(
        _E.SEND_AFTER_FINALISE,
        False,
        "`send_streamed_output()` was called after `finalise_streamed_output()`",
    ),
    _in_band(
        _E.INVALID_EVENT,
        False,
        "a streamed event is not a dict, or not strict JSON (`NaN`, `Infinity`, objects)",
    ),
    _in_band(
        _E.CANCELLED,
        False,
        "the client cancelled (`DELETE`), or left and did not resume in time (`--resume-grace`)",
    ),
    _in_band(_E.INFERENCE_TIMEOUT, True, "the request ran past `inference_time`", 504),
    _in_band(
        _E.WORKER_CRASHED,
        True,
        "the worker process died (the runtime restarts it); 503 when it died loading the model",
        503,
    ),
    _in_band(_E.WORKER_RESTARTING, True, "the request arrived while the worker was restarting"),
    _in_band(
        _E.WORKER_RESTARTED, True, "the worker was restarted or drained while the request ran"
    ),
    _in_band(_E.SERVER_SHUTTING_DOWN, True, "the server is shutting down (Ctrl-C, SIGTERM)", 503),
    _in_band(
        _E.CLIENT_TOO_SLOW,
        False,
        "this reader fell further behind than `--replay-buffer`; the stream was closed for it",
    ),
    ErrorSpec(
        _E.EVENTS_TRIMMED,
        "trimmed",
        (),
        False,
        "a notice, not an error: the replay starts after events that left the buffer (`first_id`)",
    ),
    _http(_E.INVALID_JSON, 400, False, "the request body is not valid JSON"),
    _http(
        _E.JSON_TOO_DEEP, 400, False, "the request body nests arrays/objects deeper than the limit"
    ),
    _http(_E.TOO_MANY_INPUTS, 400, False, "the request lists more inputs than the limit"),
    _http(_E.BODY_INCOMPLETE, 400, False, "the client left before sending its whole body"),
    _http(_E.BODY_TIMEOUT, 408, False, "the request body did not arrive in time"),
    _http(_E.BODY_TOO_LARGE, 413, False, "the request body is over the size limit (16 MiB)"),
    _http(_E.UNSUPPORTED_MEDIA_TYPE, 415, False, "a `POST` body that is not `application/json`"),
    _http(
        _E.INVALID_INPUTS,
        422,
        False,
        'the inputs break the model\'s schema; `details` names each problem, with "did you mean"',
    ),
    _http(_E.MODEL_NOT_FOUND, 404, False, "the URL names a model this server does not serve"),
    _http(_E.STREAM_NOT_FOUND, 404, False, "no such stream: it never existed or has expired"),
    _http(
        _E.EVENTS_EXPIRED,
        404,
        False,
        "cannot resume: the events after `Last-Event-ID` left the replay buffer",
    ),
    _http(
        _E.INVALID_LAST_EVENT_ID,
        400,
        False,
        "`Last-Event-ID` is malformed, ahead of the stream, or from another stream",
    ),
    _http(_E.NOT_FOUND, 404, False, "no such route"),
    _http(_E.METHOD_NOT_ALLOWED, 405, False, "the route does not take this method"),
    _http(_E.HTTP_ERROR, 0, False, "any other HTTP error the routing raises"),
    _http(
        _E.HOST_NOT_ALLOWED,
        403,
        False,
        "the `Host` header is not this server's name (see `--allow-host`)",
    ),
    _http(
        _E.ORIGIN_NOT_ALLOWED, 403, False, "a request from a page on another origin (see `--cors`)"
    ),
    _http(
        _E.TOO_MANY_CONNECTIONS, 503, True, "the server has as many open connections as it allows"
    ),
    _http(_E.HEADER_TOO_LARGE, 431, False, "the request line and headers are over the size limit"),
    _http(_E.HEADER_TIMEOUT, 408, False, "the request line and headers did not arrive in time"),
    _http(
        _E.OVER_CAPACITY,
        503,
        True,
        "every slot is busy and the queue is full (`--concurrency`, `--queue-size`)",
    ),
    _http(_E.MODEL_LOADING, 503, True, "the model is loading (`initialize()` is running)"),
    _http(_E.MODEL_FAILED, 503, False, "the model failed to load"),
    _http(_E.IMPORT_FAILED, 503, False, "the model failed to load: importing `app.py` raised"),
    _http(_E.INITIALIZE_FAILED, 503, False, "the model failed to load: `initialize()` raised"),
    _http(_E.NO_GPU, 503, False, "`--gpu` was given but the worker sees no CUDA device"),
    _http(_E.INTERNAL_ERROR, 500, False, "a bug in the runtime; the server's log has the details"),
    _http(_E.INVALID_REQUEST, 400, False, "`/v1`: the request does not follow OpenAI's API"),
    _http(
        _E.NO_CONVERSATION_INPUT,
        422,
        False,
        "`/v1`: the model has no input that can take the prompt",
    ),
    _http(
        _E.MISSING_INPUTS,
        422,
        False,
        "`/v1`: the model requires inputs an OpenAI request does not fill",
    ),
    _http(
        _E.INVALID_INPUT,
        422,
        False,
        "`/v1`: an extra body field's value does not fit its input's datatype",
    ),
)
CATALOGUE: dict[ErrorCode, ErrorSpec] = {spec.code: spec for spec in _SPECS}


def known_code(value: object) -> ErrorCode | None:
    """The catalogued code a payload's ``code`` names, or None (another server's, or none)."""
    try:
        return ErrorCode(value)
    except ValueError:
        return None


def error_payload(code: ErrorCode, message: str, retryable: bool | None = None) -> dict[str, Any]:
    """An in-band error: ``{"code", "message", "retryable"}`` (retryable from the catalogue).

    Pass ``retryable`` only where the sender knows better for this case.
    """
    if retryable is None:
        retryable = CATALOGUE[code].retryable
    return {"code": code.value, "message": message, "retryable": retryable}


def http_error_body(
    code: ErrorCode, message: str, details: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """An HTTP error body: ``{"error": {"code", "message", "details"?}}``."""
    error: dict[str, Any] = {"code": code.value, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


# -- the README table --------------------------------------------------------------------------

BEGIN = "<!-- error-codes:begin (generated by `python -m infer.protocol.error_codes README.md`) -->"
END = "<!-- error-codes:end -->"


def codes_markdown() -> str:
    """Every code as a Markdown table: code, how it is sent, retryable, meaning."""
    rows = ["| code | sent as | retryable | meaning |", "| --- | --- | --- | --- |"]
    for spec in CATALOGUE.values():
        retryable = "yes" if spec.retryable else "no"
        meaning = spec.meaning.replace("|", "\\|")
        rows.append(f"| `{spec.code.value}` | {spec.sent_as} | {retryable} | {meaning} |")
    return "\n".join(rows)


def with_code_table(text: str) -> str:
    """``text`` with the block between the markers replaced by the current table."""
    return with_block(text, BEGIN, END, codes_markdown())


def main(argv: list[str]) -> int:
    """Rewrite the table in each file named."""
    return rewrite_files(argv, with_code_table)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
