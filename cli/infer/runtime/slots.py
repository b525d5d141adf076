"""Admission control: `concurrency` requests run, a bounded queue waits, the rest get 503."""

from __future__ import annotations

import asyncio


class QueueFullError(Exception):
    """No slot is free and the waiting queue is full."""


class Slots:
    """A semaphore with a bounded waiting line."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        self._semaphore = asyncio.Semaphore(concurrency)
        self._queue_size = queue_size
        self._waiting = 0
        self.running = 0

    async def acquire(self, timeout: float) -> None:
        """Take a slot, waiting in line at most ``timeout`` seconds."""
        if not self._semaphore.locked():
            await self._semaphore.acquire()  # free now: skip wait_for's extra task
            self.running += 1
            return
        if self._waiting >= self._queue_size:
            raise QueueFullError()
        self._waiting += 1
        try:
            await asyncio.wait_for(self._semaphore.acquire(), timeout)
        except asyncio.TimeoutError:
            raise QueueFullError() from None
        finally:
            self._waiting -= 1
        self.running += 1

    def release(self) -> None:
        """Give a slot back."""
        self.running -= 1
        self._semaphore.release()


class Slot:
    """One taken slot that is given back exactly once, whoever gives it back first."""

    def __init__(self, slots: Slots) -> None:
        self._slots = slots
        self._held = True

    def release(self) -> None:
        """Give it back (idempotent)."""
        if self._held:
            self._held = False
            self._slots.release()
