"""Real `infer serve` subprocesses for tests, and a small SSE parser for asserting bytes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

MODELS = Path(__file__).parent / "models"
URL_LINE = re.compile(r"on (http://[\d.]+:\d+)")


class ServerProcess:
    """`python -m infer serve` on a free loopback port, its stderr collected line by line."""

    def __init__(
        self,
        repo: Path,
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> None:
        self.repo = repo
        command = [sys.executable, "-m", "infer", "serve", str(repo), "--port", "0", *args]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, **(env or {})},
            preexec_fn=preexec_fn,  # e.g. a lower file limit for the server alone
        )
        self.lines: list[str] = []
        self._seen = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = self.wait_for_line(URL_LINE, timeout=30).group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._seen:
                self.lines.append(line.rstrip("\n"))
                self._seen.notify_all()
        with self._seen:
            self._seen.notify_all()

    def wait_for_line(self, pattern: re.Pattern[str] | str, timeout: float = 30) -> re.Match[str]:
        """The first output line matching ``pattern`` (waiting for it)."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._seen:
            while True:
                for line in self.lines:
                    if match := regex.search(line):
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (
                    self.process.poll() is not None and not self._reader.is_alive()
                ):
                    raise AssertionError(f"no line matching {regex.pattern!r} in:\n" + self.output)
                self._seen.wait(min(remaining, 0.2))

    @property
    def output(self) -> str:
        """Everything the server printed so far."""
        return "\n".join(self.lines)

    def wait_ready(self, timeout: float = 60) -> None:
        """Block until /v2/health/ready answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError("server never became ready:\n" + self.output)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> int:
        """Stop the server the way a user would; returns its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=5)
        return self.process.returncode


@dataclass
class SSEEvent:
    """One parsed SSE event."""

    id: str | None = None
    event: str = "message"
    data: str = ""
    fields: list[str] = field(default_factory=list)

    @property
    def seq(self) -> int:
        """The event's sequence number (ids are ``<stream>:<sequence>``)."""
        assert self.id is not None
        return int(self.id.rpartition(":")[2])


def parse_sse(raw: bytes) -> tuple[list[SSEEvent], list[str]]:
    """Events and comment lines of an SSE byte stream (strictly \\n-framed, as we send it)."""
    events: list[SSEEvent] = []
    comments: list[str] = []
    for block in raw.decode().split("\n\n"):
        if not block:
            continue
        current = SSEEvent()
        has_event = False
        for line in block.split("\n"):
            if line.startswith(":"):
                comments.append(line)
                continue
            name, _, value = line.partition(": ")
            current.fields.append(name)
            if name == "id":
                current.id = value
            elif name == "event":
                current.event = value
            elif name == "data":
                current.data = value
                has_event = True
        if has_event:
            events.append(current)
    return events, comments


def v2_body(**inputs: Any) -> dict[str, Any]:
    """A v2 request body from keyword inputs (str -> BYTES, bool -> BOOL, int -> INT64)."""
    entries = []
    for name, value in inputs.items():
        values = value if isinstance(value, list) else [value]
        sample = values[0]
        datatype = (
            "BOOL"
            if isinstance(sample, bool)
            else "INT64"
            if isinstance(sample, int)
            else "FP32"
            if isinstance(sample, float)
            else "BYTES"
        )
        entries.append({"name": name, "shape": [len(values)], "datatype": datatype, "data": values})
    return {"inputs": entries}
