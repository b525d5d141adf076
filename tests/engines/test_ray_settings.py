"""The Ray engine without a cluster: option checks, Ray's overrides, the config file, and the
message a user without the `ray` extra gets."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from infer.app import app
from infer.engines.ray.serve_config import render
from infer.engines.ray.settings import RayServeSettings, replica_counts
from infer.errors import UsageError
from tests.servers import MODELS


def _settings(**changes: Any) -> RayServeSettings:
    return RayServeSettings(
        repo=MODELS / "ray_echo", model_name="rayecho", inference_time_s=60, **changes
    )


def test_ray_defaults_are_overridden_for_event_streams() -> None:
    settings = _settings(replicas=3, concurrency=8)
    model = settings.model_options()
    assert model["max_ongoing_requests"] == 8  # Ray's default is 5
    assert model["num_replicas"] == 3
    assert model["graceful_shutdown_timeout_s"] == 70  # Ray's default is 20 s
    assert settings.http_options()["request_timeout_s"] >= 60
    env = settings.cluster_env()
    assert env["RAY_worker_niceness"] == "0"  # Ray's default is 15
    assert env["RAY_SERVE_PROXY_PREFER_LOCAL_NODE_ROUTING"] == "0"
    assert int(env["RAY_SERVE_HAPROXY_HARD_STOP_AFTER_S"]) > 60  # Ray's default is 120 s
    # The gateway admits what the replicas can run, plus its queue.
    assert settings.gateway_config().concurrency == 24
    assert settings.gateway_options()["max_ongoing_requests"] >= 24 + 16


def test_autoscaling_targets_the_per_replica_concurrency() -> None:
    settings = _settings(min_replicas=1, max_replicas=4, concurrency=10)
    scaling = settings.model_options()["autoscaling_config"]
    assert (scaling["min_replicas"], scaling["max_replicas"]) == (1, 4)
    assert scaling["target_ongoing_requests"] == 8
    assert settings.gateway_config().concurrency == 40


@pytest.mark.parametrize(
    ("counts", "words"),
    [
        ((2, 1, 3), "either --replicas N or --min-replicas"),
        ((None, 1, None), "needs both --min-replicas and --max-replicas"),
        ((None, 4, 2), "--min-replicas 4 is more than --max-replicas 2"),
    ],
)
def test_conflicting_replica_options_are_refused(
    counts: tuple[int | None, int | None, int | None], words: str
) -> None:
    with pytest.raises(UsageError) as caught:
        replica_counts(*counts)
    assert words in caught.value.message + str(caught.value.hint)


def test_the_serve_config_names_the_builder_ships_the_repo_and_carries_the_overrides() -> None:
    text = render(_settings(replicas=2, concurrency=4, max_replicas_per_node=1))
    assert "RAY_worker_niceness=0" in text  # cluster-level settings, as comments
    config = yaml.safe_load(text)
    application = config["applications"][0]
    assert application["import_path"] == "infer.engines.ray.deployments:app_builder"
    assert application["runtime_env"]["working_dir"] == str(MODELS / "ray_echo")
    assert application["runtime_env"]["py_modules"][0].endswith("infer")
    assert application["args"]["concurrency"] == 4
    model, gateway = application["deployments"]
    assert (model["name"], model["max_replicas_per_node"]) == ("Model", 1)
    assert gateway["num_replicas"] == 1


def test_engine_ray_without_the_extra_says_how_to_install_it(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real = importlib.util.find_spec

    def without_ray(name: str, *args: Any) -> Any:
        return None if name.split(".")[0] == "ray" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_ray)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["serve", str(MODELS / "ray_echo"), "--engine", "ray"])
    assert result.exit_code == 2
    assert "needs Ray Serve, which is not installed" in result.output
    assert "pip install 'infer-cli[ray]'" in result.output
    result = runner.invoke(app, ["deploy", "--ray", str(MODELS / "ray_echo"), "--dry-run"])
    assert result.exit_code == 0  # writing the config needs no Ray
    assert "name: rayecho" in (tmp_path / "serve-rayecho.yaml").read_text()


def test_unknown_engine_and_reload_with_ray_are_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", str(MODELS / "ray_echo"), "--engine", "spark"])
    assert result.exit_code == 2
    assert "unknown engine 'spark'" in result.output
    result = runner.invoke(app, ["serve", str(MODELS / "ray_echo"), "--engine", "ray", "--reload"])
    assert result.exit_code == 2
    assert "--reload works with the local engine only" in result.output


def test_local_engine_options_are_refused_with_ray(runner: CliRunner, tmp_path: Path) -> None:
    repo = str(MODELS / "ray_echo")
    args = ["serve", repo, "--engine", "ray", "--isolated", "--env", "A=1"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "--isolated, --env work with the local engine only, not --engine ray" in result.output
    assert "A=1" not in result.output  # a value given with --env is never echoed


def test_deploy_without_a_target_is_refused(runner: CliRunner) -> None:
    result = runner.invoke(app, ["deploy", str(MODELS / "ray_echo")])
    assert result.exit_code == 2
    assert "pass --ray" in result.output


def test_help_and_serve_help_import_nothing_of_ray() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from infer.app import app;"
        "CliRunner().invoke(app, ['serve', '--help']);"
        "CliRunner().invoke(app, ['deploy', '--help']);"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "changes", [{"replicas": 2}, {"min_replicas": 1, "max_replicas": 4, "max_replicas_per_node": 1}]
)
def test_the_serve_config_is_valid_for_ray_serve(changes: dict[str, Any]) -> None:
    """Ray's own schema accepts what `infer deploy --ray` writes (no cluster needed)."""
    schema = pytest.importorskip("ray.serve.schema", reason="needs the ray extra")
    # As `infer deploy` rewrites it once Ray uploaded the packages.
    uploaded = {"working_dir": "gcs://_ray_pkg_0123.zip", "py_modules": ["gcs://_ray_pkg_4.zip"]}
    config = yaml.safe_load(render(_settings(**changes), uploaded))
    parsed = schema.ServeDeploySchema.model_validate(config)
    model = parsed.applications[0].deployments[0]
    assert model.max_ongoing_requests == _settings(**changes).concurrency
