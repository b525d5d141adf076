"""In-process runtime tests: the real Starlette app, admission, SSE and supervisor, with the
worker process replaced by a FakeWorker on a socketpair (see fake_worker.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from infer.runtime.server.app import build_app
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.state import Runtime
from infer.runtime.worker import process
from tests.runtime.inprocess.asgi_stream import HOST, ASGIStream
from tests.runtime.inprocess.fake_worker import FakeWorker
from tests.runtime.inprocess.worker_harness import (
    MODEL_MODULES,
    WORKER_THREADS,
    WorkerUnderTest,
)
from tests.servers import v2_body

MODEL = "m"
INFER = f"/v2/models/{MODEL}/infer"


@pytest.fixture
def anyio_backend() -> str:
    """Every in-process test runs on asyncio, the loop uvicorn gives the app."""
    return "asyncio"


@dataclass
class InProcessServer:
    """The app of `infer serve` for model ``m``, with its worker faked."""

    app: Starlette
    runtime: Runtime
    fake: FakeWorker
    client: httpx.AsyncClient

    async def infer(self, **inputs: Any) -> httpx.Response:
        """POST a v2 request for ``inputs`` and wait for the whole answer."""
        return await self.client.post(INFER, json=v2_body(**inputs))

    async def stream(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> ASGIStream:
        """Start a request whose body is read as it arrives (see asgi_stream.py)."""
        return await ASGIStream.open(self.app, method, path, json_body=json_body, headers=headers)

    async def start_infer(self, **inputs: Any) -> ASGIStream:
        """POST a v2 request and return once its headers arrived."""
        return await self.stream("POST", INFER, json_body=v2_body(**inputs))

    async def stop(self) -> None:
        """What the lifespan does at Ctrl-C: end everything in-band, stop the worker."""
        self.runtime.begin_shutdown()
        await self.runtime.supervisor.stop(self.runtime.shutdown_time_left())


Serve = Callable[..., Awaitable[InProcessServer]]


async def eventually(condition: Callable[[], bool], timeout: float = 5) -> None:
    """Wait until ``condition()`` holds (checked every few milliseconds)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {condition}")
        await asyncio.sleep(0.005)


@pytest.fixture
async def serve(tmp_path: Path) -> AsyncIterator[Serve]:
    """Start the app (lifespan included) on a FakeWorker; everything is stopped at teardown.

    ``serve(fake, ready=True, **options)``: ``options`` are ServeConfig fields.
    """
    async with contextlib.AsyncExitStack() as stack:

        async def start(
            fake: FakeWorker | None = None, *, ready: bool = True, **options: Any
        ) -> InProcessServer:
            fake = fake or FakeWorker()
            # A test that goes wrong ends within inference_time, not the default 180 s.
            options.setdefault("inference_time_s", 30.0)
            config = ServeConfig(repo=tmp_path, model_name=MODEL, **options)
            runtime = Runtime(config)
            runtime.supervisor.launch = fake.launch
            app = build_app(runtime)
            stack.push_async_callback(fake.close)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app)
            client = httpx.AsyncClient(transport=transport, base_url=f"http://{HOST}")
            await stack.enter_async_context(client)
            if ready:
                await asyncio.wait_for(runtime.supervisor.ready_event.wait(), 10)
            return InProcessServer(app, runtime, fake, client)

        yield start


StartWorker = Callable[..., WorkerUnderTest]


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(WORKER_THREADS)]


@pytest.fixture
def run_worker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[StartWorker]:
    """Start the real worker loop on a model repo; it is stopped and its traces undone after.

    The worker changes directory, puts the repo on sys.path and imports ``app``: all put back.
    Its last resort, ``os._exit`` after the server vanished, is recorded instead of run.
    """
    monkeypatch.chdir(tmp_path)  # restored at teardown, whatever serve_forever chdirs to
    monkeypatch.setattr(sys, "path", list(sys.path))
    for name in MODEL_MODULES:
        if name in sys.modules:
            monkeypatch.setitem(sys.modules, name, sys.modules[name])
    started: list[WorkerUnderTest] = []

    def record_exit(seconds: float, reason: str) -> None:
        for worker in started:
            worker.exits.append(reason)

    monkeypatch.setattr(process, "_exit_after", record_exit)

    def start(repo: Path, gpu: bool = False) -> WorkerUnderTest:
        worker = WorkerUnderTest(repo, gpu)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
    for name in MODEL_MODULES:
        sys.modules.pop(name, None)  # monkeypatch puts back any that were there before
    deadline = time.monotonic() + 10
    while _worker_threads() and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.01)  # the request pool's threads end once the Worker is collected
    assert not _worker_threads(), f"threads left behind: {_worker_threads()}"
