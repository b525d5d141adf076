"""`infer serve --engine ray` on a real two-node Ray cluster on 127.0.0.1.

One cluster and one served application for the whole module; the node-kill test runs last.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.engines.ray_cluster import LocalRayCluster
from tests.servers import MODELS, ServerProcess, SSEEvent, parse_sse, v2_body

pytestmark = [pytest.mark.ray, pytest.mark.timeout(600)]
MODEL = "rayecho"
INFER = f"/v2/models/{MODEL}/infer"


@pytest.fixture(scope="module")
def ray_server(ray_cluster: LocalRayCluster) -> Iterator[ServerProcess]:
    """The ray_echo model, two replicas (one per node), behind Ray Serve."""
    server = ServerProcess(
        MODELS / "ray_echo",
        "--engine",
        "ray",
        "--address",
        ray_cluster.address,
        "--port",
        str(ray_cluster.http_port),
        "--replicas",
        "2",
        "--concurrency",
        "16",
        "--resume-grace",
        "2",
        "--heartbeat",
        "1",
        env=ray_cluster.client_env(),
    )
    try:
        server.wait_for_line("infer serve: ready", timeout=240)
        yield server
    finally:
        server.stop(timeout=60)


def _stream(url: str, **inputs: object) -> tuple[list[SSEEvent], list[str]]:
    with httpx.stream("POST", url + INFER, json=v2_body(**inputs), timeout=60) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        raw = b"".join(response.iter_bytes())
    assert re.match(rb"retry: 3000\nid: \w+:0\n\n", raw)  # sent at admission
    return parse_sse(raw)


def _check_complete(events: list[SSEEvent], count: int) -> set[str]:
    assert [event.seq for event in events] == list(range(1, count + 2))
    terminal = [event for event in events if event.event != "message"]
    assert [event.event for event in terminal] == ["done"]
    assert json.loads(terminal[0].data)["events"] == count
    data = [json.loads(event.data) for event in events[:-1]]
    assert [item["OUT"] for item in data] == [f"w{i} " for i in range(count)]
    return {item["NODE"] for item in data}


def test_sixteen_concurrent_streams_complete_across_both_nodes(ray_server: ServerProcess) -> None:
    count = 30
    with ThreadPoolExecutor(16) as pool:
        results = list(
            pool.map(lambda _: _stream(ray_server.url, TEXT="x", COUNT=count, DELAY=20), range(16))
        )
    nodes: set[str] = set()
    for events, _ in results:
        nodes |= _check_complete(events, count)
    assert nodes == {"head", "worker"}


def test_metadata_and_validation_are_the_local_runtimes(ray_server: ServerProcess) -> None:
    metadata = httpx.get(f"{ray_server.url}/v2/models/{MODEL}", timeout=10).json()
    assert metadata["streaming"] is True
    assert [spec["name"] for spec in metadata["inputs"]] == ["TEXT", "DELAY", "COUNT", "MARKER"]
    bad = httpx.post(ray_server.url + INFER, json=v2_body(TXT="hi"), timeout=10)
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_inputs"


def test_client_disconnect_stops_generation_on_the_replica(
    ray_server: ServerProcess, tmp_path: Path
) -> None:
    marker = tmp_path / "cancelled"
    body = v2_body(TEXT="x", COUNT=3000, DELAY=20, MARKER=str(marker))
    with httpx.stream("POST", ray_server.url + INFER, json=body, timeout=30) as response:
        seen = 0
        for line in response.iter_lines():
            seen += line.startswith("data:")
            if seen == 3:
                break
    # The stream stays resumable for --resume-grace (2 s), then the replica is told to stop.
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.read_text() == "cancelled"


def test_resume_with_last_event_id_continues_the_same_stream(ray_server: ServerProcess) -> None:
    body = v2_body(TEXT="x", COUNT=60, DELAY=30)
    with httpx.stream("POST", ray_server.url + INFER, json=body, timeout=30) as response:
        resume_url = response.headers["x-resume-url"]
        last_id = ""
        for line in response.iter_lines():
            if line.startswith("id: ") and line.endswith(":5"):
                last_id = line.removeprefix("id: ")
                break
    resumed = httpx.get(
        ray_server.url + resume_url, headers={"Last-Event-ID": last_id}, timeout=60
    ).content
    events, _ = parse_sse(resumed)
    assert [event.seq for event in events] == list(range(6, 62))
    assert events[-1].event == "done"
    assert json.loads(events[0].data)["OUT"] == "w5 "


def test_killing_a_node_mid_stream_ends_its_streams_with_an_in_band_error(
    ray_server: ServerProcess, ray_cluster: LocalRayCluster
) -> None:
    """Runs last: the worker node does not come back."""
    streams: list[dict[str, object]] = [{} for _ in range(8)]
    started = threading.Barrier(len(streams) + 1, timeout=120)

    def read(slot: dict[str, object]) -> None:
        body = v2_body(TEXT="x", COUNT=400, DELAY=25)
        raw = b""
        with httpx.stream("POST", ray_server.url + INFER, json=body, timeout=120) as response:
            for chunk in response.iter_bytes():
                raw += chunk
                if "node" not in slot and b"NODE" in raw:
                    first = next(e for e in parse_sse(raw)[0] if e.event == "message")
                    slot["node"] = json.loads(first.data)["NODE"]
                    started.wait()
        slot["events"] = parse_sse(raw)[0]

    threads = [threading.Thread(target=read, args=(slot,)) for slot in streams]
    for thread in threads:
        thread.start()
    started.wait()
    assert {slot["node"] for slot in streams} == {"head", "worker"}
    assert ray_cluster.kill_node("worker") > 0
    for thread in threads:
        thread.join(timeout=150)
        assert not thread.is_alive()
    for slot in streams:
        events = slot["events"]
        assert isinstance(events, list)
        terminal = [event for event in events if event.event != "message"]
        assert len(terminal) == 1 and terminal[0] is events[-1]
        ids = [event.seq for event in events]
        assert ids == list(range(1, len(events) + 1))
        if slot["node"] == "worker":
            assert terminal[0].event == "error"
            error = json.loads(terminal[0].data)
            assert error["code"] == "worker_crashed"
            assert error["retryable"] is True
        else:
            assert terminal[0].event == "done"


def test_stopping_the_server_ends_live_streams_in_band(ray_server: ServerProcess) -> None:
    """Runs after the node kill: the head's replica still serves; SIGTERM stops everything."""
    body = v2_body(TEXT="x", COUNT=2000, DELAY=20)
    raw = b""
    stopper = threading.Thread(target=ray_server.stop, daemon=True)
    with httpx.stream("POST", ray_server.url + INFER, json=body, timeout=60) as response:
        for chunk in response.iter_bytes():
            raw += chunk
            seen_third = re.search(rb"id: \w+:3\n", raw) is not None
            if seen_third and not stopper.is_alive() and stopper.ident is None:
                stopper.start()
    events, _ = parse_sse(raw)
    assert events[-1].event == "error"
    assert json.loads(events[-1].data)["code"] == "server_shutting_down"
    stopper.join(timeout=60)
    assert ray_server.process.returncode == 0
