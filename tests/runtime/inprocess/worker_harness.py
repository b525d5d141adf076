"""The real worker loop (``serve_forever``) in a thread of the test process, on one end of a
socketpair; the test plays the server on the other end, frame by frame (wire.py)."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path
from typing import Any

from infer.runtime.wire import FrameDecoder, Kind, encode
from infer.runtime.worker import process

Frame = tuple[Kind, int, bytes]
# The modules loading a model adds to the importing process, for a test to take out again.
MODEL_MODULES = ("app", "input_schema", "inferless")
WORKER_THREADS = ("infer-request", "infer-outbox", "worker-under-test")


class WorkerUnderTest:
    """``serve_forever(repo)`` running in a thread; ``frame()`` reads what it sends."""

    def __init__(self, repo: Path, gpu: bool = False) -> None:
        self.server_end, self.worker_end = socket.socketpair()
        self.server_end.settimeout(10)
        self.exit_code: int | None = None
        self.exits: list[str] = []  # reasons given to _exit_after (never a real os._exit)
        self._decoder = FrameDecoder()
        self._frames: list[Frame] = []

        def run() -> None:
            self.exit_code = process.serve_forever(self.worker_end, repo, gpu)

        self.thread = threading.Thread(target=run, name="worker-under-test", daemon=True)
        self.thread.start()

    def send(self, kind: Kind, request: int = 0, data: dict[str, Any] | None = None) -> None:
        """Send one command frame, its payload ``data`` as JSON."""
        payload = json.dumps(data).encode() if data is not None else b""
        self.server_end.sendall(encode(kind, request, payload))

    def infer(self, request: int, **inputs: Any) -> None:
        """Send an INFER with ``inputs`` (already typed, as the server sends them)."""
        self.send(Kind.INFER, request, {"inputs": inputs})

    def frame(self) -> Frame:
        """The next frame the worker sent (waiting up to 10 s)."""
        while not self._frames:
            data = self.server_end.recv(1 << 16)
            if not data:
                raise AssertionError("the worker closed its socket")
            self._frames += [(Kind(k), r, p) for k, r, p in self._decoder.feed(data)]
        return self._frames.pop(0)

    def expect(self, kind: Kind, request: int = 0) -> dict[str, Any]:
        """The next frame, which must be ``kind`` for ``request``; its JSON payload."""
        got, number, payload = self.frame()
        assert (got, number) == (kind, request), payload
        return dict(json.loads(payload)) if payload else {}

    def until_terminal(self, request: int) -> tuple[list[bytes], Kind, dict[str, Any]]:
        """The request's EVENT payloads, then its terminal frame's kind and data."""
        events: list[bytes] = []
        while True:
            kind, number, payload = self.frame()
            assert number == request, (kind, number, payload)
            if kind != Kind.EVENT:
                return events, kind, json.loads(payload)
            events.append(payload)

    def ready(self) -> dict[str, Any]:
        """HELLO then READY; the HELLO data."""
        hello = self.expect(Kind.HELLO)
        self.expect(Kind.READY)
        return hello

    def stop(self) -> int | None:
        """SHUTDOWN, then wait for serve_forever to return; its exit code."""
        if self.thread.is_alive():
            with contextlib.suppress(OSError):  # it may have closed its end already
                self.send(Kind.SHUTDOWN)
            self.thread.join(15)
        self.server_end.close()
        assert not self.thread.is_alive(), "serve_forever did not return"
        self.worker_end.close()  # the worker process's exit would have closed it
        return self.exit_code
