"""The benchmark's baseline: a minimal raw-asyncio SSE server running the same synthetic
workload in threads, with the cheapest correct thread-to-loop hand-off (batched
call_soon_threadsafe). It does only what the benchmark needs; it is not a product."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "bench_model"))
from synthetic import tokens

HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)


class Stream:
    """Events from one generator thread, drained by the loop in batches."""

    def __init__(self, loop: asyncio.AbstractEventLoop, writer: asyncio.StreamWriter) -> None:
        self.loop = loop
        self.writer = writer
        self.lock = threading.Lock()
        self.pending: list[bytes] = []
        self.next_id = 1

    def put(self, frame: bytes) -> None:
        with self.lock:
            self.pending.append(frame)
            first = len(self.pending) == 1
        if first:
            self.loop.call_soon_threadsafe(self.drain)

    def drain(self) -> None:
        with self.lock:
            batch, self.pending = self.pending, []
        body = b"".join(batch)
        self.writer.write(b"%x\r\n%s\r\n" % (len(body), body))


def generate(stream: Stream, count: int, interval_s: float, done: asyncio.Event) -> None:
    event_id = 0
    for event in tokens(count, interval_s):
        event_id += 1
        data = json.dumps(event, separators=(",", ":")).encode()
        stream.put(b"id: %d\ndata: %s\n\n" % (event_id, data))
    stream.put(b'id: %d\nevent: done\ndata: {"events": %d}\n\n' % (event_id + 1, event_id))
    stream.loop.call_soon_threadsafe(done.set)


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            break
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        body = json.loads(await reader.readexactly(length)) if length else {}
        if head.startswith(b"GET /ready"):
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            continue
        inputs = {item["name"]: item["data"][0] for item in body["inputs"]}
        retry = b"retry: 3000\n\n"
        writer.write(HEAD + b"%x\r\n%s\r\n" % (len(retry), retry))
        stream = Stream(asyncio.get_running_loop(), writer)
        done = asyncio.Event()
        interval = float(inputs.get("INTERVAL_MS", 0)) / 1000
        threading.Thread(
            target=generate, args=(stream, int(inputs["COUNT"]), interval, done), daemon=True
        ).start()
        await done.wait()
        await asyncio.sleep(0)  # let the last drain run first
        writer.write(b"0\r\n\r\n")
        await writer.drain()
    writer.close()


async def main(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=2048)
    print(f"baseline listening on {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
