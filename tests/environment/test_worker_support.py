"""The worker's own files: found by following imports, free of infer's server stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from infer.environment.worker_support import PTH_FILE, install_worker_support, worker_files

SERVER_STACK = ("uvicorn", "starlette", "typer", "rich", "httpx", "watchfiles", "jinja2")


def test_the_worker_closure_is_its_modules_and_no_server_stack() -> None:
    files = worker_files()
    assert "infer/runtime/worker/process.py" in files.modules
    assert "infer/environment/redaction.py" in files.modules
    assert "infer/runtime/wire.py" in files.modules
    server_side = [m for m in files.modules if m.startswith("infer/runtime/server/")]
    assert server_side == [], f"the worker imports server-process modules: {server_side}"
    assert not set(files.vendored) & set(SERVER_STACK)
    assert set(files.vendored) <= {"yaml"}  # repo.sources parses YAML at import


def test_shipped_files_import_in_a_bare_interpreter(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    target = install_worker_support(tmp_path, str(site))
    assert (site / PTH_FILE).read_text() == f"{target}\n"
    again = install_worker_support(tmp_path, str(site))  # unchanged: kept as is
    assert again == target and sorted(p.name for p in tmp_path.iterdir()) == [
        "infer-worker",
        "site-packages",
    ]
    probe = (
        "import sys; import infer.runtime.worker.process; "
        f"print(sorted(m for m in {SERVER_STACK!r} if m in sys.modules))"
    )
    done = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.append({str(target)!r}); {probe}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]"
