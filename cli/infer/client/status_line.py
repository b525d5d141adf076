"""One self-updating line on a terminal while nothing has arrived yet: what we are waiting for
(the server to start, the model to load, a slot, the first event) and for how long."""

from __future__ import annotations

import threading
import time
from typing import TextIO

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
CLEAR = "\r\x1b[2K"


class StatusLine:
    """Redraws ``label + elapsed`` every ``interval`` s on ``out`` until cleared for good."""

    def __init__(self, out: TextIO, interval: float = 0.1) -> None:
        self.out = out
        self.interval = interval
        self.started = time.monotonic()
        self.lock = threading.Lock()  # writers to the same terminal take it too
        self._label: str | None = None
        self._drawn = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def set(self, label: str | None) -> None:
        """Show ``label`` (None: clear the line; it returns if set again)."""
        with self.lock:
            self._label = label
            if label is None:
                self._clear()
            else:
                self._draw()

    def close(self) -> None:
        """Clear the line and stop redrawing."""
        self._done.set()
        self._thread.join(timeout=1)
        self.set(None)

    def _run(self) -> None:
        while not self._done.wait(self.interval):
            with self.lock:
                if self._label is not None:
                    self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self.started
        frame = FRAMES[int(elapsed / self.interval) % len(FRAMES)]
        self.out.write(f"{CLEAR}{frame} {self._label} · {elapsed:.1f} s")
        self.out.flush()
        self._drawn = True

    def _clear(self) -> None:
        if self._drawn:
            self.out.write(CLEAR)
            self.out.flush()
            self._drawn = False
