"""`infer serve --reload`: which edits restart the worker, and what the user is told."""

from __future__ import annotations

import shutil
from pathlib import Path

from infer.runtime.server.config import ServeConfig
from infer.runtime.server.reload import plan_reload, platform_config_notice, watched
from tests.conftest import StartServer
from tests.servers import MODELS


def test_plan_sorts_code_platform_config_and_the_sample_request(tmp_path: Path) -> None:
    paths = [
        str(tmp_path / "app.py"),
        str(tmp_path / "inferless-runtime-config.yaml"),
        str(tmp_path / "inferless.yaml"),
        str(tmp_path / "input.json"),
        str(tmp_path / "labels.json"),
    ]
    plan = plan_reload(tmp_path, paths)
    assert plan.restart_worker == ["app.py", "inferless-runtime-config.yaml", "labels.json"]
    assert plan.platform_config
    assert plan.sample_only == ["input.json"]


def test_only_source_and_config_files_are_watched() -> None:
    assert watched("/r/app.py") and watched("/r/inferless.yaml") and watched("/r/input.json")
    assert not watched("/r/__pycache__/app.cpython-311.pyc")
    assert not watched("/r/app.py.swp")


def test_platform_config_notice_names_what_differs(tmp_path: Path) -> None:
    repo = tmp_path / "echo"
    shutil.copytree(MODELS / "echo_stream", repo)
    config = ServeConfig(repo=repo, model_name="echo", inference_time_s=30.0)
    assert "nothing the local server uses differs" in platform_config_notice(config)
    yaml = repo / "inferless.yaml"
    yaml.write_text(yaml.read_text().replace('"30"', '"90"'))
    notice = platform_config_notice(config)
    assert "inference_time 30 s -> 90 s" in notice
    assert "restart `infer serve` to apply it" in notice


def test_reload_says_what_was_reloaded_and_how_long_it_took(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = tmp_path / "echo"
    shutil.copytree(MODELS / "echo_stream", repo)
    (repo / "input.json").write_text('{"inputs": []}')
    server = start_server(repo, "--reload")

    (repo / "input.json").write_text('{"inputs": [] }')
    server.wait_for_line(r"reload: input\.json changed; a sample request only", timeout=30)

    yaml = repo / "inferless.yaml"
    yaml.write_text(yaml.read_text().replace('"30"', '"60"'))
    server.wait_for_line(r"reload: inferless\.yaml changed \(inference_time 30 s -> 60 s\)", 30)

    app = repo / "app.py"
    app.write_text(app.read_text() + "\n# edited\n")
    server.wait_for_line(
        r"reload: app\.py changed \(comments or formatting only\); swapped the code in \d+ ms",
        timeout=60,
    )
    schema = repo / "input_schema.py"
    schema.write_text(schema.read_text() + "\n# edited\n")
    line = server.wait_for_line(
        r"reload: input_schema\.py changed; restarted the worker, ready again in (\d+\.\d) s",
        timeout=60,
    )
    assert float(line.group(1)) >= 0
    assert "restarting the worker: changed: input.json" not in server.output
    assert "restarting the worker: changed: inferless.yaml" not in server.output
