"""Every default has one source: ServeConfig for `infer serve`, `infer deploy` and the Ray engine,
and the README says the same numbers as the commands' own option defaults."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest
from typer.main import get_command

from infer.app import app
from infer.engines.ray.settings import RayServeSettings
from infer.repo.inferless_settings import DEFAULT_INFERENCE_TIME_S
from infer.runtime.server.config import ServeConfig
from tests.conftest import ROOT

# `infer serve` option → the ServeConfig field it fills.
SERVE_OPTIONS = {
    "host": "host",
    "port": "port",
    "concurrency": "concurrency",
    "queue_size": "queue_size",
    "heartbeat": "heartbeat_s",
    "resume_grace": "resume_grace_s",
    "replay_buffer": "replay_capacity",
    "shutdown_grace": "shutdown_grace_s",
    "max_connections": "max_connections",
    "keep_alive_timeout": "keep_alive_timeout_s",
    "header_timeout": "header_timeout_s",
    "log_level": "log_level",
}
README_DEFAULT = re.compile(r"`--([a-z-]+)`[^`()]{0,60}\(default (\d+(?:\.\d+)?)")


def _options(command: str) -> dict[str, Any]:
    group: Any = get_command(app)
    params = group.commands[command].params
    return {param.name: param.default for param in params}


def _field_defaults(cls: type) -> dict[str, Any]:
    return {
        f.name: f.default for f in dataclasses.fields(cls) if f.default is not dataclasses.MISSING
    }


def test_serve_options_default_to_the_runtime_config() -> None:
    options, config = _options("serve"), _field_defaults(ServeConfig)
    mismatched = {
        option: (options[option], config[field])
        for option, field in SERVE_OPTIONS.items()
        if options[option] != config[field]
    }
    assert mismatched == {}, "infer serve option default ≠ ServeConfig default"


def test_deploy_and_ray_settings_share_the_serve_defaults() -> None:
    deploy, config = _options("deploy"), _field_defaults(ServeConfig)
    assert (deploy["host"], deploy["port"], deploy["concurrency"]) == (
        config["host"],
        config["port"],
        config["concurrency"],
    )
    ray = _field_defaults(RayServeSettings)
    shared = set(ray) & set(config)
    assert len(shared) >= 9
    assert {name: ray[name] for name in shared} == {name: config[name] for name in shared}
    assert config["inference_time_s"] == DEFAULT_INFERENCE_TIME_S


@pytest.mark.parametrize("command", ["serve", "stream"])
def test_readme_states_the_commands_own_defaults(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    options = _options(command)
    claims = [
        (flag, float(value))
        for flag, value in README_DEFAULT.findall(readme)
        if flag.replace("-", "_") in options
    ]
    assert claims, f"the README states no `--flag` (default N) for infer {command}"
    wrong = [
        (flag, value, options[flag.replace("-", "_")])
        for flag, value in claims
        if float(options[flag.replace("-", "_")]) != value
    ]
    assert wrong == [], "README default ≠ the option's default (flag, README, code)"


def test_readme_states_the_platform_inference_time_default() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"default {DEFAULT_INFERENCE_TIME_S:g} s" in readme
