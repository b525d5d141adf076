"""Start-up cost of `infer serve --isolated`: building vs reusing the environment.

Times start → ready (/v2/health/ready 200) for one small repo (python_packages six==1.15.0,
packaging==21.3) three ways, alternating rounds, medians: plain `infer serve` (the baseline:
the worker in infer's own Python), `--isolated` reusing its environment, and `--isolated`
building it (a fresh environment folder each time; uv's download cache stays warm, as after
any first build). Prints each against the baseline.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

APP = """
class InferlessPythonModel:
    def initialize(self):
        pass

    def infer(self, inputs):
        try:
            import six
            version = six.__version__
        except ImportError:
            version = "not installed"
        return {"six": version}
"""
SCHEMA = 'INPUT_SCHEMA = {"prompt": {"datatype": "STRING", "required": True, "shape": [1]}}\n'
CONFIG = (
    'build:\n  cuda_version: "12.4.1"\n  python_packages:\n'
    '    - "six==1.15.0"\n    - "packaging==21.3"\n'
)
URL = re.compile(rb"on (http://[\d.]+:\d+)")


def start_to_ready(repo: Path, env: dict[str, str], *args: str) -> float:
    """Seconds from starting `infer serve` to a 200 from /v2/health/ready."""
    started = time.perf_counter()
    command = [sys.executable, "-m", "infer", "serve", str(repo), "--port", "0", *args]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
    try:
        assert process.stderr is not None
        output = b""
        while not (match := URL.search(output)):
            line = process.stderr.readline()
            if not line:
                raise SystemExit("infer serve exited:\n" + output.decode())
            output += line
        while True:
            try:
                with urllib.request.urlopen(match.group(1).decode() + "/v2/health/ready") as answer:
                    if answer.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.02)
    finally:
        process.terminate()
        process.wait(30)


def main() -> None:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    with tempfile.TemporaryDirectory(prefix="infer-bench-isolated-") as folder:
        root = Path(folder)
        repo = root / "repo"
        repo.mkdir()
        (repo / "app.py").write_text(APP)
        (repo / "input_schema.py").write_text(SCHEMA)
        (repo / "inferless-runtime-config.yaml").write_text(CONFIG)
        times: dict[str, list[float]] = {"plain": [], "reuse": [], "build": []}
        for index in range(rounds):
            cache = root / f"envs-{index}"
            env = {**os.environ, "INFER_ENV_CACHE": str(cache)}
            times["plain"].append(start_to_ready(repo, env))
            times["build"].append(start_to_ready(repo, env, "--isolated"))
            times["reuse"].append(start_to_ready(repo, env, "--isolated"))
            shutil.rmtree(cache)
    base = statistics.median(times["plain"])
    print(f"start -> ready, median of {rounds} alternating rounds (this machine, this run)")
    for name, label in [
        ("plain", "infer serve (baseline)"),
        ("reuse", "--isolated, env reused"),
        ("build", "--isolated, env built"),
    ]:
        value = statistics.median(times[name])
        print(f"  {label:<24} {value:6.2f} s   x{value / base:4.2f}   ({value - base:+.2f} s)")


if __name__ == "__main__":
    main()
