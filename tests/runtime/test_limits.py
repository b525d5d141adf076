"""Bounds on bodies, JSON depth, error bodies and log lines, and the connection cap (in process)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import resource
from collections.abc import AsyncIterator

import pytest

from infer.protocol.message_caps import MAX_MESSAGE_CHARS, CappedLogFilter, cap_text
from infer.runtime.server.connections import FD_RESERVE, connection_cap, raise_fd_limit
from infer.runtime.server.limits import BodyError, cap_error_body, nests_deeper_than, read_json_body
from infer.runtime.server.slots import QueueFullError, Slots, SlotsClosedError
from infer.runtime.worker.outputs import finite_json


@pytest.mark.parametrize(
    ("body", "deeper"),
    [
        (b"[" * 100_000, True),
        (b"[" * 65 + b"]" * 65, True),
        (b"[" * 64 + b"]" * 64, False),
        (b"[1," * 70 + b"]" * 70, True),
        (b'{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),
        (b'{"a": "\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}', False),
        (b"[]" * 10_000, False),
        (b'["\\\\", ' + b"[" * 70 + b"]" * 70 + b"]", True),
        (b'["\\\\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]', False),
        (b'{"inputs": [{"name": "x", "data": [[1, 2], [3, 4]]}]}', False),
    ],
)
def test_nesting_depth_is_measured_outside_strings(body: bytes, deeper: bool) -> None:
    assert nests_deeper_than(body, 64) is deeper


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _read(*parts: bytes, declared: str | None = None, max_bytes: int = 2000) -> object:
    return asyncio.run(
        read_json_body(_chunks(*parts), declared, max_bytes=max_bytes, max_depth=64, timeout_s=5)
    )


def test_bodies_are_refused_by_size_depth_and_syntax_with_clear_codes() -> None:
    assert _read(b'{"a": ', b"[1]}") == {"a": [1]}
    cases = [
        ((b"x" * 1200, b"x" * 1200), None, 413, "body_too_large"),
        ((b"{}",), "5000", 413, "body_too_large"),
        ((b"[" * 900,), None, 400, "json_too_deep"),
        ((b"{nope",), None, 400, "invalid_json"),
        ((b"\xff\xfe",), None, 400, "invalid_json"),
        ((b'{"inputs": [' + b",".join([b"{}"] * 300) + b"]}",), None, 400, "too_many_inputs"),
    ]
    for parts, declared, status, code in cases:
        with pytest.raises(BodyError) as caught:
            _read(*parts, declared=declared)
        assert (caught.value.status, caught.value.code) == (status, code)


def test_a_slow_body_times_out_with_408() -> None:
    async def slow() -> AsyncIterator[bytes]:
        yield b"{"
        await asyncio.sleep(10)

    async def main() -> None:
        await read_json_body(slow(), None, max_bytes=100, max_depth=8, timeout_s=0.2)

    with pytest.raises(BodyError) as caught:
        asyncio.run(main())
    assert (caught.value.status, caught.value.code) == (408, "body_timeout")


def test_error_bodies_are_capped_with_a_count_of_what_was_left_out() -> None:
    details = [{"name": f"input{i}", "message": "x" * 300} for i in range(10_000)]
    body = cap_error_body({"code": "invalid_inputs", "message": "y" * 100_000, "details": details})
    encoded = json.dumps(body)
    assert len(encoded) <= MAX_MESSAGE_CHARS + 200
    assert body["message"].endswith("more characters omitted]")
    assert body["details_omitted"] == 10_000 - len(body["details"])
    assert len(body["details"]) > 5
    small = {"code": "x", "message": "fine", "details": [{"name": "a", "message": "b"}]}
    assert cap_error_body(small) == small


def test_log_lines_are_capped() -> None:
    record = logging.LogRecord("infer", logging.INFO, "f", 1, "value %s", ("z" * 50_000,), None)
    assert CappedLogFilter().filter(record)
    message = record.getMessage()
    assert len(message) < MAX_MESSAGE_CHARS + 100
    assert message.endswith(
        f"[{len('value ') + 50_000 - MAX_MESSAGE_CHARS} more characters omitted]"
    )
    assert cap_text("short") == "short"


def test_non_finite_floats_become_strings_that_strict_json_accepts() -> None:
    value = finite_json([{"a": math.nan, "b": [math.inf, -math.inf, 1.5]}])
    assert value == [{"a": "NaN", "b": ["Infinity", "-Infinity", 1.5]}]
    json.dumps(value, allow_nan=False)


def test_the_connection_cap_stays_below_the_file_limit() -> None:
    assert connection_cap(1024, 1024) == 1024 - FD_RESERVE
    assert connection_cap(100, 65536) == 100
    assert connection_cap(5000, 10) == 1
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    now = raise_fd_limit(soft)  # never lowers, never fails
    assert now >= soft
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[1] == hard


def test_closing_the_slots_wakes_every_waiter_and_admits_nobody() -> None:
    async def main() -> None:
        slots = Slots(concurrency=1, queue_size=2)
        await slots.acquire(timeout=1)
        waiters = [asyncio.create_task(slots.acquire(timeout=30)) for _ in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(QueueFullError):
            await slots.acquire(timeout=1)
        assert slots.waiting == 2
        assert slots.close() == 2
        for waiter in waiters:
            with pytest.raises(SlotsClosedError):
                await waiter
        with pytest.raises(SlotsClosedError):
            await slots.acquire(timeout=1)

    asyncio.run(main())


def test_a_released_slot_goes_to_the_first_waiter_and_timeouts_leak_nothing() -> None:
    async def main() -> None:
        slots = Slots(concurrency=1, queue_size=4)
        await slots.acquire(timeout=1)
        with pytest.raises(QueueFullError):
            await slots.acquire(timeout=0.01)  # timed out in line
        first = asyncio.create_task(slots.acquire(timeout=5))
        await asyncio.sleep(0.01)
        slots.release()
        await first
        assert slots.running == 1
        slots.release()
        assert slots.running == 0
        assert slots.waiting == 0

    asyncio.run(main())
