"""Isolated environments: a virtual environment per (Python, python_packages), built with uv.

Keyed by a hash of the interpreter and the normalised requirement list, so an unchanged
config reuses its environment and a changed one gets a new one (the old stays cached for
when the config changes back). uv's shared download cache makes rebuilds cheap. A build is
locked per key, and an environment counts only once its marker file is written, so an
interrupted build is redone, never half-used.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from infer.environment.build_config import BuildConfig, PackagePin
from infer.environment.interpreter import inspect_interpreter
from infer.environment.uv_errors import build_failure
from infer.environment.worker_support import install_worker_support
from infer.errors import EnvironmentBuildError
from infer.repo.sources import APP_FILE

CACHE_VARIABLE = "INFER_ENV_CACHE"
MARKER_FILE = "infer-env.json"
REQUIREMENTS_FILE = "infer-requirements.txt"
KEY_FORMAT = 1
# uv settings that change what gets installed, so they are part of the key.
UV_INDEX_VARIABLES = (
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_TORCH_BACKEND",
)
# What the platform's image provides for `import inferless` (its SDK builds on pydantic).
SDK_REQUIREMENT = "pydantic>=2"


@dataclass(frozen=True)
class EnvironmentPlan:
    """The environment a repo's config asks for: its key, folder and requirements."""

    key: str
    path: Path
    requirements: tuple[str, ...]
    pins: tuple[PackagePin, ...]
    base_python: str

    @property
    def python(self) -> Path:
        """The environment's interpreter."""
        scripts = "Scripts" if os.name == "nt" else "bin"
        return self.path / scripts / ("python.exe" if os.name == "nt" else "python")

    def is_built(self) -> bool:
        """Whether a complete environment exists for this plan."""
        return (self.path / MARKER_FILE).is_file() and self.python.exists()


@dataclass(frozen=True)
class BuildOutcome:
    """A ready environment, and whether it was reused or just built (and how long it took)."""

    plan: EnvironmentPlan
    reused: bool
    seconds: float


def cache_root() -> Path:
    """Where environments live: $INFER_ENV_CACHE, else ~/.cache/infer/envs."""
    if os.environ.get(CACHE_VARIABLE):
        return Path(os.environ[CACHE_VARIABLE]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "infer" / "envs"


def plan_environment(repo: Path, build: BuildConfig) -> EnvironmentPlan:
    """The environment for the repo's python_packages (plus what the platform's image adds)."""
    requirements = [_normalised(pin) for pin in build.python_packages]
    names = {canonicalize_name(Requirement(text).name) for text in requirements}
    if _imports_inferless(repo) and not names & {"inferless", "pydantic"}:
        requirements.append(SDK_REQUIREMENT)
    base_python = sys.executable
    identity = {
        "format": KEY_FORMAT,
        "python": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": sysconfig.get_platform(),
        "interpreter": os.path.realpath(getattr(sys, "_base_executable", sys.executable)),
        "requirements": sorted(requirements),
        "index": {name: os.environ[name] for name in UV_INDEX_VARIABLES if name in os.environ},
    }
    key = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return EnvironmentPlan(
        key, cache_root() / key, tuple(requirements), build.python_packages, base_python
    )


def ensure_environment(plan: EnvironmentPlan, on_line: Callable[[str], None]) -> BuildOutcome:
    """Reuse the plan's environment or build it; ``on_line`` receives the build's output.

    Either way the worker's own files are (re)shipped into it, under the same lock, so two
    `infer serve` runs sharing an environment never see it half-written.
    """
    started = time.perf_counter()
    plan.path.parent.mkdir(parents=True, exist_ok=True)
    with _locked(plan.path.parent / f"{plan.key}.lock", on_line):
        reused = plan.is_built()
        if not reused:
            shutil.rmtree(plan.path, ignore_errors=True)  # an interrupted build
            _build(plan, on_line)
        marker = json.loads((plan.path / MARKER_FILE).read_text())
        purelib = marker.get("purelib") or inspect_interpreter(str(plan.python)).purelib
        install_worker_support(plan.path, str(purelib))
    return BuildOutcome(plan, reused, time.perf_counter() - started)


def _build(plan: EnvironmentPlan, on_line: Callable[[str], None]) -> None:
    uv = _uv_binary()
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never", "NO_COLOR": "1"}
    _run([uv, "venv", "--python", plan.base_python, str(plan.path)], env, on_line, plan)
    requirements = plan.path / REQUIREMENTS_FILE
    requirements.write_text("".join(f"{line}\n" for line in plan.requirements))
    if plan.requirements:
        command = [uv, "pip", "install", "--python", str(plan.python), "-r", str(requirements)]
        _run(command, env, on_line, plan)
    marker = {
        "key": plan.key,
        "requirements": list(plan.requirements),
        "purelib": inspect_interpreter(str(plan.python)).purelib,
        "built": time.time(),
    }
    # Written last: an environment without it is an interrupted build, never used.
    (plan.path / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")


def _run(
    command: list[str], env: dict[str, str], on_line: Callable[[str], None], plan: EnvironmentPlan
) -> None:
    lines: list[str] = []
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    ) as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            lines.append(line)
            on_line(line)
        code = process.wait()
    if code != 0:
        shutil.rmtree(plan.path, ignore_errors=True)
        raise build_failure(lines, plan.pins, plan.requirements)


def _normalised(pin: PackagePin) -> str:
    try:
        return str(Requirement(pin.text))
    except InvalidRequirement as error:
        raise EnvironmentBuildError(
            f"python_packages entry {pin.text!r} ({pin.where}) is not a valid requirement",
            hint=f'use pip syntax, e.g. "transformers==4.41.1" ({error})',
        ) from None


def _imports_inferless(repo: Path) -> bool:
    try:
        tree = ast.parse((repo / APP_FILE).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "inferless" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "inferless":
            return True
    return False


def _uv_binary() -> str:
    try:
        from uv import find_uv_bin

        return str(find_uv_bin())
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise EnvironmentBuildError(
        "uv is not installed, and --isolated builds environments with it",
        hint="pip install uv (it is a dependency of infer-cli: reinstall infer-cli)",
    )


@contextlib.contextmanager
def _locked(path: Path, on_line: Callable[[str], None]) -> Iterator[None]:
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            on_line("waiting for another build of this environment to finish")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
