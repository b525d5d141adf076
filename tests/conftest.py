"""Shared fixtures: a CLI runner and generated model repos."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infer.scaffold.catalog import list_templates
from tests import xdist_groups
from tests.servers import MODELS, ServerProcess

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_NAMES = [info.name for info in list_templates()]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `-n` (`--dist load`, the default), keep the groups in tests/xdist_groups.py whole."""
    if config.getvalue("dist") != "load":
        return None
    return xdist_groups.make_scheduler(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test marked `ray` or `model` must be in its xdist group (tests/xdist_groups.py)."""
    for item in items:
        problem = xdist_groups.misplaced(item.nodeid, {m.name for m in item.iter_markers()})
        if problem:
            raise pytest.UsageError(problem)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def infer_command(*args: str) -> list[str]:
    """The argv that runs the installed `infer` in a subprocess."""
    return [sys.executable, "-m", "infer", *args]


StartServer = Callable[..., ServerProcess]


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Start `infer serve` on a test model; every server started is stopped at teardown."""
    started: list[ServerProcess] = []

    def start(model: str | Path, *args: str, ready: bool = True, **kwargs: object) -> ServerProcess:
        repo = model if isinstance(model, Path) else MODELS / model
        server = ServerProcess(repo, *args, **kwargs)  # type: ignore[arg-type]
        started.append(server)
        if ready:
            server.wait_ready()
        return server

    yield start
    for server in started:
        server.stop()
