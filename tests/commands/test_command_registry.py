"""The commands `infer` registers, exactly: a command that goes missing (or appears unannounced)
fails here by name, rather than shrinking a loop over whatever happens to be registered."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from infer.app import app
from tests.conftest import infer_command

# Written out, not read from the app: the list is the contract (README's command table too).
COMMANDS = {
    "init": [],
    "validate": [],
    "serve": [],
    "stream": [],
    "bench": [],
    "chat": [],
    "doctor": [],
    "deploy": [],
    "env": ["build", "path"],
}


def _registered() -> dict[str, list[str]]:
    group: Any = get_command(app)
    return {
        name: sorted(getattr(command, "commands", None) or {})
        for name, command in group.commands.items()
    }


def test_infer_registers_exactly_the_documented_commands() -> None:
    registered = _registered()
    missing = sorted(set(COMMANDS) - set(registered))
    unexpected = sorted(set(registered) - set(COMMANDS))
    assert not missing and not unexpected, f"missing {missing}, unexpected {unexpected}"
    assert registered == COMMANDS


@pytest.mark.parametrize(
    "command",
    [*COMMANDS, *(f"{group} {sub}" for group, subs in COMMANDS.items() for sub in subs)],
)
def test_every_command_answers_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"], terminal_width=120)
    assert result.exit_code == 0, f"`infer {command} --help` failed:\n{result.output}"
    assert f"Usage: infer {command}" in result.output, result.output


def test_the_top_level_help_lists_every_command(runner: CliRunner) -> None:
    output = runner.invoke(app, ["--help"], terminal_width=120).output
    listed = {name for name in COMMANDS if f"│ {name} " in output}
    assert listed == set(COMMANDS), f"`infer --help` does not list {set(COMMANDS) - listed}"


def test_python_dash_m_infer_stream_help_works() -> None:
    # `python -m infer` goes through main(), which rewrites `stream --wait` before Typer runs.
    done = subprocess.run(
        infer_command("stream", "--help"), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "infer stream [OPTIONS]" in done.stdout and "--text" in done.stdout, done.stdout
