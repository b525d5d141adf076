"""`infer deploy --ray` against the session's two-node cluster (runs before test_ray_serve)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml

from tests.engines.ray_cluster import LocalRayCluster
from tests.servers import MODELS, parse_sse, v2_body

pytestmark = [pytest.mark.ray, pytest.mark.timeout(400)]


def test_deploy_writes_the_config_applies_it_and_the_app_outlives_the_command(
    ray_cluster: LocalRayCluster, tmp_path: Path
) -> None:
    config = tmp_path / "serve.yaml"
    command = [
        sys.executable,
        "-m",
        "infer",
        "deploy",
        "--ray",
        str(MODELS / "ray_echo"),
        "--address",
        ray_cluster.address,
        "--port",
        str(ray_cluster.http_port),
        "--replicas",
        "1",
        "--concurrency",
        "4",
        "--config",
        str(config),
    ]
    env = {**os.environ, **ray_cluster.client_env()}
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, env=env
    )
    assert result.returncode == 0, result.stderr
    url = f"http://127.0.0.1:{ray_cluster.http_port}"
    assert result.stdout.strip() == url

    written = yaml.safe_load(config.read_text())
    # Rewritten with the packages Ray uploaded: valid for `serve deploy` on this cluster.
    shipped = written["applications"][0]["runtime_env"]
    assert shipped["working_dir"].startswith("gcs://")
    assert all(uri.startswith("gcs://") for uri in shipped["py_modules"])
    model = written["applications"][0]["deployments"][0]
    assert model["max_ongoing_requests"] == 4
    assert model["graceful_shutdown_timeout_s"] >= 60  # the repo's inference_time

    body = v2_body(TEXT="deployed on ray")
    with httpx.stream("POST", f"{url}/v2/models/rayecho/infer", json=body, timeout=60) as response:
        assert response.status_code == 200
        events, _ = parse_sse(b"".join(response.iter_bytes()))
    assert [json.loads(e.data)["OUT"] for e in events[:-1]] == ["deployed ", "on ", "ray "]
    assert events[-1].event == "done"
