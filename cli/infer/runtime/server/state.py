"""The server's state: the worker, the streams, the slots, and the rules that tie them.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from infer.protocol.error_codes import ErrorCode
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.slots import Slot, Slots
from infer.runtime.server.sse.streams import Stream, StreamRegistry
from infer.runtime.server.supervisor import Call, WorkerSupervisor
from infer.runtime.server.worker_state import WorkerState

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

    # -- what the routes use (README "infer serve"; docs in admission.py) ----------------------

    @property
    def worker_state(self) -> WorkerState:
        """What the server knows of its worker: phase, failure, inputs, streaming."""
        return self.supervisor.state

    async def take_slot(self) -> Slot:
        """A slot for one request, waiting in the queue (SlotsClosedError, QueueFullError).

        Someone waiting makes streams nobody reads any more give their slots up first.
        """
        if self.slots.running >= self.config.concurrency:
            self.preempt_detached()
            await asyncio.sleep(0)
        await self.slots.acquire(timeout=self.config.inference_time_s)
        return Slot(self.slots)

    def submit(self, inputs: dict[str, Any], call: Call) -> int:
        """Send one admitted request to the worker; its frames go to ``call``."""
        return self.supervisor.submit(inputs, call)

    def open_stream(self, inputs: dict[str, Any], slot: Slot, remaining: float) -> Stream:
        """Start a generation as a stream that owns ``slot`` and ends at ``remaining`` seconds.

        The v2 and the OpenAI routes both start streams this way.
        """
        stream = self.registry.create()
        self.hold_slot(stream, slot)
        stream.request_no = self.submit(inputs, stream)
        stream.on_end(self.on_stream_end)
        deadline = asyncio.get_running_loop().call_later(remaining, self._on_deadline, stream)
        stream.on_end(lambda _: deadline.cancel())
        return stream

    def _on_deadline(self, stream: Stream) -> None:
        seconds = self.config.inference_time_s
        self.cancel_stream(
            stream,
            ErrorCode.INFERENCE_TIMEOUT,
            f"the request took longer than inference_time ({seconds:g} s)",
        )

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
            self.cancel_stream(stream, ErrorCode.CANCELLED, "the client disconnected")

    def preempt_detached(self) -> None:
        """Someone is waiting for a slot: cancel streams nobody reads any more, now."""
        for stream in self.registry.live():
            if stream.readers == 0 and stream.detached_at is not None:
                self.cancel_stream(stream, ErrorCode.CANCELLED, "the client disconnected")

    def cancel_stream(self, stream: Stream, code: ErrorCode, message: str) -> None:
        """End the stream in-band, stop the model's generation, free the slot at once."""
        stream.fail(code, message)
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
        timed_out = stream.outcome == ErrorCode.INFERENCE_TIMEOUT.value
        status = 504 if timed_out and not stream.events else 200
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
        message = "the server is shutting down"
        for stream in live:
            stream.fail(ErrorCode.SERVER_SHUTTING_DOWN, message)
        self.supervisor.fail_all(ErrorCode.SERVER_SHUTTING_DOWN, message)
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
