"""scripts/bench --engine ray: `infer serve --engine ray` against `infer serve` (the local
engine), same synthetic model, same run. Prints each measurement and the ratio ray/local.

Measured: time to first event p50 with 1 stream and with 32 concurrent streams, events/s of one
stream, server CPU per event (every process of the server, Ray's own included), peak memory
(RSS summed over those processes), cold start. The client runs in this process; only the
server's processes are charged CPU.
"""

from __future__ import annotations

import asyncio
import sys
import time

from bench_client import one_stream, percentile, request_bytes

from bench import HERE, Target

MODEL_PATH = "/v2/models/synthetic/infer"
CPU_EVENTS = 20000
TTFE_REQUESTS = 50
CONCURRENT_STREAMS = 32


def serve_command(*extra: str) -> list[str]:
    """`infer serve` on the benchmark model, enough slots for every stream we open."""
    return [
        sys.executable,
        "-m",
        "infer",
        "serve",
        str(HERE / "bench_model"),
        "--port",
        "0",
        "--concurrency",
        "64",
        "--queue-size",
        "64",
        "--log-level",
        "warning",
        *extra,
    ]


async def ttfe_sequential(port: int, requests: int) -> float:
    """Median time to first event, one stream at a time (after a warm-up)."""
    request = request_bytes(MODEL_PATH, 5, 0)
    for _ in range(5):
        await one_stream("127.0.0.1", port, request)
    samples = []
    for _ in range(requests):
        result = await one_stream("127.0.0.1", port, request)
        samples.append((result.times[0] - result.sent_at) * 1000)
    return percentile(samples, 0.5)


async def ttfe_concurrent(port: int, streams: int) -> tuple[float, int]:
    """Median time to first event of ``streams`` opened at once; and how many did not finish."""
    request = request_bytes(MODEL_PATH, 50, 10)
    results = await asyncio.gather(
        *(one_stream("127.0.0.1", port, request) for _ in range(streams))
    )
    samples = [(r.times[0] - r.sent_at) * 1000 for r in results if r.times]
    return percentile(samples, 0.5), sum(r.terminal != "done" for r in results)


async def events_per_second(port: int, count: int) -> float:
    """Events per second of one stream of ``count`` events sent as fast as the model can."""
    request = request_bytes(MODEL_PATH, count, 0)
    await one_stream("127.0.0.1", port, request)  # warm-up
    result = await one_stream("127.0.0.1", port, request)
    return len(result.ids) / (result.times[-1] - result.sent_at)


def measure(target: Target) -> None:
    """Start the target, take every measurement, leave it running (the caller stops it)."""
    target.start()
    port = target.port
    target.results["ttfe1_p50_ms"] = asyncio.run(ttfe_sequential(port, TTFE_REQUESTS))
    ttfe32, not_done = asyncio.run(ttfe_concurrent(port, CONCURRENT_STREAMS))
    target.results["ttfe32_p50_ms"] = ttfe32
    target.results["c32_not_done"] = not_done
    target.results["events_per_s"] = asyncio.run(events_per_second(port, 2000))
    before = target.cpu_seconds()
    started = time.perf_counter()
    asyncio.run(events_per_second(port, CPU_EVENTS))  # a warm-up stream plus the measured one
    target.results["cpu_us_per_event"] = (target.cpu_seconds() - before) / (2 * CPU_EVENTS) * 1e6
    target.results["cpu_window_s"] = time.perf_counter() - started
    target.results["peak_rss_mib"] = target.peak_rss_mib()


ROWS = [
    ("ttfe1_p50_ms", f"time to first event p50, 1 stream, {TTFE_REQUESTS} requests (ms)"),
    ("ttfe32_p50_ms", f"time to first event p50, {CONCURRENT_STREAMS} streams at once (ms)"),
    ("c32_not_done", f"{CONCURRENT_STREAMS} streams: streams without a done event"),
    ("events_per_s", "1 stream x 2000 events: events/s"),
    ("cpu_us_per_event", f"server CPU per event, 1 stream x {CPU_EVENTS} (us)"),
    ("peak_rss_mib", "peak RSS of all server processes (MiB)"),
    ("cold_start_s", "cold start to ready (s)"),
]


def main() -> int:
    """Measure both engines once, local first, and print the table."""
    local = Target(
        "local", serve_command(), "/v2/health/ready", MODEL_PATH, r"on http://127\.0\.0\.1:(\d+)"
    )
    ray = Target(
        "ray",
        serve_command("--engine", "ray", "--replicas", "1"),
        "/v2/health/ready",
        MODEL_PATH,
        r"on http://127\.0\.0\.1:(\d+)",
    )
    try:
        for target in (local, ray):
            print(f"{target.name} ...", file=sys.stderr, flush=True)
            measure(target)
            target.stop()
    finally:
        local.stop()
        ray.stop()
    print(f"{'measurement':62} {'local':>10} {'ray':>10} {'ray/local':>10}")
    for key, label in ROWS:
        base, ours = local.results[key], ray.results[key]
        ratio = f"{ours / base:10.2f}" if base else f"{'-':>10}"
        print(f"{label:62} {base:10.2f} {ours:10.2f} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
