"""Asking the worker's Python what it has: in this process when it is this Python."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infer.environment import probe
from infer.errors import InferError

PROBE_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class InterpreterFacts:
    """One interpreter: its version, distributions, torch's CUDA build, module owners."""

    executable: str
    version: str
    implementation: str
    platform: str
    purelib: str
    distributions: dict[str, str]
    torch_cuda: str | None  # None: torch not installed; "cpu": a CPU build
    modules: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> InterpreterFacts:
        """From the probe's output."""
        return cls(
            executable=str(data["executable"]),
            version=str(data["version"]),
            implementation=str(data["implementation"]),
            platform=str(data["platform"]),
            purelib=str(data["purelib"]),
            distributions={str(k): str(v) for k, v in data["distributions"].items()},
            torch_cuda=data.get("torch_cuda"),
            modules={str(k): list(v) for k, v in (data.get("modules") or {}).items()},
        )


def inspect_interpreter(python: str, with_modules: bool = False) -> InterpreterFacts:
    """What ``python`` has installed."""
    if python == sys.executable:
        return InterpreterFacts.from_json(probe.describe_interpreter(with_modules))
    command = [python, "-I", str(Path(probe.__file__)), *(["--modules"] if with_modules else [])]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise InferError(f"cannot inspect the Python at {python}: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise InferError(f"cannot inspect the Python at {python}: {last}")
    return InterpreterFacts.from_json(json.loads(done.stdout))
