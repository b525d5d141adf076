"""Everything `infer serve` settles before the worker starts: which Python (building the
isolated environment if asked), which variables, which device, and the parity report."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from infer.environment.build_config import read_build_config
from infer.environment.device import gpus_on_machine
from infer.environment.env_reads import find_variable_reads
from infer.environment.interpreter import inspect_interpreter
from infer.environment.isolated import BuildOutcome, ensure_environment, plan_environment
from infer.environment.launch import Device, WorkerEnvironment
from infer.environment.parity import ParityReport, build_report
from infer.environment.system_packages import installed_system_packages
from infer.environment.variables import collect_variables


@dataclass(frozen=True)
class PreparedWorker:
    """How to start the worker, the parity report, and the isolated build (if any)."""

    worker: WorkerEnvironment
    report: ParityReport
    device_summary: str
    build: BuildOutcome | None = None


def prepare_worker(
    repo: Path,
    device: Device,
    isolated: bool,
    env_args: Sequence[str],
    env_files: Sequence[Path],
    on_build_line: Callable[[str], None],
    shell: Mapping[str, str] | None = None,
) -> PreparedWorker:
    """Settle the worker's environment; builds the isolated one first when asked."""
    shell = os.environ if shell is None else shell
    build = read_build_config(repo)
    variables = collect_variables(repo, env_args, env_files, shell)
    outcome = None
    python = sys.executable
    if isolated:
        outcome = ensure_environment(plan_environment(repo, build), on_build_line)
        python = str(outcome.plan.python)
    facts = inspect_interpreter(python)
    system = installed_system_packages(build.system_packages) if build.system_packages else {}
    report = build_report(
        interpreter=f"{python} (Python {facts.version})",
        build=build,
        facts=facts,
        system=system,
        device=device,
        variables=variables,
        reads=find_variable_reads(repo),
        shell=shell,
        isolated=isolated,
    )
    worker = WorkerEnvironment(
        python=python,
        device=device,
        variables=dict(variables.values),
        isolated_env=outcome.plan.path if outcome else None,
        python_packages=build.requirements,
    )
    return PreparedWorker(worker, report, describe_device(device), outcome)


def describe_device(device: Device) -> str:
    """What --device means on this machine, before the model says what it got."""
    gpus = gpus_on_machine()
    if device == "cpu":
        return "cpu (--device cpu hides any GPU from the worker)"
    if device == "gpu":
        return f"gpu required ({gpus} NVIDIA GPU{'s' if gpus != 1 else ''} on this machine)"
    if gpus:
        return f"auto: the worker sees {gpus} NVIDIA GPU{'s' if gpus != 1 else ''}"
    return "auto: no GPU on this machine, so cpu"
