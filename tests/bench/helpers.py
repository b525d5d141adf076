"""Running `infer bench` as a user does: a real process, its JSON report parsed."""

from __future__ import annotations

import json
import subprocess
from typing import Any

from tests.conftest import infer_command


def run_bench(*args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`infer bench ARGS` in a subprocess."""
    return subprocess.run(
        infer_command("bench", *args), capture_output=True, text=True, timeout=timeout
    )


def bench_json(*args: str, timeout: float = 180) -> tuple[dict[str, Any], str]:
    """`infer bench ARGS --json` that must exit 0: its document and its stderr."""
    done = run_bench(*args, "--json", timeout=timeout)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return json.loads(done.stdout), done.stderr
