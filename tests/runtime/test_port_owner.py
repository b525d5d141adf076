"""A busy port names its owner when it is another `infer serve`, and suggests --port 0."""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.conftest import StartServer


def _serve_on(repo: str, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infer", "serve", repo, "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_second_infer_serve_names_the_first_and_suggests_port_0(
    start_server: StartServer,
) -> None:
    server = start_server("basic_model")
    port = int(server.url.rsplit(":", 1)[1])
    done = _serve_on(str(server.repo), port)
    assert done.returncode == 1
    assert (
        f"error: port {port} on 127.0.0.1 is already in use by another `infer serve` "
        "(model 'basic')"
    ) in done.stderr
    assert "hint: stop it, or pass --port 0 to pick a free port" in done.stderr


def test_a_port_held_by_another_program_says_so(start_server: StartServer) -> None:
    server = start_server("basic_model")  # only for a repo path; its own port is not used
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        done = _serve_on(str(server.repo), port)
    assert done.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use by another program" in done.stderr
    assert "--port 0" in done.stderr
