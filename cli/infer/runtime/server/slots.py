"""Admission control: `concurrency` requests run, a bounded queue waits, the rest get 503.

At shutdown the slots close: every waiter is woken with SlotsClosedError at once (it answers
503, never a late admission), and nobody is admitted afterwards.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
from collections import deque


class QueueFullError(Exception):
    """No slot is free and the waiting queue is full (or the wait timed out)."""


class SlotsClosedError(Exception):
    """The server is shutting down: nobody is admitted any more."""


class Slots:
    """A FIFO semaphore with a bounded waiting line that can be closed."""

    def __init__(self, concurrency: int, queue_size: int) -> None:
        self.concurrency = concurrency
        self._queue_size = queue_size
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.running = 0
        self.closed = False

    @property
    def waiting(self) -> int:
        """Requests waiting in line for a slot."""
        return sum(1 for waiter in self._waiters if not waiter.done())

    async def acquire(self, timeout: float) -> None:
        """Take a slot, waiting in line at most ``timeout`` seconds."""
        if self.closed:
            raise SlotsClosedError()
        if self.running < self.concurrency and not self._waiters:
            self.running += 1
            return
        if len(self._waiters) >= self._queue_size:
            raise QueueFullError()
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), timeout)
        except (asyncio.TimeoutError, asyncio.CancelledError) as error:
            self._give_up(waiter)
            if isinstance(error, asyncio.TimeoutError):
                raise QueueFullError() from None
            raise

    def _give_up(self, waiter: asyncio.Future[None]) -> None:
        # The slot may have been handed over in the same instant the wait ended: pass it on.
        if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
            self.release()
        else:
            waiter.cancel()
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def release(self) -> None:
        """Give a slot back: straight to the first waiter, if any."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot changes hands; `running` stays the same
                return
        self.running -= 1

    def close(self) -> int:
        """Admit nobody from now on; wake every waiter with SlotsClosedError. Returns how many."""
        self.closed = True
        woken = 0
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(SlotsClosedError())
                woken += 1
        return woken


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
