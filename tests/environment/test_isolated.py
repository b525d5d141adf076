"""`--isolated` and `infer env`: environments built by uv from python_packages (from PyPI).

The pins are small pure-Python releases older than what infer itself has (packaging) or
does not have at all (six), so the versions the model reports prove where it imports from.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from infer.environment.build_config import PackagePin
from infer.environment.uv_errors import offending_requirement
from tests.conftest import StartServer, infer_command
from tests.servers import MODELS, v2_body

CONFIG = 'build:\n  cuda_version: "12.4.1"\n  python_packages:\n{pins}'


def write_pins(repo: Path, *pins: str) -> None:
    lines = "".join(f'    - "{pin}"\n' for pin in pins)
    (repo / "inferless-runtime-config.yaml").write_text(CONFIG.format(pins=lines))


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INFER_ENV_CACHE", str(tmp_path / "envs"))
    copy = tmp_path / "pinned"
    shutil.copytree(MODELS / "pinned_env", copy)
    return copy


def ask(url: str) -> dict[str, str]:
    answer = httpx.post(f"{url}/v2/models/pinned/infer", json=v2_body(prompt="x"), timeout=30)
    assert answer.status_code == 200, answer.text
    return {out["name"]: out["data"][0] for out in answer.json()["outputs"]}


def serve_isolated(start_server: StartServer, repo: Path) -> tuple[dict[str, str], float, str]:
    """Start with --isolated; (what the model reports, seconds until ready, the output)."""
    started = time.perf_counter()
    # The user's own Python set-up must not leak into the isolated worker.
    server = start_server(repo, "--isolated", env={"PYTHONPATH": str(repo.parent)})
    seconds = time.perf_counter() - started
    answer = ask(server.url)
    server.stop()
    return answer, seconds, server.output


def test_isolated_runs_the_pinned_versions_reuses_and_rebuilds(
    start_server: StartServer, repo: Path, tmp_path: Path
) -> None:
    first, first_s, output = serve_isolated(start_server, repo)
    assert (first["six"], first["packaging"]) == ("1.15.0", "21.3")
    env_dir = Path(first["prefix"])
    assert env_dir.parent == tmp_path / "envs"
    assert first["server_stack"] == "none"  # no uvicorn/starlette/typer/rich/httpx in the worker
    assert first["pythonpath"] == ""
    assert "Installed" in output and "+ six==1.15.0" in output  # uv's output, streamed
    assert "isolated environment built in " in output
    rows = [line.split() for line in output.splitlines() if line.startswith("python ")]
    assert ["python", "packaging==21.3", "21.3", "match"] in rows

    second, second_s, output = serve_isolated(start_server, repo)
    assert second == first
    assert "isolated environment reused in " in output and "Installed" not in output
    print(f"\n--isolated start to ready: build {first_s:.2f} s, reuse {second_s:.2f} s")

    write_pins(repo, "six==1.16.0", "packaging==21.3")
    third, _, output = serve_isolated(start_server, repo)
    assert (third["six"], third["packaging"]) == ("1.16.0", "21.3")
    assert Path(third["prefix"]) != env_dir and "isolated environment built in " in output


def test_env_build_and_path(repo: Path) -> None:
    def infer(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(infer_command(*args), capture_output=True, text=True, timeout=300)

    missing = infer("env", "path", str(repo))
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"error: the isolated environment for {repo} is not built yet")
    built = infer("env", "build", str(repo))
    assert built.returncode == 0, built.stderr
    env_dir = Path(built.stdout.strip())
    assert "isolated environment built in " in built.stderr
    marker = json.loads((env_dir / "infer-env.json").read_text())
    assert marker["requirements"] == ["six==1.15.0", "packaging==21.3"]
    located = infer("env", "path", str(repo))
    assert located.returncode == 0 and located.stdout.strip() == str(env_dir)
    again = infer("env", "build", str(repo))
    assert "isolated environment reused in " in again.stderr
    versions = subprocess.run(
        [str(env_dir / "bin" / "python"), "-c", "import six, packaging; print(six.__version__)"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert versions.stdout.strip() == "1.15.0"


def test_a_requirement_that_cannot_resolve_is_named_with_its_line(repo: Path) -> None:
    write_pins(repo, "packaging==21.3", "six==99.0.0")
    done = subprocess.run(
        infer_command("env", "build", str(repo)), capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    assert (
        "error: python_packages entry 'six==99.0.0' (inferless-runtime-config.yaml:5) cannot be "
        "installed" in done.stderr
    )
    assert "no version of six==99.0.0" in done.stderr  # uv's own words, in the hint
    assert not any((repo.parent / "envs").glob("*/infer-env.json"))


def test_uv_messages_name_the_entry_at_fault() -> None:
    pins = [PackagePin("six==1.15.0", 4), PackagePin("My_Pkg==1.0", 5)]
    not_found = (
        "error: No solution found when resolving dependencies\n  cause: Because my-pkg was "
        "not found in the package registry and you require my-pkg==1.0, we can conclude ..."
    )
    assert offending_requirement(not_found, pins) == pins[1]
    build = "error: Failed to build `six==1.15.0`\n  Caused by: The build backend returned an error"
    assert offending_requirement(build, pins) == pins[0]
    added = "Because there is no version of pydantic>=99 and you require pydantic>=99, ..."
    assert offending_requirement(added, pins, ["pydantic>=99"]) == PackagePin("pydantic>=99", 0)
    assert offending_requirement("error: network unreachable", pins) is None
