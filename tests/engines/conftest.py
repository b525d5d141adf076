"""Fixtures for the Ray engine: one two-node cluster per test session (starting one is costly)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from types import FrameType

import pytest

from tests.engines.ray_cluster import LocalRayCluster


@pytest.fixture(scope="session")
def ray_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRayCluster]:
    """A head and a worker node on 127.0.0.1, stopped (every process) at the end."""
    pytest.importorskip("ray.serve", reason="needs the ray extra: pip install -e '.[ray]'")
    cluster = LocalRayCluster(tmp_path_factory.mktemp("ray"))
    # A SIGTERM to pytest would skip fixture teardown and leave the cluster running.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        signal.signal(signal.SIGTERM, previous)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
