"""One clear reason and hint for the failures a new user meets first."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from infer.environment.diagnose import explain_failure, log_failure
from infer.environment.launch import WorkerEnvironment

AWQ = {"message": "importing the model raised ModuleNotFoundError: No module named 'awq'"}
PINS = ("transformers==4.41.1", "torch==2.1.2", "autoawq==0.1.8")


def test_missing_module_names_the_pin_and_isolated() -> None:
    found = explain_failure(AWQ, WorkerEnvironment(python_packages=PINS))
    assert found.reason == "importing app.py failed: the worker's Python has no module 'awq'"
    assert found.hint == (
        "inferless-runtime-config.yaml pins 'autoawq==0.1.8', which provides 'awq', but the "
        "worker's Python does not have it: `infer serve --isolated` runs the model in an "
        "environment built from python_packages, which installs it; or install it here: "
        "pip install 'autoawq==0.1.8'"
    )


def test_missing_module_nobody_pins_says_isolated_would_not_help() -> None:
    failure = {"message": "initialize() raised ModuleNotFoundError: No module named 'yaml.cyaml'"}
    found = explain_failure(failure, WorkerEnvironment(python_packages=("six==1.15.0",)))
    assert found.reason == "initialize() failed: the worker's Python has no module 'yaml.cyaml'"
    assert found.hint is not None
    assert found.hint.startswith(
        "no python_packages entry provides 'yaml': add the package that does to "
        'inferless-runtime-config.yaml (e.g. "pyyaml=='
    )
    assert "so `--isolated` would not have it either" in found.hint
    assert "it is installed here as pyyaml==" in found.hint


def test_missing_module_in_an_isolated_env_is_about_the_pins(tmp_path: Path) -> None:
    worker = WorkerEnvironment(isolated_env=tmp_path, python_packages=PINS)
    hint = explain_failure(AWQ, worker).hint
    assert hint is not None and hint.startswith("python_packages pins 'autoawq==0.1.8', yet")


def test_gpu_out_of_memory_says_asked_for_and_available() -> None:
    failure = {
        "message": "initialize() raised OutOfMemoryError: CUDA out of memory. Tried to allocate "
        "20.00 GiB. GPU 0 has a total capacity of 79.11 GiB of which 3.50 GiB is free."
    }
    found = explain_failure(failure, WorkerEnvironment())
    assert found.reason == (
        "the model ran out of GPU memory (asked for 20.00 GiB, the GPU has 79.11 GiB in all, "
        "3.50 GiB free)"
    )


def test_cuda_without_a_gpu_says_why_there_is_none() -> None:
    failure = {
        "message": "initialize() raised AssertionError: Torch not compiled with CUDA enabled"
    }
    found = explain_failure(failure, WorkerEnvironment(device="cpu"))
    assert found.reason.startswith("the model asked for a CUDA GPU and the worker has none")
    assert (
        found.hint
        == "--device cpu hides the GPU from the worker: use --device auto or --device gpu"
    )


def test_traceback_only_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    failure = {**AWQ, "traceback": "Traceback (most recent call last):\n  boom"}
    log = logging.getLogger("infer.test")
    with caplog.at_level(logging.INFO, "infer.test"):
        log_failure(failure, WorkerEnvironment(), log, waiting=False)
    assert "Traceback" not in caplog.text
    assert "the traceback is shown with --log-level debug" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.DEBUG, "infer.test"):
        log_failure(failure, WorkerEnvironment(), log, waiting=True)
    assert "Traceback (most recent call last)" in caplog.text
    assert "waiting for a fix: --reload restarts the worker when a file changes" in caplog.text


def test_a_worker_killed_while_loading_points_at_memory() -> None:
    failure = {"message": "the worker died while loading the model (exit code -9)"}
    hint = explain_failure(failure, WorkerEnvironment()).hint
    assert hint is not None and hint.startswith("SIGKILL while loading is most often the kernel's")


def test_an_unset_variable_points_at_env() -> None:
    failure = {"message": "initialize() raised KeyError: 'HF_TOKEN'"}
    assert explain_failure(failure, WorkerEnvironment()).hint == (
        "HF_TOKEN is not set in the worker's environment: pass --env HF_TOKEN=VALUE or "
        "--env-file FILE, or add it to `env` in inferless.yaml"
    )
    given = WorkerEnvironment(variables={"HF_TOKEN": "x"})
    assert explain_failure(failure, given).hint is None


def test_a_module_a_pin_installs_as_a_dependency_names_that_pin() -> None:
    failure = {
        "message": "importing the model raised ModuleNotFoundError: No module named 'tokenizers'"
    }
    hint = explain_failure(
        failure, WorkerEnvironment(python_packages=("transformers==4.41.1",))
    ).hint
    assert hint is not None
    assert hint.startswith(
        "inferless-runtime-config.yaml pins 'transformers==4.41.1', which provides"
    )
