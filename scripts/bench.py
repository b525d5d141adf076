"""scripts/bench [ROUNDS]: `infer serve` against a minimal raw-asyncio SSE baseline, same
workload, same run, driven by a separate client process. Prints each measurement (the median of
ROUNDS alternating rounds, default 3) and the ratio infer/baseline."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
TICK = os.sysconf("SC_CLK_TCK")
CPU_EVENTS = 100000  # /proc CPU times tick every 10 ms: many events make the ratio meaningful
CPU_REPEATS = 3


@dataclass
class Target:
    """One server under test."""

    name: str
    command: list[str]
    ready_path: str
    infer_path: str
    port_pattern: str
    process: subprocess.Popen[str] | None = None
    port: int = 0
    results: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        started = time.perf_counter()
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if match := re.search(self.port_pattern, line):
                self.port = int(match.group(1))
                break
        else:
            raise RuntimeError(f"{self.name} did not start")
        while True:
            try:
                url = f"http://127.0.0.1:{self.port}{self.ready_path}"
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.005)
        self.results["cold_start_s"] = time.perf_counter() - started
        # Keep draining its output so a chatty server never blocks on a full pipe.
        subprocess.Popen(["cat"], stdin=self.process.stdout, stdout=subprocess.DEVNULL)

    def pids(self) -> list[int]:
        assert self.process is not None
        found = [self.process.pid]
        for pid in found:
            for task in Path(f"/proc/{pid}/task").glob("*/children"):
                found += [int(child) for child in task.read_text().split()]
        return found

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / TICK

    def peak_rss_mib(self) -> float:
        total = 0
        for pid in self.pids():
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
        return total / 1024

    def client(self, scenario: str, **options: int) -> dict[str, float]:
        command = [
            sys.executable,
            str(HERE / "bench_client.py"),
            "--port",
            str(self.port),
            "--path",
            self.infer_path,
            "--scenario",
            scenario,
        ]
        for key, value in options.items():
            command += [f"--{key.replace('_', '-')}", str(value)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True)
        return json.loads(done.stdout)  # type: ignore[no-any-return]

    def measure(self) -> None:
        self.start()
        self.results["events_per_s"] = self.client("single", count=2000)["events_per_s"]
        samples = []
        for _ in range(CPU_REPEATS):
            before = self.cpu_seconds()
            self.client("single", count=CPU_EVENTS)
            # The client's "single" run is a warm-up stream plus the measured one.
            samples.append((self.cpu_seconds() - before) / (2 * CPU_EVENTS) * 1e6)
        self.results["cpu_us_per_event"] = sorted(samples)[len(samples) // 2]
        ttfe = self.client("ttfe", requests=200)
        self.results["ttfe_p50_ms"] = ttfe["p50_ms"]
        self.results["ttfe_p99_ms"] = ttfe["p99_ms"]
        before = self.cpu_seconds()
        load = self.client("concurrent", streams=256, count=200, interval_ms=10)
        cpu = self.cpu_seconds() - before
        self.results["c256_events_per_s"] = load["delivered_events_per_s"]
        self.results["c256_cpu_us_per_event"] = cpu / (256 * 200) * 1e6
        self.results["c256_gap_p99_ms"] = load["gap_p99_ms"]
        self.results["c256_lost"] = load["lost"]
        self.results["c256_reordered"] = load["reordered_streams"]
        self.results["c256_not_done"] = load["not_done"]
        self.results["peak_rss_mib"] = self.peak_rss_mib()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()


ROWS = [
    ("events_per_s", "1 stream x 2000 events: events/s", "higher"),
    (
        "cpu_us_per_event",
        f"server CPU per event, 1 stream x {CPU_EVENTS}, median of 3 (us)",
        "lower",
    ),
    ("ttfe_p50_ms", "time to first event p50 (ms), 200 requests", "lower"),
    ("ttfe_p99_ms", "time to first event p99 (ms)", "lower"),
    ("c256_events_per_s", "256 streams x 200 @10ms: delivered events/s (ideal 25600)", "higher"),
    ("c256_cpu_us_per_event", "256 streams: server CPU per event (us)", "lower"),
    ("c256_gap_p99_ms", "256 streams: inter-event gap p99 (ms)", "lower"),
    ("c256_lost", "256 streams: lost events", "lower"),
    ("c256_reordered", "256 streams: reordered streams", "lower"),
    ("c256_not_done", "256 streams: streams without a done event", "lower"),
    ("peak_rss_mib", "peak RSS of the server processes (MiB)", "lower"),
    ("cold_start_s", "cold start to ready (s)", "lower"),
]


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    baseline = Target(
        "baseline",
        [sys.executable, str(HERE / "bench_baseline.py"), "0"],
        "/ready",
        "/infer",
        r"baseline listening on (\d+)",
    )
    infer = Target(
        "infer",
        [
            sys.executable,
            "-m",
            "infer",
            "serve",
            str(HERE / "bench_model"),
            "--port",
            "0",
            "--concurrency",
            "256",
            "--queue-size",
            "512",
            "--log-level",
            "warning",
        ],
        "/v2/health/ready",
        "/v2/models/synthetic/infer",
        r"on http://127\.0\.0\.1:(\d+)",
    )
    # Rounds alternate the two servers and each number is the median over rounds: this machine
    # is shared and noisy, and a single run can be off by a third either way.
    collected: dict[str, dict[str, list[float]]] = {"baseline": {}, "infer": {}}
    try:
        for round_no in range(rounds):
            for target in (baseline, infer):
                print(
                    f"round {round_no + 1}/{rounds}: {target.name} ...", file=sys.stderr, flush=True
                )
                target.results = {}
                target.measure()
                target.stop()
                for key, value in target.results.items():
                    collected[target.name].setdefault(key, []).append(value)
    finally:
        baseline.stop()
        infer.stop()
    for target in (baseline, infer):
        target.results = {
            key: sorted(values)[len(values) // 2] for key, values in collected[target.name].items()
        }
    print(f"medians of {rounds} alternating rounds")
    print(f"{'measurement':62} {'baseline':>10} {'infer':>10} {'infer/base':>10}")
    for key, label, _ in ROWS:
        base, ours = baseline.results[key], infer.results[key]
        ratio = f"{ours / base:10.2f}" if base else f"{'-':>10}"
        print(f"{label:62} {base:10.2f} {ours:10.2f} {ratio}")
    cpu_ratio = infer.results["cpu_us_per_event"] / baseline.results["cpu_us_per_event"]
    ttfe_ratio = infer.results["ttfe_p50_ms"] / baseline.results["ttfe_p50_ms"]
    throughput = infer.results["c256_events_per_s"] / baseline.results["c256_events_per_s"]
    print()
    print(f"target: server CPU per event <= 2x baseline        {cpu_ratio:5.2f}x")
    print(f"target: time to first event p50 <= 1.5x baseline   {ttfe_ratio:5.2f}x")
    print(
        f"target: 256-stream events/s >= 0.9x, zero loss     {throughput:5.2f}x, "
        f"lost {infer.results['c256_lost']:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
