"""The server's state: the worker, the streams, the slots, and the rules that tie them.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import logging
import time

from infer.runtime.server.config import ServeConfig
from infer.runtime.server.slots import Slot, Slots
from infer.runtime.server.sse.streams import Stream, StreamRegistry
from infer.runtime.server.supervisor import WorkerSupervisor

log = logging.getLogger("infer.serve")


class Runtime:
    """The server's state: the worker, the streams, the slots, and the rules that tie them."""

    def __init__(self, config: ServeConfig) -> None:
        self.config = config
        self.supervisor = WorkerSupervisor(
            config.repo,
            config.gpu,
            config.log_level,
            drain_timeout_s=config.inference_time_s,
            worker=config.worker,
            exit_on_failure=not config.reload,
        )
        self.registry = StreamRegistry(config.replay_capacity, config.keep_finished_s)
        self.slots = Slots(config.concurrency, config.queue_size)
        self._slots_by_stream: dict[str, Slot] = {}
        self._detach_timers: dict[str, asyncio.TimerHandle] = {}
        self._background: set[asyncio.Task[None]] = set()
        self.shutting_down = False
        self.shutdown_started: float | None = None

    # -- stream life cycle ------------------------------------------------------------------

    def hold_slot(self, stream: Stream, slot: Slot) -> None:
        """The stream owns ``slot`` until it ends (or is preempted)."""
        self._slots_by_stream[stream.id] = slot

    def reattach(self, stream: Stream) -> None:
        """A reader resumed: the stream is no longer due to be cancelled."""
        timer = self._detach_timers.pop(stream.id, None)
        if timer is not None:
            timer.cancel()

    def on_detach(self, stream: Stream) -> None:
        """The last reader left a live stream: keep it resumable for a grace period."""
        stream.detached_at = time.perf_counter()
        loop = asyncio.get_running_loop()
        self._detach_timers[stream.id] = loop.call_later(
            self.config.resume_grace_s, self._cancel_if_detached, stream
        )

    def _cancel_if_detached(self, stream: Stream) -> None:
        self._detach_timers.pop(stream.id, None)
        if stream.readers == 0 and not stream.ended:
            self.cancel_stream(stream, "cancelled", "the client disconnected", retryable=False)

    def preempt_detached(self) -> None:
        """Someone is waiting for a slot: cancel streams nobody reads any more, now."""
        for stream in self.registry.live():
            if stream.readers == 0 and stream.detached_at is not None:
                self.cancel_stream(stream, "cancelled", "the client disconnected", retryable=False)

    def cancel_stream(self, stream: Stream, code: str, message: str, retryable: bool) -> None:
        """End the stream in-band, stop the model's generation, free the slot at once."""
        stream.fail(code, message, retryable)
        self.abandon(stream.request_no)

    def abandon(self, request: int) -> None:
        """Cancel a request in the worker; restart the worker if it ignores that too long."""
        if not self.supervisor.abandon(request):
            return

        # A model that never calls send_streamed_output again cannot see the cancellation;
        # past the grace period the only way to free the machine is a fresh worker. The old
        # one drains: healthy streams on it finish there (see supervisor.py).
        async def drain_if_stuck() -> None:
            await asyncio.sleep(self.config.cancel_grace_s)
            if self.supervisor.stuck_on_current_worker(request) and not self.shutting_down:
                await self.supervisor.drain(f"request {request} ignored its cancellation")

        task = asyncio.get_running_loop().create_task(drain_if_stuck())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def on_stream_end(self, stream: Stream) -> None:
        """Free the stream's slot and timers, and log the request line."""
        slot = self._slots_by_stream.pop(stream.id, None)
        if slot is not None:
            slot.release()
        self.reattach(stream)  # drop any pending cancel timer
        end = stream.ended_at or time.perf_counter()
        first = stream.first_event_at or end
        # A stream that timed out before its first event was answered 504, not 200 + events.
        status = 504 if stream.outcome == "inference_timeout" and not stream.events else 200
        log.info(
            "stream %s  %d  events=%d  ttfe=%.1fms  duration=%.1fms  end=%s",
            stream.id,
            status,
            stream.events,
            (first - stream.started) * 1000,
            (end - stream.started) * 1000,
            stream.outcome,
        )

    def begin_shutdown(self) -> None:
        """Ctrl-C / SIGTERM: admit nothing more, answer every waiter and end every stream.

        Queued requests get a 503 at once (the slots close), live streams an in-band
        ``server_shutting_down`` event, non-streaming requests in flight a 503; so every
        connection can close long before the shutdown grace runs out. Idempotent.
        """
        if self.shutting_down:
            return
        self.shutting_down = True
        self.shutdown_started = time.monotonic()
        queued = self.slots.close()
        live = self.registry.live()
        for stream in live:
            stream.fail("server_shutting_down", "the server is shutting down", retryable=True)
        self.supervisor.fail_all("server_shutting_down", "the server is shutting down", True)
        log.info(
            "shutting down: %d live stream(s) ended in-band, %d queued request(s) refused",
            len(live),
            queued,
        )

    def shutdown_time_left(self) -> float:
        """Seconds left of ``--shutdown-grace`` (the whole grace if shutdown has not begun)."""
        grace = self.config.shutdown_grace_s
        if self.shutdown_started is None:
            return grace
        return max(0.0, grace - (time.monotonic() - self.shutdown_started))
