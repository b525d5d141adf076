"""Bounds on what a client can make the server hold or write: bodies, JSON depth, messages.

Every check runs before the expensive step it guards: the body's size while it arrives, its
nesting depth before ``json.loads`` (which recurses once per level), and an error's size
before it is serialised or logged.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from infer.protocol.error_codes import ErrorCode
from infer.protocol.message_caps import MAX_MESSAGE_CHARS, cap_text

if TYPE_CHECKING:  # imported where a request arrives; starlette is loaded by then anyway
    from starlette.requests import Request

    from infer.runtime.server.config import ServeConfig

_NOT_STRUCTURE = bytes(c for c in range(256) if c not in b'"[]{}')
_TO_PARENS = bytes.maketrans(b"[]{}", b"()()")


class BodyError(Exception):
    """A request body the server will not parse: ``status``, ``code`` and what to do."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def nests_deeper_than(body: bytes, max_depth: int) -> bool:
    """Whether ``body`` nests arrays/objects more than ``max_depth`` deep (strings ignored).

    Every step is a C-speed pass over bytes, never a Python loop per byte: escaped backslashes
    and quotes go first, so every quote left delimits a string; what lies between quote pairs
    is dropped; brackets become ``(`` and ``)``; each pass deletes the innermost ``()`` pairs,
    so the nesting drops by at least one per pass. A run of ``max_depth + 1`` openers, or
    pairs still left after ``max_depth`` passes, means too deep. Invalid JSON may be called
    too deep here; it would be refused either way.
    """
    if body.count(b"[") + body.count(b"{") <= max_depth:
        return False  # cannot be deeper than the number of brackets it has
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside_strings = b"".join(unescaped.translate(None, _NOT_STRUCTURE).split(b'"')[::2])
    parens = outside_strings.translate(_TO_PARENS)
    too_many_openers = b"(" * (max_depth + 1)
    for _ in range(max_depth):
        if too_many_openers in parens:
            return True
        shorter = parens.replace(b"()", b"")
        if shorter == parens:
            return False  # no pairs left: only unmatched brackets, which json.loads refuses
        parens = shorter
    return b"()" in parens or too_many_openers in parens


def check_json_depth(body: bytes, max_depth: int) -> None:
    """Raise BodyError (400 ``json_too_deep``) if ``body`` nests deeper than ``max_depth``."""
    if nests_deeper_than(body, max_depth):
        raise BodyError(
            400,
            ErrorCode.JSON_TOO_DEEP,
            f"the request body nests arrays/objects more than {max_depth} levels deep",
        )


async def read_request_json(request: Request, config: ServeConfig) -> Any:
    """The request's JSON body within ``config``'s size, depth and time limits (or BodyError)."""
    return await read_json_body(
        request.stream(),
        request.headers.get("content-length"),
        max_bytes=config.max_body_bytes,
        max_depth=config.max_json_depth,
        timeout_s=config.body_timeout_s,
        max_inputs=config.max_inputs,
    )


async def read_json_body(
    chunks: AsyncIterator[bytes],
    declared_length: str | None,
    *,
    max_bytes: int,
    max_depth: int,
    timeout_s: float,
    max_inputs: int = 256,
) -> Any:
    """Read and parse a JSON body within its size, depth and time limits, or raise BodyError."""
    if declared_length and declared_length.isdigit() and int(declared_length) > max_bytes:
        raise _too_large(max_bytes)
    try:
        body = await asyncio.wait_for(_collect(chunks, max_bytes), timeout_s)
    except asyncio.TimeoutError:
        raise BodyError(
            408, ErrorCode.BODY_TIMEOUT, f"the request body did not arrive within {timeout_s:g} s"
        ) from None
    # Parsed on the event loop: a thread would not help (json.loads holds the GIL), and every
    # step is C-speed, ~10 ms per MiB.
    parsed = _parse(body, max_depth)
    check_input_count(parsed, max_inputs)
    return parsed


async def _collect(chunks: AsyncIterator[bytes], max_bytes: int) -> bytes:
    from starlette.requests import ClientDisconnect

    body = bytearray()
    try:
        async for chunk in chunks:
            body += chunk
            if len(body) > max_bytes:
                raise _too_large(max_bytes)
    except ClientDisconnect:  # nobody will read the answer; it only must not be a 500
        raise BodyError(
            400, ErrorCode.BODY_INCOMPLETE, "the client left before sending its body"
        ) from None
    return bytes(body)


def _too_large(max_bytes: int) -> BodyError:
    return BodyError(413, ErrorCode.BODY_TOO_LARGE, f"the request body is over {max_bytes} bytes")


def _parse(body: bytes, max_depth: int) -> Any:
    check_json_depth(body, max_depth)
    try:
        return json.loads(body)
    except RecursionError:  # an unterminated string hid brackets from the depth check
        raise BodyError(
            400, ErrorCode.JSON_TOO_DEEP, f"the request body nests deeper than {max_depth} levels"
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        detail = cap_text(str(error), 200)
        raise BodyError(
            400, ErrorCode.INVALID_JSON, f"the request body is not valid JSON: {detail}"
        ) from None


def check_input_count(body: Any, max_inputs: int) -> None:
    """Raise BodyError (400 ``too_many_inputs``) if a v2 body lists more than ``max_inputs``.

    Checked before each input is validated (with "did you mean" suggestions for each unknown
    name), which is what would otherwise cost time in proportion to a hostile list's length.
    """
    entries = body.get("inputs") if isinstance(body, dict) else None
    if isinstance(entries, list) and len(entries) > max_inputs:
        raise BodyError(
            400,
            ErrorCode.TOO_MANY_INPUTS,
            f"the request lists {len(entries)} inputs; the limit is {max_inputs}",
        )


def cap_error_body(body: dict[str, Any], limit: int = MAX_MESSAGE_CHARS) -> dict[str, Any]:
    """An error body whose JSON stays within about ``limit`` characters.

    The message is cut, and ``details`` keeps only the entries that fit, with
    ``details_omitted`` saying how many were dropped.
    """
    capped = {key: value for key, value in body.items() if key != "details"}
    capped["message"] = cap_text(str(body.get("message", "")), limit // 2)
    details = body.get("details")
    if not details:
        return capped
    budget = limit - len(json.dumps(capped))
    kept: list[Any] = []
    for entry in details:
        entry = {key: cap_text(str(value), 512) for key, value in entry.items()}
        size = len(json.dumps(entry)) + 2
        if size > budget:
            break
        kept.append(entry)
        budget -= size
    capped["details"] = kept
    if len(kept) < len(details):
        capped["details_omitted"] = len(details) - len(kept)
    return capped
