"""Why the model could not start, in one sentence, and what to do about it.

The worker reports a failure as a message (``importing the model raised ModuleNotFoundError:
No module named 'awq'``) plus a traceback. This turns the common cases into a reason and a
hint: a missing module → which python_packages entry provides it and whether --isolated would
have it; CUDA asked for where there is none; out of memory → what was asked for and what
there was. The traceback is for --log-level debug.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from infer.environment.device import gpus_on_machine
from infer.environment.launch import WorkerEnvironment
from infer.repo.sources import RUNTIME_CONFIG_FILE
from infer.validate.distributions import dependency_closure, distributions_for_import

MISSING_MODULE = re.compile(r"No module named '([\w.]+)'")
MISSING_VARIABLE = re.compile(r"KeyError: '([A-Z][A-Z0-9_]*)'")
CUDA_OOM = re.compile(r"CUDA out of memory|OutOfMemoryError")
NO_CUDA = re.compile(
    r"Torch not compiled with CUDA enabled|Found no NVIDIA driver|No CUDA GPUs are available"
    r"|CUDA driver initialization failed|no CUDA-capable device|CUDA_VISIBLE_DEVICES"
)


@dataclass(frozen=True)
class FailureExplanation:
    """What went wrong, and what to do."""

    reason: str
    hint: str | None = None


def explain_failure(failure: dict[str, Any], worker: WorkerEnvironment) -> FailureExplanation:
    """The reason and hint for a worker that could not load the model."""
    message = str(failure.get("message") or "the model could not be loaded")
    if match := MISSING_MODULE.search(message):
        return _missing_module(message, match.group(1), worker)
    if CUDA_OOM.search(message):
        return _out_of_gpu_memory(message)
    if NO_CUDA.search(message):
        return _no_cuda(message, worker)
    if (match := MISSING_VARIABLE.search(message)) and match.group(1) not in worker.variables:
        name = match.group(1)
        return FailureExplanation(
            message,
            f"{name} is not set in the worker's environment: pass --env {name}=VALUE or "
            f"--env-file FILE, or add it to `env` in inferless.yaml",
        )
    if "exit code -9" in message:
        return FailureExplanation(
            message,
            "SIGKILL while loading is most often the kernel's out-of-memory killer: the model "
            "needs more RAM than is free (dmesg says so if it was)",
        )
    if "MemoryError" in message:
        return FailureExplanation(
            message,
            "the worker ran out of RAM: the platform's vcpu/ram in inferless.yaml bound it too",
        )
    return FailureExplanation(message)


def log_failure(
    failure: dict[str, Any], worker: WorkerEnvironment, log: logging.Logger, waiting: bool
) -> None:
    """Log the explanation (and the traceback at debug level)."""
    explanation = explain_failure(failure, worker)
    log.error("the model could not start: %s", explanation.reason)
    if explanation.hint:
        log.error("hint: %s", explanation.hint)
    if failure.get("traceback"):
        log.debug("%s", str(failure["traceback"]).rstrip())
    if waiting:
        log.info("waiting for a fix: --reload restarts the worker when a file changes")
    elif failure.get("traceback") and not log.isEnabledFor(logging.DEBUG):
        log.info("the traceback is shown with --log-level debug")


def _missing_module(message: str, module: str, worker: WorkerEnvironment) -> FailureExplanation:
    top = module.split(".")[0]
    pin = _pin_providing(top, worker.python_packages)
    during = "initialize()" if message.startswith("initialize()") else "importing app.py"
    reason = f"{during} failed: the worker's Python has no module {module!r}"
    if pin is not None and not worker.isolated:
        hint = (
            f"{RUNTIME_CONFIG_FILE} pins {pin!r}, which provides {top!r}, but the worker's Python "
            f"does not have it: `infer serve --isolated` runs the model in an environment built "
            f"from python_packages, which installs it; or install it here: pip install '{pin}'"
        )
    elif pin is not None:
        hint = (
            f"python_packages pins {pin!r}, yet {top!r} is not importable in the isolated "
            "environment: check that this package really provides the module"
        )
    else:
        installed = _installed_provider(top)
        example = f'"{installed}"' if installed else f'"{distributions_for_import(top)[0]}==X.Y.Z"'
        hint = (
            f"no python_packages entry provides {top!r}: add the package that does to "
            f"{RUNTIME_CONFIG_FILE} (e.g. {example}); the platform installs only that list, "
            f"so `--isolated` would not have it either"
        )
        if installed and not worker.isolated:
            hint += f" (it is installed here as {installed}, which is why only the platform fails)"
    return FailureExplanation(reason, hint)


def _pin_providing(module: str, pins: tuple[str, ...]) -> str | None:
    """The pin that installs ``module``: directly, through its dependencies, or by name."""
    wanted = set(distributions_for_import(module))
    names: list[tuple[str, str]] = []
    for text in pins:
        with contextlib.suppress(InvalidRequirement):
            names.append((text, canonicalize_name(Requirement(text).name)))
    for text, name in names:
        if name in wanted:
            return text
    for text, name in names:
        if wanted & dependency_closure([name]):
            return text
    for text, name in names:
        if canonicalize_name(module) in name:
            return text  # "awq" in "autoawq"
    return None


def _providers_here(module: str) -> list[str]:
    try:
        return metadata.packages_distributions().get(module, [])
    except Exception:  # a broken distribution must not hide the real error
        return []


def _installed_provider(module: str) -> str | None:
    for name in _providers_here(module):
        try:
            return f"{canonicalize_name(name)}=={metadata.version(name)}"
        except metadata.PackageNotFoundError:
            continue
    return None


def _out_of_gpu_memory(message: str) -> FailureExplanation:
    asked = re.search(r"[Tt]ried to allocate ([\d.]+ [KMGT]i?B)", message)
    total = re.search(r"total capacity of ([\d.]+ [KMGT]i?B)", message)
    free = re.search(r"of which ([\d.]+ [KMGT]i?B) is free", message)
    parts = [
        f"asked for {asked.group(1)}" if asked else "",
        f"the GPU has {total.group(1)} in all" if total else "",
        f"{free.group(1)} free" if free else "",
    ]
    detail = ", ".join(part for part in parts if part)
    reason = "the model ran out of GPU memory" + (f" ({detail})" if detail else "")
    return FailureExplanation(
        reason,
        "load a smaller or quantized model, or pick a larger gpu_type in inferless.yaml; "
        "another process may also hold GPU memory (nvidia-smi shows it)",
    )


def _no_cuda(message: str, worker: WorkerEnvironment) -> FailureExplanation:
    reason = f"the model asked for a CUDA GPU and the worker has none ({message})"
    if worker.device == "cpu":
        hint = "--device cpu hides the GPU from the worker: use --device auto or --device gpu"
    elif gpus_on_machine() == 0:
        hint = (
            "this machine has no NVIDIA GPU: make the model fall back to CPU "
            '(device = "cuda" if torch.cuda.is_available() else "cpu") to run it here'
        )
    else:
        hint = "the worker's torch may be a CPU build: the parity report above shows its CUDA"
    return FailureExplanation(reason, hint)
