"""The hostile-repo corpus: every case ends in findings, never a traceback, and quickly.

Each folder under ``hostile/`` holds a ``case.json`` describing how it breaks a clean repo
(``corpus/_base``), the exact (code, path) findings expected, and what must never be printed.
The files are made at test time (see ``repo_builder``): nothing hostile is committed.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from infer.validate.engine import validate_repo
from tests.conftest import infer_command
from tests.validate.repo_builder import build_repo

HERE = Path(__file__).parent
HOSTILE = HERE / "hostile"
BASE = HERE / "corpus" / "_base"
CASES = sorted(p for p in HOSTILE.iterdir() if (p / "case.json").is_file())
# The bound for one case, in CPU time: a real run takes milliseconds, so this never
# flakes, even when parallel tests keep the cores busy (which wall-clock time would count).
SECONDS_PER_CASE = 5.0
# A read that blocks (fifo-app) uses no CPU: the wall clock catches it, with room for that load.
WALL_SECONDS_PER_CASE = 30.0


def _build(case: Path, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    spec: dict[str, Any] = json.loads((case / "case.json").read_text())
    repo = tmp_path / "repo"
    build_repo(BASE, case, repo, spec)
    return repo, spec


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case_ends_in_its_findings_within_the_time_bound(
    case: Path, tmp_path: Path
) -> None:
    repo, spec = _build(case, tmp_path)
    started, cpu_started = time.perf_counter(), time.process_time()
    report = validate_repo(repo)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    assert [[f.code, f.path] for f in report.findings] == spec["expect"]
    for finding, message in zip(report.findings, spec.get("messages", []), strict=False):
        assert finding.message == message
    assert cpu < SECONDS_PER_CASE
    assert elapsed < WALL_SECONDS_PER_CASE


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_case_through_the_cli_prints_findings_not_tracebacks(
    case: Path, tmp_path: Path
) -> None:
    repo, spec = _build(case, tmp_path)
    done = subprocess.run(
        infer_command("validate", str(repo), "--format", "json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    document = json.loads(done.stdout)
    assert [[f["code"], f["path"]] for f in document["findings"]] == spec["expect"]
    assert done.returncode == (1 if document["summary"]["errors"] else 0)
    for secret in spec.get("never_printed", []):
        assert secret not in output
    assert len(output) < spec.get("max_output_chars", 20_000)


def test_the_yaml_alias_bound_leaves_ordinary_anchors_alone(tmp_path: Path) -> None:
    repo, unchanged = tmp_path / "repo", tmp_path / "no-changes"
    unchanged.mkdir()
    build_repo(BASE, unchanged, repo, {})
    (repo / "inferless-runtime-config.yaml").write_text(
        'build:\n  cuda_version: "12.4.1"\n  python_packages: &p ["torch==2.1.2"]\n'
        "  system_packages: *p\n"
    )
    assert validate_repo(repo).findings == []


def test_a_device_node_in_the_repo_is_reported_never_read(tmp_path: Path) -> None:
    repo, unchanged = tmp_path / "repo", tmp_path / "no-changes"
    unchanged.mkdir()
    build_repo(BASE, unchanged, repo, {"delete": ["input.json"]})
    try:  # a character device reading zeros forever, like /dev/zero
        os.mknod(repo / "input.json", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except (PermissionError, OSError) as error:
        pytest.skip(f"cannot create a device node here: {error}")
    started = time.perf_counter()
    findings = validate_repo(repo).findings
    assert time.perf_counter() - started < SECONDS_PER_CASE
    assert [(f.code, f.message) for f in findings] == [
        ("INF003", "input.json is a device, not a regular file; not read")
    ]
