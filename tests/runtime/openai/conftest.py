"""Servers shared by a module's OpenAI tests (each started once, stopped at the module's end),
and an openai SDK client for them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from openai import OpenAI

from tests.servers import MODELS, ServerProcess

SharedServer = Callable[..., ServerProcess]


@pytest.fixture(scope="module")
def shared_server() -> Iterator[SharedServer]:
    """Start `infer serve` on a test model once per module and set of arguments."""
    started: dict[tuple[str, ...], ServerProcess] = {}

    def start(model: str, *args: str) -> ServerProcess:
        key = (model, *args)
        if key not in started:
            server = ServerProcess(MODELS / model, *args)
            started[key] = server
            server.wait_ready()
        return started[key]

    yield start
    for server in started.values():
        server.stop()


def sdk(server: ServerProcess, timeout: float = 60) -> OpenAI:
    """The real openai client pointed at ``server`` (no retries: tests see every status)."""
    return OpenAI(base_url=f"{server.url}/v1", api_key="local", max_retries=0, timeout=timeout)
