"""scripts/chaos: `infer serve` under faults and hostile load (see README, "Reliability").

Every scenario starts its own server on 127.0.0.1 with a test model, attacks it, measures,
and prints one line: ``ok|FAIL  name  figures``. The last line is
``chaos: N scenarios, F failed, lost events L``. Every loop is bounded in count and time;
the whole suite takes a few minutes on two cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.servers import MODELS, ServerProcess, parse_sse, v2_body  # noqa: E402

SCENARIO_TIMEOUT_S = 90


@dataclass
class Outcome:
    """What a scenario found: figures to print, failures, events lost."""

    figures: dict[str, Any] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    lost_events: int = 0

    def check(self, condition: bool, message: str) -> None:
        """Record ``message`` as a failure unless ``condition`` holds."""
        if not condition:
            self.failures.append(message)


class Servers:
    """Every server a scenario starts, stopped when it ends."""

    def __init__(self) -> None:
        self.started: list[ServerProcess] = []

    def start(
        self,
        model: str,
        *args: str,
        env: dict[str, str] | None = None,
        preexec_fn: Callable[[], None] | None = None,
    ) -> ServerProcess:
        """A ready server for ``model`` (a folder of tests/models)."""
        server = ServerProcess(
            MODELS / model, *args, "--log-level", "warning", env=env, preexec_fn=preexec_fn
        )
        self.started.append(server)
        server.wait_ready()
        return server

    def stop_all(self) -> None:
        """Stop every server (SIGTERM, then SIGKILL)."""
        for server in self.started:
            server.stop()


def _address(server: ServerProcess) -> tuple[str, int]:
    host, port = server.url.removeprefix("http://").split(":")
    return host, int(port)


def _proc_figures(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
        "threads": int(values["Threads"].strip()),
        "rss_kib": int(values["VmRSS"].split()[0]),
    }


def _raw_request(path: str, body: dict[str, Any]) -> bytes:
    payload = json.dumps(body).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


def _stream_and_drop(address: tuple[str, int], request: bytes, events: int) -> bytes:
    """Send ``request``, read until ``events`` events arrived, then drop the connection."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(request)
        received = b""
        deadline = time.monotonic() + 10
        while received.count(b"\nid: ") + received.startswith(b"id: ") < events:
            chunk = sock.recv(65536)
            if not chunk or time.monotonic() > deadline:
                break
            received += chunk
        return received


def _no_traceback(server: ServerProcess, outcome: Outcome) -> None:
    outcome.check("Traceback" not in server.output, "a traceback in the server's log")


# -- scenarios ---------------------------------------------------------------------------


def disconnects(servers: Servers) -> Outcome:
    """1 000 mid-stream disconnects: fds, threads and RSS back to baseline (±10 %)."""
    outcome = Outcome()
    server = servers.start(
        "stubborn", "--concurrency", "4", "--queue-size", "64", "--resume-grace", "0"
    )
    address = _address(server)
    request = _raw_request(
        "/v2/models/stubborn/infer", v2_body(MODE="healthy", COUNT=5000, DELAY=2)
    )

    def drop_many(count: int) -> None:
        for _ in range(count):
            _stream_and_drop(address, request, 2)

    def run(total: int, clients: int = 4) -> None:
        threads = [
            threading.Thread(target=drop_many, args=(total // clients,)) for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)

    def settle() -> dict[str, int]:
        # Dropped streams are cancelled at once (--resume-grace 0); a moment lets the last
        # cancellations and closes land before measuring.
        time.sleep(1.5)
        return _proc_figures(server.process.pid)

    run(100)  # warm-up: pools, buffers and caches reach their working size
    baseline = settle()
    started = time.monotonic()
    run(1000)
    elapsed = time.monotonic() - started
    after = settle()
    for key, slack in (("fds", 2), ("threads", 2), ("rss_kib", 0)):
        limit = baseline[key] * 1.10 + slack
        outcome.check(after[key] <= limit, f"{key} {baseline[key]} -> {after[key]}")
    served = httpx.post(
        f"{server.url}/v2/models/stubborn/infer", json=v2_body(MODE="healthy"), timeout=30
    )
    outcome.check(parse_sse(served.content)[0][-1].event == "done", "not served afterwards")
    outcome.figures = {
        "disconnects": 1000,
        "per_s": round(1000 / elapsed),
        "fds": f"{baseline['fds']}->{after['fds']}",
        "threads": f"{baseline['threads']}->{after['threads']}",
        "rss_mib": f"{baseline['rss_kib'] / 1024:.1f}->{after['rss_kib'] / 1024:.1f}",
    }
    _no_traceback(server, outcome)
    return outcome


def shutdown_with_queue(servers: Servers) -> Outcome:
    """SIGTERM with 4 running and 8 queued streams: each client a terminal event or a 503."""
    outcome = Outcome()
    server = servers.start("stubborn", "--concurrency", "4", "--queue-size", "8")
    results: list[Any] = []

    def call() -> None:
        try:
            results.append(
                httpx.post(
                    f"{server.url}/v2/models/stubborn/infer",
                    json=v2_body(MODE="healthy", COUNT=2000, DELAY=10),
                    timeout=30,
                )
            )
        except httpx.HTTPError as error:
            results.append(error)

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    time.sleep(2.0)
    started = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    for thread in threads:
        thread.join(30)
    code = server.process.wait(30)
    exit_s = time.monotonic() - started
    terminal = refused = 0
    for result in results:
        if isinstance(result, httpx.Response) and result.status_code == 200:
            events = parse_sse(result.content)[0]
            if events and events[-1].event == "error":
                terminal += 1
        elif (
            isinstance(result, httpx.Response)
            and result.status_code == 503
            and result.json()["error"]["code"] == "server_shutting_down"
        ):
            refused += 1
    answered = terminal + refused
    outcome.lost_events = len(threads) - answered
    outcome.check(answered == len(threads), f"{len(threads) - answered} client(s) got no answer")
    outcome.check(exit_s < 10, f"exit took {exit_s:.1f} s")
    outcome.check(code == -signal.SIGTERM, f"exit status {code}")
    outcome.figures = {
        "clients": len(threads),
        "terminal_events": terminal,
        "refused_503": refused,
        "exit_s": round(exit_s, 2),
    }
    _no_traceback(server, outcome)
    return outcome


def stuck_request(servers: Servers) -> Outcome:
    """A request that ignores cancellation next to 3 healthy streams: they all complete."""
    outcome = Outcome()
    server = servers.start("stubborn", "--concurrency", "4")
    results: list[Any] = []
    count = 80

    def healthy() -> None:
        results.append(
            httpx.post(
                f"{server.url}/v2/models/stubborn/infer",
                json=v2_body(MODE="healthy", COUNT=count, DELAY=100),
                timeout=60,
            )
        )

    threads = [threading.Thread(target=healthy) for _ in range(3)]
    for thread in threads:
        thread.start()
    with httpx.stream(
        "POST",
        f"{server.url}/v2/models/stubborn/infer",
        json=v2_body(MODE="ignore_cancel", HOLD=60),
        timeout=30,
    ) as stuck:
        stream_id = stuck.headers["x-stream-id"]
        httpx.delete(f"{server.url}/v2/models/stubborn/streams/{stream_id}")
        stuck.read()
    for thread in threads:
        thread.join(60)
    complete = received = 0
    for response in results:
        events = parse_sse(response.content)[0]
        received += len(events) - 1
        complete += events[-1].event == "done"
    outcome.lost_events = 3 * count - received
    outcome.check(complete == 3, f"{3 - complete} healthy stream(s) did not complete")
    outcome.check("draining worker" in server.output, "the stuck worker was never drained")
    server.wait_ready(30)
    after = httpx.post(
        f"{server.url}/v2/models/stubborn/infer", json=v2_body(MODE="healthy"), timeout=30
    )
    outcome.check(parse_sse(after.content)[0][-1].event == "done", "not served afterwards")
    outcome.figures = {
        "healthy_done": f"{complete}/3",
        "events": f"{received}/{3 * count}",
    }
    _no_traceback(server, outcome)
    return outcome


def worker_crash(servers: Servers) -> Outcome:
    """The worker dies mid-stream: an in-band error, then the next request is served."""
    outcome = Outcome()
    server = servers.start("stubborn")
    url = f"{server.url}/v2/models/stubborn/infer"
    crashed = parse_sse(httpx.post(url, json=v2_body(MODE="crash"), timeout=30).content)[0]
    last = crashed[-1]
    code = json.loads(last.data).get("code") if last.event == "error" else last.event
    outcome.check(code == "worker_crashed", f"the stream ended with {code}")
    started = time.monotonic()
    server.wait_ready(30)
    recovered_s = time.monotonic() - started
    after = parse_sse(httpx.post(url, json=v2_body(MODE="healthy"), timeout=30).content)[0]
    outcome.check(after[-1].event == "done", "the next request was not served")
    outcome.figures = {"terminal": code, "recovered_s": round(recovered_s, 2)}
    _no_traceback(server, outcome)
    return outcome


def over_capacity(servers: Servers) -> Outcome:
    """200 concurrent streams against 4 slots + 16 queued: exactly 20 admitted, 180 get 503."""
    outcome = Outcome()
    server = servers.start("stubborn", "--concurrency", "4", "--queue-size", "16")

    async def one(client: httpx.AsyncClient) -> tuple[int, str]:
        response = await client.post(
            f"{server.url}/v2/models/stubborn/infer",
            json=v2_body(MODE="healthy", COUNT=30, DELAY=100),
        )
        if response.status_code == 200:
            return 200, parse_sse(response.content)[0][-1].event
        return response.status_code, response.json()["error"]["code"]

    async def run() -> list[tuple[int, str]]:
        limits = httpx.Limits(max_connections=250, max_keepalive_connections=0)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            return await asyncio.gather(*(one(client) for _ in range(200)))

    started = time.monotonic()
    results = asyncio.run(run())
    admitted = sum(1 for status, end in results if status == 200 and end == "done")
    refused = sum(1 for status, code in results if status == 503 and code == "over_capacity")
    outcome.check(admitted == 20, f"{admitted} admitted")
    outcome.check(refused == 180, f"{refused} refused")
    outcome.figures = {
        "admitted": admitted,
        "refused_503": refused,
        "seconds": round(time.monotonic() - started, 1),
    }
    _no_traceback(server, outcome)
    return outcome


def slowloris(servers: Servers) -> Outcome:
    """300 slow-header connections and a 200 MiB header: memory bounded, requests served."""
    outcome = Outcome()
    server = servers.start("stubborn", "--header-timeout", "2")
    address = _address(server)
    before = _proc_figures(server.process.pid)
    stop = threading.Event()
    timed_out = [0]
    lock = threading.Lock()

    def slow_client() -> None:
        try:
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(b"GET /v2/health/live HTTP/1.1\r\n")
                deadline = time.monotonic() + 8
                while not stop.is_set() and time.monotonic() < deadline:
                    sock.sendall(b"X-a: b\r\n")
                    time.sleep(0.25)
        except OSError:
            with lock:
                timed_out[0] += 1  # the server closed it (408) and the next write failed

    def huge_header() -> str:
        chunk = b"a" * (1 << 20)
        sent = 0
        try:
            with socket.create_connection(address, timeout=10) as sock:
                sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nX-Big: ")
                while sent < 200 * (1 << 20):
                    sock.sendall(chunk)
                    sent += len(chunk)
                return "sent all"
        except OSError:
            return f"cut after {sent >> 20} MiB"

    threads = [threading.Thread(target=slow_client) for _ in range(300)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    big = huge_header()
    during = _proc_figures(server.process.pid)
    started = time.monotonic()
    served = httpx.get(f"{server.url}/v2/health/live", timeout=10).status_code
    latency_ms = (time.monotonic() - started) * 1000
    for thread in threads:
        thread.join(15)  # each is cut by the header timeout, or gives up after 8 s
    stop.set()
    growth_mib = (during["rss_kib"] - before["rss_kib"]) / 1024
    outcome.check(big != "sent all", "the 200 MiB header was read to the end")
    outcome.check(growth_mib < 64, f"RSS grew {growth_mib:.0f} MiB")
    outcome.check(served == 200, f"a legitimate request got {served}")
    outcome.check(timed_out[0] >= 290, f"only {timed_out[0]} slow connections were cut")
    outcome.figures = {
        "slow_cut": f"{timed_out[0]}/300",
        "big_header": big,
        "rss_growth_mib": round(growth_mib, 1),
        "live_ms": round(latency_ms, 1),
    }
    _no_traceback(server, outcome)
    return outcome


def fd_limit(servers: Servers) -> Outcome:
    """A 512-file limit and 600 idle connections: the cap holds, a real request is served."""
    outcome = Outcome()

    def low_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (512, 512))

    server = servers.start("stubborn", "--keep-alive-timeout", "60", preexec_fn=low_file_limit)
    address = _address(server)
    idle: list[socket.socket] = []
    refused = 0
    try:
        for _ in range(600):
            try:
                sock = socket.create_connection(address, timeout=10)
                sock.sendall(b"GET /v2/health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                sock.recv(4096)
                idle.append(sock)
            except OSError:
                refused += 1
        started = time.monotonic()
        response = httpx.post(
            f"{server.url}/v2/models/stubborn/infer", json=v2_body(MODE="healthy"), timeout=10
        )
        latency_ms = (time.monotonic() - started) * 1000
        served = parse_sse(response.content)[0][-1].event == "done"
        open_fds = _proc_figures(server.process.pid)["fds"]
    finally:
        for sock in idle:
            sock.close()
    outcome.check(served, "a legitimate request was not served")
    outcome.check(open_fds < 512, f"{open_fds} fds open at a 512 limit")
    outcome.check("Traceback" not in server.output, "a traceback in the server's log")
    outcome.figures = {
        "connections": 600,
        "server_fds": open_fds,
        "infer_ms": round(latency_ms, 1),
        "client_errors": refused,
    }
    return outcome


def drop_and_resume(servers: Servers) -> Outcome:
    """100 drop-and-resume cycles over one stream: 0 events lost, 0 repeated."""
    outcome = Outcome()
    server = servers.start("stubborn", "--resume-grace", "10")
    address = _address(server)
    request = _raw_request(
        "/v2/models/stubborn/infer", v2_body(MODE="healthy", COUNT=1500, DELAY=2)
    )
    first = _stream_and_drop(address, request, 5)
    head, _, body = first.partition(b"\r\n\r\n")
    stream_id = next(
        line.split(b": ")[1].decode()
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"x-stream-id")
    )
    seen = _complete_ids(_dechunk(body))
    cycles = 0
    done = False
    deadline = time.monotonic() + 60
    while not done and cycles < 400 and time.monotonic() < deadline:
        cycles += 1
        last = seen[-1] if seen else 0
        resume = (
            f"GET /v2/models/stubborn/streams/{stream_id} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Last-Event-ID: {last}\r\n\r\n"
        ).encode()
        raw = _stream_and_drop(address, resume, 10 if cycles < 100 else 10**6)
        head, _, body = raw.partition(b"\r\n\r\n")
        if head.startswith(b"HTTP/1.1 204"):
            done = True
            break
        text = _dechunk(body)
        seen += _complete_ids(text)
        done = b"event: done" in text
    expected = list(range(1, 1502))
    repeated = len(seen) - len(set(seen))
    lost = len(set(expected) - set(seen))
    outcome.lost_events = lost
    outcome.check(done, "the stream never finished")
    outcome.check(lost == 0 and repeated == 0, f"lost {lost}, repeated {repeated}")
    outcome.figures = {"cycles": cycles, "events": len(seen), "lost": lost, "repeated": repeated}
    _no_traceback(server, outcome)
    return outcome


def _dechunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        if not rest:
            break
        try:
            size = int(size_line, 16)
        except ValueError:
            break
        if len(rest) < size:
            break
        out += rest[:size]
        data = rest[size + 2 :]
    return out


def _complete_ids(raw: bytes) -> list[int]:
    whole = raw[: raw.rfind(b"\n\n") + 2]
    events, _ = parse_sse(whole)
    return [e.seq for e in events if e.id]  # ids are <stream>:<n>


def fuzz(servers: Servers) -> Outcome:
    """Hypothesis fuzz of the infer endpoint: no 500, no traceback, healthy afterwards."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    outcome = Outcome()
    server = servers.start("stubborn", "--concurrency", "4", "--queue-size", "64")
    url = f"{server.url}/v2/models/stubborn/infer"
    statuses: dict[int, int] = {}
    problems: list[str] = []
    client = httpx.Client(timeout=30)

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=False),
        st.text(max_size=40),
    )
    json_values = st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    )
    entry = st.fixed_dictionaries(
        {},
        optional={
            "name": st.one_of(st.sampled_from(["MODE", "COUNT", "DELAY", "HOLD"]), json_values),
            "shape": st.one_of(st.lists(st.integers(-3, 5), max_size=3), json_values),
            "datatype": st.one_of(
                st.sampled_from(["BYTES", "INT64", "INT8", "BOOL", "FP32", "UINT8"]), json_values
            ),
            "data": st.one_of(st.lists(scalars, max_size=4), json_values),
        },
    )
    valid = st.builds(
        lambda mode, count, delay: v2_body(MODE=mode, COUNT=count, DELAY=delay),
        st.text(max_size=30).filter(lambda m: m not in ("crash", "ignore_cancel")),
        st.integers(-5, 40),
        st.integers(-5, 3),
    )
    bodies = st.one_of(
        valid,
        st.builds(lambda e: {"inputs": e}, st.lists(entry, max_size=5)),
        json_values.map(lambda v: {"inputs": v}),
        json_values,
    )
    raw_bodies = st.one_of(
        bodies.map(lambda b: json.dumps(b).encode()),
        st.binary(max_size=200),
        st.integers(1, 3000).map(lambda n: b"[" * n),
        st.text(max_size=100).map(lambda t: t.encode("utf-8", "surrogatepass")),
    )
    content_types = st.sampled_from(
        ["application/json", "text/plain", "application/json; charset=latin-1", ""]
    )

    @settings(
        max_examples=300,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(raw=raw_bodies, content_type=content_types)
    def probe(raw: bytes, content_type: str) -> None:
        headers = {"content-type": content_type} if content_type else {}
        response = client.post(url, content=raw, headers=headers)
        if response.status_code == 200:
            events = parse_sse(response.content)[0]
            if not events or events[-1].event not in ("done", "error"):
                problems.append(f"a stream without a terminal event for {raw[:80]!r}")
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if response.status_code >= 500 and response.status_code != 503:
            problems.append(f"{response.status_code} for {raw[:80]!r}")
        elif response.status_code >= 400 and "error" not in response.json():
            problems.append(f"{response.status_code} without an error body for {raw[:80]!r}")

    started = time.monotonic()
    try:
        probe()
    except Exception as error:  # a falsifying example: report it as a failure line
        problems.append(f"{type(error).__name__}: {str(error)[:300]}")
    finally:
        client.close()
    healthy = httpx.post(url, json=v2_body(MODE="healthy"), timeout=30)
    outcome.check(parse_sse(healthy.content)[0][-1].event == "done", "not healthy afterwards")
    outcome.check(not problems, "; ".join(problems[:3]))
    outcome.figures = {
        "examples": sum(statuses.values()),
        "statuses": ",".join(f"{k}x{v}" for k, v in sorted(statuses.items())),
        "seconds": round(time.monotonic() - started, 1),
    }
    _no_traceback(server, outcome)
    return outcome


SCENARIOS: dict[str, Callable[[Servers], Outcome]] = {
    "disconnects": disconnects,
    "shutdown_with_queue": shutdown_with_queue,
    "stuck_request": stuck_request,
    "worker_crash": worker_crash,
    "over_capacity": over_capacity,
    "slowloris": slowloris,
    "fd_limit": fd_limit,
    "drop_and_resume": drop_and_resume,
    "fuzz": fuzz,
}


def _run_one(name: str) -> tuple[Outcome, float]:
    servers = Servers()
    started = time.monotonic()
    result: list[Outcome] = []

    def target() -> None:
        try:
            result.append(SCENARIOS[name](servers))
        except Exception as error:
            result.append(Outcome(failures=[f"{type(error).__name__}: {str(error)[:300]}"]))

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(SCENARIO_TIMEOUT_S)
    if thread.is_alive():
        result.append(Outcome(failures=[f"did not finish within {SCENARIO_TIMEOUT_S} s"]))
    servers.stop_all()
    return result[0], time.monotonic() - started


def main(argv: list[str]) -> int:
    """Run the named scenarios (all by default); exit 1 if any failed."""
    if "--list" in argv:
        for name, scenario in SCENARIOS.items():
            print(f"{name:20} {scenario.__doc__}")
        return 0
    names = argv or list(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        print(f"unknown scenario(s) {unknown}; try --list", file=sys.stderr)
        return 2
    failed = lost = 0
    for name in names:
        outcome, seconds = _run_one(name)
        figures = "  ".join(f"{key}={value}" for key, value in outcome.figures.items())
        status = "FAIL" if outcome.failures else "ok  "
        print(f"{status}  {name:20} {figures}  ({seconds:.1f} s)", flush=True)
        for failure in outcome.failures:
            print(f"      {failure}", flush=True)
        failed += bool(outcome.failures)
        lost += outcome.lost_events
    print(f"chaos: {len(names)} scenarios, {failed} failed, lost events {lost}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
