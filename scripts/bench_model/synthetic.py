"""The synthetic workload both benchmark servers run: a generator thread produces N small
tokens (optionally `interval` seconds apart) into a queue, as transformers' TextIteratorStreamer
does, and the request thread turns each into an event dict."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator

_END = object()


def tokens(count: int, interval_s: float) -> Iterator[dict[str, str]]:
    """Yield ``count`` events ``{"OUT": "tok123 "}`` from a producer thread."""
    pipe: queue.Queue[object] = queue.Queue()

    def produce() -> None:
        next_at = time.perf_counter()
        for index in range(count):
            if interval_s:
                next_at += interval_s
                delay = next_at - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            pipe.put(f"tok{index} ")
        pipe.put(_END)

    threading.Thread(target=produce, daemon=True).start()
    while (item := pipe.get()) is not _END:
        yield {"OUT": str(item)}
