"""`GET /` over plain HTTP: one self-contained page, shipped in the wheel; metadata examples."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import httpx

from infer.repo.sample_input import MAX_SAMPLE_BYTES, sample_values
from tests.conftest import StartServer
from tests.servers import MODELS, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
ASSETS = ("index.html", "app.js", "style.css")


def test_page_is_one_offline_document_of_a_few_tens_of_kb(echo_server: ServerProcess) -> None:
    response = httpx.get(echo_server.url + "/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "connect-src 'self'" in csp
    assert "unsafe-inline" not in csp and "script-src 'sha256-" in csp
    page = response.text
    assert 10_000 < len(response.content) < 80_000
    assert page.count("<script>") == 1 and page.count("<style>") == 1
    assert "<!-- app.js -->" not in page and "<!-- style.css -->" not in page
    # Nothing is fetched from elsewhere: no CDN, no web fonts, no absolute URLs to load.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page
    assert "/v2/models/" in page  # it talks to this server's API, same origin


def test_ready_line_prints_the_playground_url(echo_server: ServerProcess) -> None:
    line = echo_server.wait_for_line("infer serve: ready").string
    assert f"open {echo_server.url}/ in a browser" in line


def test_unknown_paths_stay_json_404s(echo_server: ServerProcess) -> None:
    response = httpx.get(echo_server.url + "/index.html")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_metadata_takes_missing_examples_from_input_json(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = tmp_path / "echo-sample"
    shutil.copytree(MODELS / "echo_stream", repo)
    schema = (repo / "input_schema.py").read_text()
    (repo / "input_schema.py").write_text(schema.replace(', "example": ["hello world"]', ""))
    (repo / "input.json").write_text(
        '{"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["from json"]},'
        ' {"name": "DELAY", "shape": [1], "datatype": "INT64", "data": [5]}]}'
    )
    server = start_server(repo)
    inputs = {
        entry["name"]: entry for entry in httpx.get(f"{server.url}/v2/models/echo").json()["inputs"]
    }
    assert inputs["TEXT"]["example"] == ["from json"]  # the schema had none
    assert inputs["DELAY"]["example"] == [0]  # the schema's own example wins


def test_sample_values_ignore_broken_or_oversized_input_json(tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    assert sample_values(tmp_path) == {}
    for broken in ("{not json", "[]", '{"inputs": 3}', '{"inputs": [1, {"name": 2}]}'):
        path.write_text(broken)
        assert sample_values(tmp_path) == {}, broken
    path.write_text(
        '{"inputs": [{"name": "A", "data": [1]}], "pad": "' + "x" * MAX_SAMPLE_BYTES + '"}'
    )
    assert sample_values(tmp_path) == {}
    path.write_bytes(b'{"inputs": [{"name": "A", "data": ["\xff"]}]}')
    assert sample_values(tmp_path) == {}


def test_wheel_ships_the_page(tmp_path: Path) -> None:
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip_wheel, "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        check=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("infer_cli-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    for asset in ASSETS:
        assert f"infer/runtime/server/playground/{asset}" in names
    # Rendered from the unpacked wheel alone, not the checkout.
    probe = "from infer.runtime.server.playground import page_html; print(len(page_html()))"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 10_000
