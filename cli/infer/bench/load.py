"""The load generator: one asyncio loop, one httpx connection pool, one coroutine per stream
in flight (no thread per stream). Drives each level in turn, closed-loop (a fixed number of
streams in flight) or open-loop (Poisson arrivals at a rate)."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from infer.bench.plan import BenchPlan, Level
from infer.bench.probe import RequestResult, run_request

ARRIVAL_SEED = 0  # open-loop arrivals are random but the same in every run


@dataclass
class Progress:
    """Where the running level stands; passed to the progress callback after each request."""

    level_index: int
    level: Level
    total: int | None  # None: until the duration is up
    duration_s: float | None
    started: float
    done: int = 0
    ok: int = 0
    failed: int = 0
    violations: int = 0
    events: int = 0
    warmup: bool = False

    @property
    def elapsed_s(self) -> float:
        """Seconds since the level started."""
        return time.perf_counter() - self.started


@dataclass
class LevelRun:
    """The raw outcome of one level: every request, the wall time and the client's CPU time."""

    level: Level
    results: list[RequestResult] = field(default_factory=list)
    wall_s: float = 0.0
    cpu_s: float = 0.0


ProgressCallback = Callable[[Progress], None]
LevelCallback = Callable[[LevelRun], None]
MAX_OPEN_LOOP_IN_FLIGHT = 4096  # an open loop against a stalled server must not grow forever


class ClientPool:
    """One httpx client (one keep-alive connection) per stream in flight.

    A single client shared by hundreds of streams costs O(connections) per request in
    httpcore's pool bookkeeping, which made the client, not the server, the bottleneck at 256
    streams; a client per stream keeps each request's bookkeeping O(1).
    """

    def __init__(self, plan: BenchPlan) -> None:
        self.plan = plan
        self.idle: list[httpx.AsyncClient] = []
        self.every: list[httpx.AsyncClient] = []
        # Loading the CA bundle costs ~40 ms: once for all clients, not once per client.
        self.tls = httpx.create_ssl_context()
        # httpx imports its async transport on the first request; done here, that one-time
        # cost stays out of the first level's client CPU.
        import anyio._backends._asyncio  # noqa: F401
        import httpcore._async.http11
        import httpcore._backends.anyio  # noqa: F401

    def acquire(self) -> httpx.AsyncClient:
        """An idle client, or a new one."""
        if self.idle:
            return self.idle.pop()
        client = httpx.AsyncClient(
            headers=self.plan.headers,
            verify=self.tls,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            timeout=httpx.Timeout(
                connect=self.plan.connect_timeout_s, read=None, write=30.0, pool=None
            ),
        )
        self.every.append(client)
        return client

    def release(self, client: httpx.AsyncClient) -> None:
        """Give a client back for the next request."""
        self.idle.append(client)

    async def close(self) -> None:
        """Close every connection."""
        await asyncio.gather(*(client.aclose() for client in self.every))


class LoadGenerator:
    """Runs a BenchPlan; the same client (and its connection pool) serves every level."""

    def __init__(
        self,
        plan: BenchPlan,
        on_progress: ProgressCallback | None = None,
        on_level: LevelCallback | None = None,
    ) -> None:
        self.plan = plan
        self.on_progress = on_progress or (lambda _: None)
        self.on_level = on_level or (lambda _: None)
        self._bodies: Iterator[dict[str, Any]] = itertools.cycle(plan.bodies)

    async def run(self) -> tuple[LevelRun | None, list[LevelRun]]:
        """The warm-up run (if any), then one LevelRun per level."""
        clients = ClientPool(self.plan)
        try:
            warmup = None
            if self.plan.warmup:
                first = self.plan.levels[0]
                level = Level(concurrency=min(self.plan.warmup, first.concurrency or 4))
                warmup = await self._level(clients, -1, level, self.plan.warmup, None, True)
            runs = []
            for index, level in enumerate(self.plan.levels):
                total = self.plan.requests_for(level)
                runs.append(
                    await self._level(clients, index, level, total, self.plan.duration_s, False)
                )
                self.on_level(runs[-1])
            return warmup, runs
        finally:
            await clients.close()

    async def _level(
        self,
        clients: ClientPool,
        index: int,
        level: Level,
        total: int | None,
        duration_s: float | None,
        warmup: bool,
    ) -> LevelRun:
        run = LevelRun(level)
        progress = Progress(index, level, total, duration_s, time.perf_counter(), warmup=warmup)
        deadline = progress.started + duration_s if duration_s is not None else None
        issued = itertools.count()

        def may_start() -> bool:
            if deadline is not None and time.perf_counter() >= deadline:
                return False
            return total is None or next(issued) < total

        async def one() -> None:
            client = clients.acquire()
            try:
                result = await run_request(
                    client,
                    self.plan.infer_url,
                    next(self._bodies),
                    self.plan.timeout_s,
                    self.plan.text_field,
                    self.plan.keep_text,
                )
            finally:
                clients.release(client)
            run.results.append(result)
            progress.done += 1
            progress.events += result.events
            progress.violations += len(result.checker.violations)
            if result.outcome == "ok":
                progress.ok += 1
            else:
                progress.failed += 1
            self.on_progress(progress)

        cpu_before = time.process_time()
        self.on_progress(progress)
        if level.concurrency is not None:
            await self._closed_loop(level.concurrency, may_start, one)
        else:
            await self._open_loop(level.rate or 1.0, may_start, one)
        run.cpu_s = time.process_time() - cpu_before
        ends = [r.ended_at for r in run.results]
        run.wall_s = (max(ends) if ends else time.perf_counter()) - progress.started
        return run

    @staticmethod
    async def _closed_loop(
        concurrency: int, may_start: Callable[[], bool], one: Callable[[], Any]
    ) -> None:
        async def worker() -> None:
            while may_start():
                await one()

        await asyncio.gather(*(worker() for _ in range(concurrency)))

    @staticmethod
    async def _open_loop(
        rate: float, may_start: Callable[[], bool], one: Callable[[], Any]
    ) -> None:
        arrivals = random.Random(ARRIVAL_SEED)
        tasks: set[asyncio.Task[None]] = set()
        next_at = time.perf_counter()
        while may_start():
            delay = next_at - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(tasks) >= MAX_OPEN_LOOP_IN_FLIGHT:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            task = asyncio.ensure_future(one())
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            next_at += arrivals.expovariate(rate)
        if tasks:
            await asyncio.gather(*tasks)


def run_plan(
    plan: BenchPlan,
    on_progress: ProgressCallback | None = None,
    on_level: LevelCallback | None = None,
) -> tuple[LevelRun | None, list[LevelRun]]:
    """Run the whole plan on a fresh event loop (uvloop's when installed: it costs less CPU)."""
    generator = LoadGenerator(plan, on_progress, on_level)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(generator.run())
    return uvloop.run(generator.run())
