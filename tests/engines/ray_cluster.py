"""A two-node Ray cluster on 127.0.0.1 for tests: `ray start --head` plus `ray start --address`.

Every process a node starts carries INFER_RAY_TEST=<run>-<node> in its environment, so a test
can kill exactly one node (all its processes) and the teardown can stop exactly what this run
started, without touching any other Ray on the machine.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from infer.engines.ray.settings import RayServeSettings

RAY = Path(sys.executable).parent / "ray"
START_TIMEOUT_S = 120
# Notice a dead node within a few seconds (Ray's default takes tens of seconds).
FAST_FAILURE_DETECTION = {
    "RAY_health_check_initial_delay_ms": "1000",
    "RAY_health_check_period_ms": "1000",
    "RAY_health_check_timeout_ms": "1000",
    "RAY_health_check_failure_threshold": "3",
}


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalRayCluster:
    """Head and worker node processes, started with the ray CLI and stopped by marker."""

    def __init__(self, workdir: Path) -> None:
        self.run_id = uuid.uuid4().hex[:8]
        self.workdir = workdir
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        # Serve keeps its first HTTP options for the cluster's life: every test uses this port.
        self.http_port = free_port()
        self.nodes: list[str] = []
        # Ray maps 127.0.0.1 to the machine's address for its own ports (it refuses loopback
        # node addresses), so the cluster keeps Ray's token authentication on.
        self.token = secrets.token_hex(32)
        self.sessions: set[str] = set()

    def client_env(self) -> dict[str, str]:
        """What a driver (`infer serve --address`, `infer deploy`) needs to join the cluster."""
        return {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": self.token}

    def _env(self, node: str) -> dict[str, str]:
        settings = RayServeSettings(repo=Path("."), model_name="x", inference_time_s=60)
        # Not measured: coverage would start in each of Ray's many Python processes (only the
        # replicas run infer's code, and Ray ends them with SIGKILL, so their data never lands).
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_")}
        return {
            **inherited,
            **settings.cluster_env(),
            **FAST_FAILURE_DETECTION,
            "RAY_USAGE_STATS_ENABLED": "0",
            **self.client_env(),
            "INFER_TEST_NODE": node,
            "INFER_RAY_TEST": f"{self.run_id}-{node}",
        }

    def _node_args(self, node: str, worker_ports: tuple[int, int]) -> list[str]:
        return [
            "--node-ip-address=127.0.0.1",
            # One CPU per node and one per replica: two replicas land on two nodes.
            "--num-cpus=1",
            f"--resources={json.dumps({f'infer_{node}': 1})}",
            "--object-store-memory=80000000",
            f"--min-worker-port={worker_ports[0]}",
            f"--max-worker-port={worker_ports[1]}",
            f"--dashboard-agent-listen-port={free_port()}",
            f"--dashboard-agent-grpc-port={free_port()}",
            f"--metrics-export-port={free_port()}",
            f"--runtime-env-agent-port={free_port()}",
            f"--node-manager-port={free_port()}",
            f"--object-manager-port={free_port()}",
            "--disable-usage-stats",
        ]

    def start(self) -> None:
        """Start the head, then a second node that joins it."""
        head = [
            str(RAY),
            "start",
            "--head",
            f"--port={self.port}",
            "--include-dashboard=false",
            f"--ray-client-server-port={free_port()}",
            *self._node_args("head", (23000, 23499)),
        ]
        self._run(head, "head")
        worker = [str(RAY), "start", f"--address={self.address}"]
        self._run([*worker, *self._node_args("worker", (23500, 23999))], "worker")

    def _run(self, command: list[str], node: str) -> None:
        self.nodes.append(node)
        result = subprocess.run(
            command,
            env=self._env(node),
            capture_output=True,
            text=True,
            timeout=START_TIMEOUT_S,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(f"ray start ({node}) failed:\n{result.stdout}\n{result.stderr}")
        for pid in self.pids(node):
            self.sessions |= set(SESSION.findall(_cmdline(pid)))

    def pids(self, node: str) -> list[int]:
        """Every live process of one node of this cluster."""
        marker = f"INFER_RAY_TEST={self.run_id}-{node}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if marker in environ.split(b"\0"):
                found.append(int(entry.name))
        return found

    def kill_node(self, node: str, sig: int = signal.SIGKILL) -> int:
        """Kill every process of ``node`` at once (a machine lost); returns how many."""
        pids = _with_descendants(self.pids(node))
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return len(pids)

    def _all_pids(self) -> list[int]:
        # Processes that retitle themselves (ray::DashboardAgent) lose their environment in
        # /proc; they still name the cluster's session directory on their command line.
        found = {pid for node in self.nodes for pid in self.pids(node)}
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit() and set(SESSION.findall(_cmdline(int(entry.name)))) & (
                self.sessions
            ):
                found.add(int(entry.name))
        found.discard(os.getpid())
        # The agents a raylet starts retitle themselves too: find them as its children.
        return _with_descendants(sorted(found))

    def stop(self) -> None:
        """Stop every process this cluster started: SIGTERM, then SIGKILL what is left."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self._all_pids():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, sig)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and self._all_pids():
                time.sleep(0.2)


SESSION = re.compile(r"session_\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d_\d+_\d+")


def _with_descendants(pids: list[int]) -> list[int]:
    found = list(pids)
    for pid in found:
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                found += [
                    int(child) for child in task.read_text().split() if int(child) not in found
                ]
    return found


def _cmdline(pid: int) -> str:
    try:
        return (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return ""
