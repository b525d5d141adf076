"""The command line a newcomer meets: help, short flags, completion, one error style, README."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from infer import __version__
from infer.app import app
from tests.conftest import ROOT, infer_command

COMMANDS = ["init", "validate", "serve", "stream", "bench", "chat", "doctor", "env", "env build"]


def _subcommands() -> dict[str, Any]:
    group: Any = get_command(app)
    return dict(group.commands)


def _leaf_commands(commands: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    leaves: dict[str, Any] = {}
    for name, command in commands.items():
        leaves[f"{prefix}{name}"] = command
        nested = getattr(command, "commands", None)
        if nested:
            leaves.update(_leaf_commands(dict(nested), f"{prefix}{name} "))
    return leaves


def _options(command: Any) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        names.update(getattr(param, "opts", []))
        names.update(getattr(param, "secondary_opts", []))
    return names


def test_version_prints_the_package_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"infer {__version__}"


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_no_bool_metavar_on_flags(runner: CliRunner, command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "<bool>" not in result.output


def test_a_short_flag_means_the_same_long_option_in_every_command() -> None:
    meaning: dict[str, tuple[str, str]] = {}
    for name, command in _leaf_commands(_subcommands()).items():
        for param in command.params:
            opts = list(getattr(param, "opts", []))
            shorts = [opt for opt in opts if re.fullmatch(r"-\w", opt)]
            longs = [opt for opt in opts if opt.startswith("--")]
            for short in shorts:
                if short == "-h":
                    continue
                seen = meaning.setdefault(short, (longs[0], name))
                assert seen[0] == longs[0], (
                    f"{short} is {seen[0]} in `infer {seen[1]}` but {longs[0]} in `infer {name}`"
                )
    assert meaning["-t"][0] == "--text"
    assert meaning["-f"][0] == "--input-file"


def test_shell_completion_is_offered(runner: CliRunner) -> None:
    help_text = runner.invoke(app, ["--help"], terminal_width=120).output
    assert "--install-completion" in help_text
    assert "--show-completion" in help_text
    script = subprocess.run(
        infer_command("--show-completion", "bash"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT)},
    )
    assert script.returncode == 0, script.stderr
    assert "complete" in script.stdout


def test_an_unknown_option_is_an_error_line_with_a_hint_not_a_panel(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--bogus"])
    assert result.exit_code == 2
    assert result.output.startswith("error: no such option: --bogus")
    assert "  hint: see `infer serve --help`" in result.output
    assert "╭" not in result.output


def test_a_bad_value_is_an_error_line_naming_the_option(runner: CliRunner) -> None:
    result = runner.invoke(app, ["stream", "--max-reconnects", "many"])
    assert result.exit_code == 2
    assert result.output.startswith("error: invalid value for '--max-reconnects'")
    assert "╭" not in result.output


def test_an_unexpected_exception_is_one_error_line_and_the_traceback_only_under_debug(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> list[object]:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("infer.doctor.facts.collect_facts", broken)
    monkeypatch.delenv("INFER_LOG_LEVEL", raising=False)
    plain = runner.invoke(app, ["doctor"])
    assert plain.exit_code == 1
    assert plain.output.startswith("error: unexpected RuntimeError: disk on fire")
    assert "hint: this is a bug in infer" in plain.output
    assert "Traceback" not in plain.output and "╭" not in plain.output

    monkeypatch.setenv("INFER_LOG_LEVEL", "debug")
    debug = runner.invoke(app, ["doctor"], terminal_width=120)
    assert debug.exit_code == 1
    assert "Traceback" in debug.output and "╭" in debug.output
    assert "error: unexpected RuntimeError: disk on fire" in debug.output


def _readme_command_rows() -> dict[str, str]:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Commands", 1)[1].split("\n\n", 2)[1]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        match = re.match(r"\| `infer (\w+)(.*?)` \|", line)
        if match:
            rows[match.group(1)] = match.group(2)
    return rows


def test_readme_command_table_lists_every_command_with_options_that_exist() -> None:
    rows = _readme_command_rows()
    commands = _subcommands()
    assert sorted(rows) == sorted(commands)
    for name, synopsis in rows.items():
        listed = set(re.findall(r"(?<![\w-])(--?[a-zA-Z][\w-]*)", synopsis))
        missing = listed - _options(commands[name])
        assert not missing, f"README lists {sorted(missing)} for `infer {name}`; --help has not"


def test_infer_alone_prints_the_help_and_no_error_line(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage: infer" in result.output
    assert "error:" not in result.output


def test_the_version_has_one_source() -> None:
    # pyproject.toml reads it from infer/__init__.py; the installed metadata must agree.
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert re.search(r"^version\s*=", pyproject, re.MULTILINE) is None
    assert 'dynamic = ["version"]' in pyproject
    assert 'path = "cli/infer/__init__.py"' in pyproject
    assert importlib.metadata.version("infer-cli") == __version__
