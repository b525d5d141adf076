"""What each process of `infer serve` imports: the server never loads Jinja2 (only `infer init`
renders templates), and the worker, which hosts the user's model, loads none of Jinja2, Starlette
or uvicorn. Checked on the modules (fast) and on a real server and worker (lazy imports too)."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import httpx

from tests.conftest import StartServer
from tests.servers import v2_body

SERVER_MUST_NOT_IMPORT = ("jinja2",)
WORKER_MUST_NOT_IMPORT = ("jinja2", "starlette", "uvicorn")
# `python -X importtime` lines: "import time: <self us> | <cumulative us> | <indent><module>".
IMPORT_LINE = re.compile(r"^import time:\s+\d+ \|\s+\d+ \|\s*(\S+)\s*$")


def _loaded_after(imports: str, watched: tuple[str, ...]) -> list[str]:
    """Which ``watched`` top-level packages a fresh interpreter holds after running ``imports``."""
    probe = (
        "import json, sys\n"
        f"{imports}\n"
        "packages = {name.split('.')[0] for name in sys.modules}\n"
        f"print('LOADED', json.dumps(sorted(packages & set({watched!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(line for line in done.stdout.splitlines() if line.startswith("LOADED "))
    loaded: list[str] = json.loads(line.removeprefix("LOADED "))
    return loaded


def test_the_serve_command_and_every_server_module_import_no_jinja2() -> None:
    imports = (
        "import importlib, pkgutil\n"
        "import infer.app, infer.commands.serve, infer.commands._environment_view\n"
        "import infer.runtime.server.runner, infer.runtime.server.app\n"
        "import infer.runtime.server as server\n"
        "for info in pkgutil.walk_packages(server.__path__, 'infer.runtime.server.'):\n"
        "    importlib.import_module(info.name)\n"
    )
    assert _loaded_after(imports, (*SERVER_MUST_NOT_IMPORT, "starlette")) == ["starlette"], (
        "the server's modules import Jinja2 (or the probe did not load the server at all)"
    )


def test_the_worker_entry_point_imports_no_template_or_server_stack() -> None:
    imports = "import infer.runtime.worker.__main__\nimport infer.runtime.worker.process\n"
    assert _loaded_after(imports, WORKER_MUST_NOT_IMPORT) == []


def test_a_running_server_and_its_worker_never_import_them(start_server: StartServer) -> None:
    # PYTHONPROFILEIMPORTTIME is inherited by the worker, and both processes write to the
    # server's output: every module either process imports, however lazily, is listed there.
    server = start_server("import_probe", env={"PYTHONPROFILEIMPORTTIME": "1"})
    response = httpx.post(
        f"{server.url}/v2/models/import-probe/infer", json=v2_body(prompt="hi"), timeout=30
    )
    assert response.status_code == 200, response.text
    in_worker = response.json()["outputs"][0]["data"][0].split()
    # The probe runs in the worker (it sees the worker's own module), which loads none of them.
    assert "infer.runtime.worker.process" in in_worker, in_worker
    assert [name for name in in_worker if name in WORKER_MUST_NOT_IMPORT] == []
    server.stop()
    imported = {
        match.group(1).split(".")[0] for line in server.lines if (match := IMPORT_LINE.match(line))
    }
    assert "starlette" in imported, "no import times recorded: the check below would prove nothing"
    assert imported.isdisjoint(SERVER_MUST_NOT_IMPORT), sorted(
        imported & set(SERVER_MUST_NOT_IMPORT)
    )
