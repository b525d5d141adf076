"""scripts/bench_client_cpu.py [ROUNDS]: the CPU `infer bench` itself spends per event, against
the raw-asyncio client of scripts/bench_client.py (the cheapest correct SSE reader we have), on the
same server and workload in the same run: 256 concurrent streams x 200 events, 10 ms apart.

The server is the raw-asyncio baseline (scripts/bench_baseline.py), the cheapest one, so the
clients are pushed as hard as this workload can. Prints each client's CPU per event (the median
of ROUNDS alternating rounds, default 3), how much of one core it used, whether it kept the
events' 10 ms pace, and the ratio infer bench / baseline."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STREAMS, COUNT, INTERVAL_MS = 256, 200, 10
EVENTS = STREAMS * COUNT
IDEAL_S = COUNT * INTERVAL_MS / 1000


def start_server() -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen(
        [sys.executable, str(HERE / "bench_baseline.py"), "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    match = re.search(r"listening on (\d+)", server.stdout.readline())
    if not match:
        server.kill()
        raise SystemExit("the baseline server did not start")
    return server, int(match.group(1))


def timed(command: list[str]) -> tuple[float, str]:
    """Run ``command``; its CPU seconds (user + system, from wait4) and its stdout."""
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.DEVNULL, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read()
    if process.returncode not in (0,):
        raise SystemExit(f"{command[:4]} exited {process.returncode}:\n{output[-2000:]}")
    return usage.ru_utime + usage.ru_stime, output


def baseline_round(port: int) -> dict[str, float]:
    cpu, output = timed(
        [
            sys.executable,
            str(HERE / "bench_client.py"),
            "--port",
            str(port),
            "--path",
            "/infer",
            "--scenario",
            "concurrent",
            "--streams",
            str(STREAMS),
            "--count",
            str(COUNT),
            "--interval-ms",
            str(INTERVAL_MS),
        ]
    )
    result = json.loads(output)
    if result["lost"] or result["not_done"]:
        raise SystemExit(f"baseline client lost events: {result}")
    return {
        "process_cpu_us_per_event": cpu / EVENTS * 1e6,
        "load_s": result["elapsed_s"],
        "gap_p99_ms": result["gap_p99_ms"],
    }


def infer_round(port: int, body: Path) -> dict[str, float]:
    cpu, output = timed(
        [
            sys.executable,
            "-m",
            "infer",
            "bench",
            "--url",
            f"http://127.0.0.1:{port}/v2/models/synthetic",
            "--input-file",
            str(body),
            "--concurrency",
            str(STREAMS),
            "--requests",
            str(STREAMS),
            "--json",
        ]
    )
    level = json.loads(output)["levels"][0]
    if level["ok"] != STREAMS or level["events"] != EVENTS or level["violations"]["total"]:
        raise SystemExit(f"infer bench did not complete every stream: {level}")
    return {
        "process_cpu_us_per_event": cpu / EVENTS * 1e6,
        "loop_cpu_us_per_event": level["client"]["cpu_us_per_event"],
        "cpu_fraction": level["client"]["cpu_fraction"],
        "load_s": level["duration_s"],
        "gap_p99_ms": level["gap_ms"]["p99"],
    }


def main() -> int:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    body = Path(tempfile.mkstemp(suffix=".json")[1])
    body.write_text(
        json.dumps(
            {
                "inputs": [
                    {"name": "COUNT", "shape": [1], "datatype": "INT64", "data": [COUNT]},
                    {
                        "name": "INTERVAL_MS",
                        "shape": [1],
                        "datatype": "INT64",
                        "data": [INTERVAL_MS],
                    },
                ]
            }
        )
    )
    server, port = start_server()
    samples: dict[str, dict[str, list[float]]] = {"baseline": {}, "infer bench": {}}
    try:
        for number in range(rounds):
            print(f"round {number + 1}/{rounds} ...", file=sys.stderr, flush=True)
            for name, measure in (
                ("baseline", lambda: baseline_round(port)),
                ("infer bench", lambda: infer_round(port, body)),
            ):
                for key, value in measure().items():
                    samples[name].setdefault(key, []).append(value)
    finally:
        server.terminate()
        server.wait(10)
        body.unlink()
    median = {
        name: {key: statistics.median(values) for key, values in found.items()}
        for name, found in samples.items()
    }
    base, ours = median["baseline"], median["infer bench"]
    cores = os.cpu_count()
    print(
        f"{STREAMS} streams x {COUNT} events, {INTERVAL_MS} ms apart ({EVENTS} events; "
        f"{IDEAL_S:.1f} s if nothing lags), {cores} cores, medians of {rounds} rounds"
    )
    print(f"{'':44}{'baseline':>12}{'infer bench':>14}{'ratio':>8}")
    rows = [
        ("client CPU per event, whole process (us)", "process_cpu_us_per_event"),
        ("load duration (s)", "load_s"),
        ("inter-event gap p99 (ms)", "gap_p99_ms"),
    ]
    for label, key in rows:
        ratio = ours[key] / base[key] if base[key] else float("nan")
        print(f"{label:44}{base[key]:>12.2f}{ours[key]:>14.2f}{ratio:>7.2f}x")
    print(
        f"{'infer bench CPU per event, load only (us)':44}{'':>12}"
        f"{ours['loop_cpu_us_per_event']:>14.2f}"
    )
    print(f"{'infer bench share of one core during load':44}{'':>12}{ours['cpu_fraction']:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
