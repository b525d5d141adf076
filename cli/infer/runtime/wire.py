"""The framing between the server and the worker: a 9-byte header, then the payload.

Payloads are JSON, except model events, which the worker serialises once so the server can
frame them as SSE without parsing them again.

Used by both processes: the only runtime module the server and the worker share.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from enum import IntEnum

HEADER = struct.Struct("<BII")  # kind, request number, payload length
MAX_PAYLOAD = 256 * 1024 * 1024


class Kind(IntEnum):
    """What a frame carries."""

    # worker -> server
    HELLO = 1  # {"streaming", "inputs", "pid"}: the user's modules imported
    READY = 2  # initialize() returned
    INIT_FAILED = 3  # {"code", "message", "fatal"}
    EVENT = 4  # one streamed event: the JSON of the model's dict
    RESULT = 5  # a non-streaming answer: {"outputs": [...]}
    DONE = 6  # {"auto_finalised": bool}: the request ended well
    ERROR = 7  # {"code", "message", "retryable"}: the request ended badly
    SWAPPED = 8  # {"ms", "inputs"}: new requests run app.py's new code (see code_swap.py)
    SWAP_FAILED = 9  # {"message", "restart"}: the old code still serves
    # server -> worker
    INFER = 20  # {"inputs": {...}}
    CANCEL = 21  # stop this request: its next send_streamed_output raises
    SHUTDOWN = 22  # run finalize() and exit
    SWAP = 23  # re-import app.py, keep the instance's state, skip initialize()


def encode(kind: Kind, request: int, payload: bytes = b"") -> bytes:
    """One frame."""
    return HEADER.pack(kind, request, len(payload)) + payload


class FrameDecoder:
    """Turns a byte stream into frames, however the bytes are split across reads."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> Iterator[tuple[int, int, bytes]]:
        """Every complete frame in the bytes seen so far, as (kind, request, payload)."""
        buffer = self._buffer
        buffer += data
        position = 0
        size = len(buffer)
        header_size = HEADER.size
        unpack = HEADER.unpack_from
        while size - position >= header_size:
            kind, request, length = unpack(buffer, position)
            if length > MAX_PAYLOAD:
                raise ValueError(f"frame of {length} bytes exceeds the limit")
            end = position + header_size + length
            if end > size:
                break
            yield kind, request, bytes(buffer[position + header_size : end])
            position = end
        if position:
            del buffer[:position]
