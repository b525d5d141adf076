"""Fixtures that start real servers and always stop them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.servers import MODELS, ServerProcess

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
