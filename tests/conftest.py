"""Shared fixtures: a CLI runner and generated model repos."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.scaffold.catalog import list_templates
from tests.servers import MODELS, ServerProcess

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE_NAMES = [info.name for info in list_templates()]


# Tests that share one costly thing run on one xdist worker (`--dist loadgroup`), in order:
# the Ray tests share one two-node cluster (a session fixture), and the SmolLM2 tests share the
# model cache the first of them fills (converting the GGUF twice at once would waste minutes).
XDIST_GROUPS = {"ray": "ray-cluster", "model": "smollm2"}


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put each test that carries a marker in XDIST_GROUPS into that marker's xdist group."""
    for item in items:
        for marker, group in XDIST_GROUPS.items():
            if item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.xdist_group(group))


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
