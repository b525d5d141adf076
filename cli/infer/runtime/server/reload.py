"""`infer serve --reload`: watch the repo, restart the worker only when that changes anything,
and say what was reloaded and how long it took.

- Python files and ``inferless-runtime-config.yaml`` change the model's code or packages: the
  worker restarts (``initialize()`` runs again, weights included).
- Except when app.py alone changed and ``initialize()`` did not (hot_swap.py decides from the
  source): the worker swaps the new code in and keeps the loaded weights (code_swap.py).
- ``inferless.yaml`` holds the served name and ``inference_time``, which the server read at
  start: it is re-read and, where it differs, the user is told to restart ``infer serve``.
- ``input.json`` is a sample request: nothing to reload, and it is said so.

Runs in the server process.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from infer.errors import InferError
from infer.repo.sources import APP_FILE
from infer.runtime.server.config import ServeConfig
from infer.runtime.server.hot_swap import decide_swap
from infer.runtime.server.state import Runtime
from infer.runtime.server.worker_state import Phase
from infer.runtime.wire import Kind

log = logging.getLogger("infer.serve")
WATCHED_SUFFIXES = (".py", ".yaml", ".yml", ".json")
RUNTIME_CONFIG = "inferless-runtime-config.yaml"
PLATFORM_CONFIG = "inferless.yaml"
SAMPLE_REQUEST = "input.json"


@dataclass(frozen=True)
class ReloadPlan:
    """What a batch of changed files asks for."""

    restart_worker: list[str]
    platform_config: bool
    sample_only: list[str]


def watched(path: str) -> bool:
    """Files whose edits matter to a running model (never bytecode caches or editor backups)."""
    return path.endswith(WATCHED_SUFFIXES) and "__pycache__" not in path


def plan_reload(repo: Path, paths: Iterable[str]) -> ReloadPlan:
    """Sort changed paths (absolute, inside ``repo``) into what each needs."""
    restart: set[str] = set()
    sample: set[str] = set()
    platform = False
    for path in paths:
        try:
            relative = Path(path).resolve().relative_to(repo.resolve()).as_posix()
        except ValueError:  # a symlink leading out of the repo: treat it as code
            relative = Path(path).name
        if relative == PLATFORM_CONFIG:
            platform = True
        elif relative == SAMPLE_REQUEST:
            sample.add(relative)
        else:
            restart.add(relative)
    return ReloadPlan(sorted(restart), platform, sorted(sample))


def platform_config_notice(config: ServeConfig) -> str:
    """What an edited inferless.yaml means for the running server."""
    from infer.runtime.server.repo_settings import read_repo_settings

    try:
        settings = read_repo_settings(config.repo)
    except InferError as error:
        return f"{PLATFORM_CONFIG} changed and does not read: {error.message}"
    differs = []
    if settings.name != config.model_name:
        differs.append(f"name {config.model_name!r} -> {settings.name!r}")
    if settings.inference_time_s != config.inference_time_s:
        differs.append(
            f"inference_time {config.inference_time_s:g} s -> {settings.inference_time_s:g} s"
        )
    if not differs:
        return f"{PLATFORM_CONFIG} changed: nothing the local server uses differs"
    return f"{PLATFORM_CONFIG} changed ({'; '.join(differs)}): restart `infer serve` to apply it"


async def restart_and_time(runtime: Runtime, changed: list[str]) -> str:
    """Restart the worker, wait until it is ready (or failed), and say how long it took."""
    what = ", ".join(changed)
    started = time.perf_counter()
    await runtime.supervisor.restart(f"changed: {what}")
    while runtime.worker_state.phase not in {Phase.READY, Phase.FAILED, Phase.STOPPED}:
        await runtime.supervisor.ready_event.wait()
        await asyncio.sleep(0)
    elapsed = time.perf_counter() - started
    if runtime.worker_state.phase != Phase.READY:
        return f"reload: {what} changed; the worker restarted but failed to load ({elapsed:.1f} s)"
    return f"reload: {what} changed; restarted the worker, ready again in {elapsed:.1f} s"


def read_app(repo: Path) -> str:
    """app.py's text, or "" when it cannot be read (then nothing matches it: a full restart)."""
    try:
        return (repo / APP_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


async def swap_or_restart(runtime: Runtime, repo: Path, running: str) -> tuple[str, str]:
    """Swap app.py's new code into the worker when initialize() is unchanged, else restart.

    ``running`` is the app.py source the worker runs; returns the announcement and the source
    the worker runs afterwards.
    """
    new = read_app(repo)
    decision = decide_swap(running, new)
    if decision.broken:
        return (
            f"reload: {APP_FILE} changed but does not parse ({decision.reason}); "
            "still serving the previous code",
            running,
        )
    reason = decision.reason
    if decision.swap:
        started = time.perf_counter()
        kind, data = await runtime.supervisor.swap_code()
        elapsed_ms = (time.perf_counter() - started) * 1000
        if kind == Kind.SWAPPED:
            return (
                f"reload: {APP_FILE} changed ({reason}); swapped the code in {elapsed_ms:.0f} ms, "
                "weights kept (initialize() not re-run)",
                new,
            )
        if not data.get("restart"):
            return (
                f"reload: {APP_FILE} changed; {data.get('message')}; "
                "still serving the previous code",
                running,
            )
        reason = str(data.get("message"))
    return f"{await restart_and_time(runtime, [APP_FILE])} ({reason})", new


async def reload_on_change(
    runtime: Runtime, config: ServeConfig, announce: Callable[[str], None]
) -> None:
    """Watch the repo until cancelled; announce each reload (or why none was needed)."""
    from watchfiles import awatch

    running = read_app(config.repo)  # what the worker runs: a code swap is judged against it
    async for changes in awatch(config.repo, watch_filter=lambda _, path: watched(path)):
        plan = plan_reload(config.repo, (path for _, path in changes))
        if plan.sample_only:
            files = ", ".join(plan.sample_only)
            announce(f"reload: {files} changed; a sample request only, nothing to reload")
        if plan.platform_config:
            announce(f"reload: {platform_config_notice(config)}")
        code_only = plan.restart_worker == [APP_FILE]
        if code_only and runtime.worker_state.phase == Phase.READY:
            message, running = await swap_or_restart(runtime, config.repo, running)
            announce(message)
        elif plan.restart_worker:
            running = read_app(config.repo)
            if config.worker.isolated and RUNTIME_CONFIG in plan.restart_worker:
                log.warning(
                    "the runtime config changed: restart `infer serve --isolated` to rebuild"
                )
            announce(await restart_and_time(runtime, plan.restart_worker))
