"""A model replica: the user's app.py loaded once, requests run by the local runtime's Worker.

The same ``Worker`` that runs requests in `infer serve`'s worker process runs them here, with
the same stream handler, error codes and auto-finalising; only its outbox differs. Instead of
writing frames to a socket, it hands them to the replica's event loop, where each request's
generator yields them to the gateway in batches (one Ray message per batch, not per event).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from infer.engines.ray.logs import show_infer_logs
from infer.runtime.wire import Kind
from infer.runtime.worker.loader import LoadedModel, load_model
from infer.runtime.worker.process import Outbox, Worker

Frame = tuple[int, bytes]
TERMINAL = frozenset({Kind.DONE, Kind.ERROR, Kind.RESULT})


class LoopOutbox(Outbox):
    """Frames from model threads to per-request queues on the replica's event loop.

    Threads append under a lock; the first append after a drain schedules one drain on the
    loop, so a burst of events costs one loop wake-up.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:  # no socket, no writer thread
        self._loop = loop
        self._lock = threading.Lock()
        self._frames: list[tuple[int, int, bytes]] = []
        self._scheduled = False
        self.queues: dict[int, asyncio.Queue[list[Frame]]] = {}

    def put(self, kind: Kind, request: int, payload: bytes = b"") -> None:
        """Queue one frame for the request's generator (called from any thread)."""
        with self._lock:
            self._frames.append((int(kind), request, payload))
            if self._scheduled:
                return
            self._scheduled = True
        self._loop.call_soon_threadsafe(self._drain)

    def close(self) -> None:
        """Nothing to flush: frames for requests nobody reads are dropped."""

    def _drain(self) -> None:
        with self._lock:
            pending, self._frames = self._frames, []
            self._scheduled = False
        batches: dict[int, list[Frame]] = {}
        for kind, request, payload in pending:
            batches.setdefault(request, []).append((kind, payload))
        for request, frames in batches.items():
            queue = self.queues.get(request)
            if queue is not None:
                queue.put_nowait(frames)


class ModelReplica:
    """One copy of the model; Ray Serve runs as many as the deployment asks for."""

    def __init__(self, repo: str, gpu: bool = False, log_level: str = "info") -> None:
        show_infer_logs(log_level)
        # An empty repo means the runtime env's working_dir: the repo shipped to the cluster.
        path = Path(repo).resolve() if repo else Path.cwd()
        if not gpu:
            os.environ["CUDA_VISIBLE_DEVICES"] = ""  # as in `infer serve`: CPU runs are honest
        # Ray Serve runs constructors off the replica's event loop, so this may block.
        os.chdir(path)
        self._model: LoadedModel = load_model(path)
        self._model.instance.initialize()
        self._outbox: LoopOutbox | None = None
        self._worker: Worker | None = None
        self._next_request = 0

    def _started(self) -> tuple[LoopOutbox, Worker]:
        # The outbox needs the loop requests run on, which the constructor does not see.
        if self._outbox is None or self._worker is None:
            self._outbox = LoopOutbox(asyncio.get_running_loop())
            self._worker = Worker(self._model, self._outbox)
        return self._outbox, self._worker

    def describe(self) -> dict[str, Any]:
        """What the gateway needs to validate requests, and where this replica runs."""
        return {
            "streaming": self._model.streaming,
            "inputs": [spec.to_metadata() for spec in self._model.inputs],
            "pid": os.getpid(),
            "niceness": os.nice(0),
            "node_id": _node_id(),
        }

    async def run(self, inputs: dict[str, Any]) -> AsyncIterator[list[Frame]]:
        """Run one request; yields its frames in batches, the last batch ending in a terminal.

        Cancelling the caller's generator (a client that went away) cancels this one, and the
        model's next send_streamed_output raises.
        """
        outbox, worker = self._started()
        self._next_request += 1
        request = self._next_request
        queue: asyncio.Queue[list[Frame]] = asyncio.Queue()
        outbox.queues[request] = queue
        worker.start(request, json.dumps({"inputs": inputs}).encode())
        ended = False
        try:
            while not ended:
                batch = await queue.get()
                while not queue.empty():
                    batch += queue.get_nowait()
                ended = any(kind in TERMINAL for kind, _ in batch)
                yield batch
        finally:
            outbox.queues.pop(request, None)
            if not ended:
                worker.cancel(request)

    def __del__(self) -> None:
        # Ray Serve calls this once ongoing requests drained (or the grace passed), off the
        # replica's event loop: blocking here (up to the worker's own grace) is fine.
        if self._worker is not None:
            self._worker.shutdown()
        else:
            self._model.call_finalize()


def _node_id() -> str:
    import ray

    # Outside a Ray worker (tests) there is no node, and asking would start Ray.
    return str(ray.get_runtime_context().get_node_id()) if ray.is_initialized() else ""
