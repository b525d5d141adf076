"""`infer serve` for real: the parity table, variables and secrets, failing fast, devices."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from infer.environment.device import gpus_on_machine
from tests.conftest import StartServer, infer_command
from tests.servers import MODELS

MARKER = "marker-7f3a9c-secret"
FILE_SECRET = "file-secret-5b1e77d0"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def run_serve(repo: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        infer_command("serve", str(repo), "--port", "0", *args),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_parity_table_shows_pins_that_differ_from_the_worker(start_server: StartServer) -> None:
    server = start_server("pinned_env", ready=False)  # six may well be missing here
    server.wait_for_line("infer serve: pinned on")
    lines = server.output.splitlines()
    assert lines[0].startswith("environment parity (runtime config vs the worker's Python: ")
    assert sys.executable in lines[0]
    packaging_row = next(line for line in lines if "packaging==21.3" in line)
    assert packaging_row.split()[0] == "python" and packaging_row.split()[-1] == "different"
    assert "cuda " in server.output
    assert (
        "python_packages differ from the worker's Python (" in server.output
        and "`infer serve --isolated` runs the model with exactly these pins" in server.output
    )
    # The table comes before anything is loaded.
    assert server.output.index("environment parity") < server.output.index("infer serve: pinned")


def test_strict_env_refuses_to_start_on_a_mismatch() -> None:
    done = run_serve(MODELS / "pinned_env", "--strict-env")
    assert done.returncode == 1
    assert "error: the environment differs from the runtime config (" in done.stderr
    assert "--strict-env makes that fatal" in done.stderr
    assert "infer serve: pinned on" not in done.stderr  # nothing was started


def test_variables_reach_the_model_and_their_values_never_any_output(
    start_server: StartServer, tmp_path: Path
) -> None:
    env_file = tmp_path / "secrets.env"
    env_file.write_text(f"FILE_SECRET={FILE_SECRET}\n")
    server = start_server(
        "env_model",
        "--env",
        f"HF_TOKEN={MARKER}",
        "--env-file",
        str(env_file),
        "--env",
        "SHELL_VALUE",
        env={"SHELL_VALUE": "shell-value-1"},
    )
    url = server.url
    stream = subprocess.run(
        infer_command("stream", "--url", url, "--text", "hi", "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stream.returncode == 0, stream.stderr
    for name, value in [
        ("HF_TOKEN", MARKER),
        ("FILE_SECRET", FILE_SECRET),
        ("YAML_SETTING", "from-the-yaml-file"),
        ("SHELL_VALUE", "shell-value-1"),
    ]:
        assert f"{name}={sha(value)}" in stream.stdout
    leak = subprocess.run(
        infer_command("stream", "--url", url, "--text", "leak"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert leak.returncode != 0
    assert "token rejected: ***" in leak.stdout + leak.stderr
    time.sleep(0.5)  # let the worker's log lines arrive
    assert server.stop() in (0, -15, 143)
    everything = server.output + stream.stdout + stream.stderr + leak.stdout + leak.stderr
    assert MARKER not in everything and FILE_SECRET not in everything
    assert "initialize() got the token ***" in server.output  # the model's own print, masked
    assert "env    HF_TOKEN" in server.output or "HF_TOKEN" in server.output
    assert "INFER_TEST_NEVER_SET_VARIABLE" in server.output  # read by app.py, given by nobody


def test_a_variable_the_model_needs_but_nobody_gave_is_named(tmp_path: Path) -> None:
    done = run_serve(MODELS / "env_model")
    assert done.returncode == 1
    assert "app.py:15 reads HF_TOKEN, which is not set: pass --env HF_TOKEN=VALUE" in done.stderr
    assert "the model could not start: initialize() raised KeyError: 'HF_TOKEN'" in done.stderr
    assert "hint: HF_TOKEN is not set in the worker's environment: pass --env" in done.stderr


@pytest.fixture
def broken_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "broken"
    shutil.copytree(MODELS / "basic_model", repo)
    app = repo / "app.py"
    app.write_text("import definitely_missing_mod_13\n" + app.read_text())
    (repo / "inferless-runtime-config.yaml").write_text(
        'build:\n  cuda_version: "12.4.1"\n  python_packages:\n'
        '    - "definitely-missing-mod-13==1.0"\n'
    )
    return repo


def test_import_failure_exits_non_zero_with_the_package_to_add(broken_repo: Path) -> None:
    done = run_serve(broken_repo)
    assert done.returncode == 1
    assert (
        "the model could not start: importing app.py failed: the worker's Python has no "
        "module 'definitely_missing_mod_13'" in done.stderr
    )
    assert (
        "hint: inferless-runtime-config.yaml pins 'definitely-missing-mod-13==1.0', which "
        "provides 'definitely_missing_mod_13', but the worker's Python does not have it: "
        "`infer serve --isolated`" in done.stderr
    )
    assert "Traceback" not in done.stderr
    debug = run_serve(broken_repo, "--log-level", "debug")
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr


def test_initialize_failure_exits_non_zero() -> None:
    done = subprocess.run(
        infer_command("serve", str(MODELS / "slow_init"), "--port", "0"),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SLOW_INIT_SECONDS": "0", "SLOW_INIT_FAIL": "1"},
    )
    assert done.returncode == 1
    assert (
        "the model could not start: initialize() raised RuntimeError: weights not found at "
        "/models/missing" in done.stderr
    )


def test_reload_waits_for_a_fix_after_an_import_failure(
    start_server: StartServer, broken_repo: Path
) -> None:
    server = start_server(broken_repo, "--reload", ready=False)
    server.wait_for_line("waiting for a fix: --reload restarts the worker when a file changes")
    assert server.process.poll() is None
    app = broken_repo / "app.py"
    app.write_text(app.read_text().replace("import definitely_missing_mod_13\n", ""))
    server.wait_ready()
    server.wait_for_line(r"infer serve: ready \(non-streaming, device cpu\)")


@pytest.mark.skipif(gpus_on_machine() > 0, reason="needs a machine without a GPU")
def test_device_auto_without_a_gpu_says_cpu(start_server: StartServer) -> None:
    server = start_server("basic_model")
    server.wait_for_line(r"device auto: no GPU on this machine, so cpu")
    server.wait_for_line(r"infer serve: ready \(non-streaming, device cpu\)")


def test_device_cpu_hides_the_gpu_and_says_so(start_server: StartServer) -> None:
    server = start_server("basic_model", "--device", "cpu")
    server.wait_for_line(r"device cpu \(--device cpu hides any GPU from the worker\)")
    server.wait_for_line(r"infer serve: ready \(non-streaming, device cpu\)")


def test_gpu_and_device_cpu_contradict() -> None:
    done = run_serve(MODELS / "basic_model", "--gpu", "--device", "cpu")
    assert done.returncode == 2
    assert done.stderr.startswith("error: --gpu and --device cpu contradict each other")
