"""Admission control (runtime/server/slots.py) at its exact bounds: `concurrency` run, at most
`queue_size` wait, the next is refused at once (not after its wait runs out), slots pass in
arrival order, and a Slot given back twice frees one place."""

from __future__ import annotations

import asyncio

import pytest

from infer.runtime.server.slots import QueueFullError, Slot, Slots

LONG_WAIT_S = 30.0  # never reached: every wait here ends by a release, a refusal or a close


async def _settle() -> None:
    """Let every task that can run do so."""
    for _ in range(5):
        await asyncio.sleep(0)


def test_concurrency_run_queue_size_wait_and_the_next_is_refused_at_once() -> None:
    async def main() -> None:
        slots = Slots(concurrency=2, queue_size=1)
        await slots.acquire(LONG_WAIT_S)
        await slots.acquire(LONG_WAIT_S)
        assert (slots.running, slots.waiting) == (2, 0)
        queued = asyncio.create_task(slots.acquire(LONG_WAIT_S))
        refused = asyncio.create_task(slots.acquire(LONG_WAIT_S))
        await _settle()
        assert not queued.done(), "the request within the queue bound was not queued"
        assert refused.done(), (
            f"with {slots.running} running and {slots.waiting} waiting (queue_size 1), one "
            "more request was queued instead of refused"
        )
        assert isinstance(refused.exception(), QueueFullError)
        assert (slots.running, slots.waiting) == (2, 1)
        slots.release()
        await queued
        assert (slots.running, slots.waiting) == (2, 0)
        slots.close()

    asyncio.run(main())


def test_released_slots_go_to_waiters_in_arrival_order() -> None:
    async def main() -> None:
        slots = Slots(concurrency=1, queue_size=3)
        await slots.acquire(LONG_WAIT_S)
        admitted: list[int] = []

        async def wait_in_line(number: int) -> None:
            await slots.acquire(LONG_WAIT_S)
            admitted.append(number)

        tasks = [asyncio.create_task(wait_in_line(n)) for n in range(3)]
        await _settle()
        for expected in ([0], [0, 1], [0, 1, 2]):
            slots.release()
            await _settle()
            assert admitted == expected
        await asyncio.gather(*tasks)
        assert slots.running == 1
        slots.release()
        assert slots.running == 0

    asyncio.run(main())


def test_a_slot_given_back_twice_frees_one_place() -> None:
    async def main() -> None:
        slots = Slots(concurrency=2, queue_size=0)
        await slots.acquire(LONG_WAIT_S)
        await slots.acquire(LONG_WAIT_S)
        slot = Slot(slots)
        slot.release()
        slot.release()
        assert slots.running == 1, f"two releases of one Slot left {slots.running} running"

    asyncio.run(main())


def test_a_cancelled_waiter_leaves_the_line() -> None:
    async def main() -> None:
        slots = Slots(concurrency=1, queue_size=1)
        await slots.acquire(LONG_WAIT_S)
        waiter = asyncio.create_task(slots.acquire(LONG_WAIT_S))
        await _settle()
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        assert slots.waiting == 0
        slots.release()
        assert slots.running == 0  # the cancelled waiter was not handed the slot

    asyncio.run(main())
