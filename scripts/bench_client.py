"""The benchmark's load generator: raw asyncio sockets, incremental chunked + SSE parsing.

Run in its own process by scripts/bench; prints one JSON object of measurements.
(httpx-sse is too slow to keep up with tens of thousands of events per second.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time


def request_bytes(path: str, count: int, interval_ms: int) -> bytes:
    body = json.dumps(
        {
            "inputs": [
                {"name": "COUNT", "shape": [1], "datatype": "INT64", "data": [count]},
                {"name": "INTERVAL_MS", "shape": [1], "datatype": "INT64", "data": [interval_ms]},
            ]
        }
    ).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


class Result:
    """One stream as the client saw it."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.times: list[float] = []
        self.terminal = ""
        self.sent_at = 0.0


async def one_stream(host: str, port: int, request: bytes) -> Result:
    """Send one request, read its SSE answer to the terminal event."""
    result = Result()
    reader, writer = await asyncio.open_connection(host, port)
    result.sent_at = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    if b" 200 " not in head.split(b"\r\n", 1)[0]:
        raise RuntimeError(head.decode(errors="replace"))
    raw = bytearray()  # chunked transfer decoding, incremental
    sse = b""
    while not result.terminal:
        data = await reader.read(65536)
        if not data:
            break
        now = time.perf_counter()
        raw += data
        while True:
            line_end = raw.find(b"\r\n")
            if line_end < 0:
                break
            size = int(raw[:line_end], 16)
            if len(raw) < line_end + 2 + size + 2:
                break
            sse += bytes(raw[line_end + 2 : line_end + 2 + size])
            del raw[: line_end + 4 + size]
        blocks = sse.split(b"\n\n")
        sse = blocks.pop()
        for block in blocks:
            if not block.startswith(b"id: "):
                continue
            newline = block.find(b"\n")
            event_id = int(block[4:newline].rpartition(b":")[2])  # ids are <stream>:<n>
            if block[newline + 1 : newline + 7] == b"event:":
                result.terminal = block[newline + 8 :].split(b"\n", 1)[0].decode()
            else:
                result.ids.append(event_id)
                result.times.append(now)
    writer.close()
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(args: argparse.Namespace) -> dict[str, object]:
    host, port = args.host, args.port
    if args.scenario == "single":
        request = request_bytes(args.path, args.count, 0)
        await one_stream(host, port, request)  # warm-up
        result = await one_stream(host, port, request)
        elapsed = result.times[-1] - result.sent_at
        return {"events": len(result.ids), "events_per_s": len(result.ids) / elapsed}
    if args.scenario == "ttfe":
        request = request_bytes(args.path, 5, 0)
        for _ in range(10):
            await one_stream(host, port, request)
        samples = []
        for _ in range(args.requests):
            result = await one_stream(host, port, request)
            samples.append((result.times[0] - result.sent_at) * 1000)
        return {"p50_ms": percentile(samples, 0.5), "p99_ms": percentile(samples, 0.99)}
    request = request_bytes(args.path, args.count, args.interval_ms)
    started = time.perf_counter()
    results = await asyncio.gather(*(one_stream(host, port, request) for _ in range(args.streams)))
    elapsed = max(r.times[-1] for r in results if r.times) - started
    expected = list(range(1, args.count + 1))
    lost = sum(len(set(expected) - set(r.ids)) for r in results)
    reordered = sum(r.ids != sorted(r.ids) for r in results)
    gaps = [(b - a) * 1000 for r in results for a, b in zip(r.times, r.times[1:], strict=False)]
    delivered = sum(len(r.ids) for r in results)
    return {
        "delivered_events_per_s": delivered / elapsed,
        "gap_p99_ms": percentile(gaps, 0.99),
        "gap_p50_ms": statistics.median(gaps) if gaps else float("nan"),
        "lost": lost,
        "reordered_streams": reordered,
        "not_done": sum(r.terminal != "done" for r in results),
        "elapsed_s": elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--scenario", choices=["single", "ttfe", "concurrent"], required=True)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--streams", type=int, default=256)
    parser.add_argument("--interval-ms", type=int, default=10)
    print(json.dumps(asyncio.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
