"""`infer init` as a user meets it: what is written, and what is refused with which words."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.app import app
from tests.conftest import ROOT, infer_command


def test_init_writes_the_default_streaming_repo(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "chef"), "--no-input"])
    assert result.exit_code == 0, result.output
    assert "from the streaming template" in result.output
    assert "TheBloke/zephyr-7B-beta-AWQ" in (tmp_path / "chef" / "app.py").read_text()
    assert "name: chef" in (tmp_path / "chef" / "inferless.yaml").read_text()


def test_init_refuses_an_existing_non_empty_folder_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(target), "--no-input"])
    assert result.exit_code == 2
    assert f"error: {target} already exists and is not empty; nothing was written" in result.output
    assert "pass --force" in result.output
    assert [p.name for p in target.iterdir()] == ["notes.txt"]


def test_init_force_writes_into_an_existing_folder_and_keeps_other_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(target), "--no-input", "--force"])
    assert result.exit_code == 0, result.output
    assert (target / "app.py").is_file()
    assert (target / "notes.txt").read_text() == "mine"


@pytest.mark.parametrize("bad_name", ["bad name!", "-leading-dash", "a" * 64, "über"])
def test_init_refuses_an_invalid_model_name(
    runner: CliRunner, tmp_path: Path, bad_name: str
) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / bad_name), "--no-input"])
    assert result.exit_code == 2
    assert f"error: {bad_name!r} is not a valid model name" in result.output
    assert list(tmp_path.iterdir()) == []


def test_init_unknown_template_lists_the_valid_ones(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "m"), "--template", "nope", "--no-input"])
    assert result.exit_code == 2
    assert "error: unknown template 'nope'" in result.output
    assert "choose one of: streaming, streaming-cpu, basic, pydantic" in result.output
    assert not (tmp_path / "m").exists()


def test_init_refuses_a_file_in_the_way(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "m").write_text("x")
    result = runner.invoke(app, ["init", str(tmp_path / "m"), "--no-input"])
    assert result.exit_code == 2
    assert "exists and is not a directory" in result.output


def test_init_under_a_file_is_a_clear_error_and_writes_nothing(
    runner: CliRunner, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("x")
    result = runner.invoke(app, ["init", str(tmp_path / "notes.txt" / "m"), "--no-input"])
    assert result.exit_code == 2
    target, blocker = tmp_path / "notes.txt" / "m", tmp_path / "notes.txt"
    assert f"error: cannot write {target}: {blocker} is a file, not a folder" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_init_without_a_name_and_without_a_tty_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["init", "--no-input"])
    assert result.exit_code == 2
    assert "give the folder to create" in result.output


def test_list_templates_shows_each_with_its_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["init", "--list-templates"])
    assert result.exit_code == 0
    for name in ["streaming (default)", "streaming-cpu", "basic", "pydantic"]:
        assert name in result.output
    assert "zephyr-7B-beta AWQ" in result.output


def test_init_prompts_for_template_and_model_on_a_tty(tmp_path: Path) -> None:
    # `script` gives the child a real pseudo-terminal, so the prompts are the real ones.
    target = tmp_path / "asked"
    command = " ".join([*infer_command("init", str(target))])
    answers = "basic\norg/tiny\n"
    done = subprocess.run(
        ["script", "-qfec", command, "/dev/null"],
        input=answers,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    screen = re.sub(r"\x1b\[[0-9;]*m", "", done.stdout)
    assert "Template [streaming/streaming-cpu/basic/pydantic] (streaming)" in screen
    assert "Hugging Face model id (HuggingFaceTB/SmolLM2-135M-Instruct)" in screen
    assert 'MODEL_NAME = "org/tiny"' in (target / "app.py").read_text()


def test_version_and_python_dash_m() -> None:
    done = subprocess.run(infer_command("--version"), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout.strip() == "infer 0.1.0"


def test_help_lists_the_four_commands_with_examples(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ["init", "validate", "serve", "stream", "bench", "chat"]:
        assert command in result.output
    init_help = runner.invoke(app, ["init", "--help"])
    assert "Example:" in init_help.output


def test_help_does_not_import_the_server_or_model_stack() -> None:
    probe = (
        "import sys; from infer.app import app\n"
        "heavy = [m for m in ('uvicorn', 'starlette', 'torch', 'transformers', 'httpx', 'jinja2') "
        "if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]"


def test_wheel_ships_the_templates_and_init_works_from_it(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    wheel = next((tmp_path / "dist").glob("infer_cli-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(tmp_path / "site")
        names = archive.namelist()
    assert "infer/templates/streaming/app.py.j2" in names
    assert "infer/templates/_common/gitignore" in names
    # Run from the unpacked wheel only, not the checkout, to prove the packaged templates work.
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import infer.app; infer.app.main()",
            "init",
            str(tmp_path / "from-wheel"),
            "--no-input",
            "--template",
            "basic",
        ],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "from-wheel" / "input_schema.py").is_file()


def test_init_force_lists_differing_files_and_replaces_nothing_without_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    assert (
        runner.invoke(app, ["init", str(target), "--no-input", "--template", "basic"]).exit_code
        == 0
    )
    (target / "app.py").write_text("my work\n")
    (target / "input.json").write_text("{}\n")
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "basic", "--force"]
    )
    assert result.exit_code == 2
    assert (
        "error: --force would replace 2 file(s) whose content differs from the template: "
        "app.py, input.json; nothing was written"
    ) in result.output
    assert "pass --overwrite as well" in result.output
    assert (target / "app.py").read_text() == "my work\n"
    assert (target / "input.json").read_text() == "{}\n"


def test_init_force_adds_missing_files_and_keeps_identical_ones(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    assert (
        runner.invoke(app, ["init", str(target), "--no-input", "--template", "basic"]).exit_code
        == 0
    )
    (target / "README.md").unlink()
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "basic", "--force"]
    )
    assert result.exit_code == 0, result.output
    assert "  README.md  (created)" in result.output
    assert "  app.py  (unchanged)" in result.output
    assert (target / "README.md").is_file()


def test_init_force_overwrite_replaces_differing_files_and_says_so(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    assert (
        runner.invoke(app, ["init", str(target), "--no-input", "--template", "basic"]).exit_code
        == 0
    )
    (target / "app.py").write_text("my work\n")
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "basic", "--force", "--overwrite"]
    )
    assert result.exit_code == 0, result.output
    assert "  app.py  (replaced)" in result.output
    assert "class InferlessPythonModel" in (target / "app.py").read_text()


def test_init_overwrite_without_force_is_a_usage_error(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "m"), "--no-input", "--overwrite"])
    assert result.exit_code == 2
    assert "--overwrite only makes sense with --force" in result.output
    assert not (tmp_path / "m").exists()


def test_init_never_writes_through_a_symlink_even_with_overwrite(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    elsewhere = tmp_path / "precious.py"
    elsewhere.write_text("do not touch\n")
    (target / "app.py").symlink_to(elsewhere)
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "basic", "--force", "--overwrite"]
    )
    assert result.exit_code == 2
    assert f"error: {target / 'app.py'} is a symbolic link; infer init never writes" in (
        result.output
    )
    assert elsewhere.read_text() == "do not touch\n"
    assert sorted(p.name for p in target.iterdir()) == ["app.py"]


def test_init_refuses_a_destination_that_is_a_symlink(runner: CliRunner, tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    result = runner.invoke(app, ["init", str(tmp_path / "link"), "--no-input", "--force"])
    assert result.exit_code == 2
    assert "is a symbolic link; infer init never writes through a link" in result.output
    assert list(real.iterdir()) == []


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_init_creates_folders_and_files_with_the_users_umask(tmp_path: Path, umask: int) -> None:
    # A real process, so the umask is the child's own and the test's process is untouched.
    target = tmp_path / "m"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"import os, sys; os.umask({umask}); from infer.app import main; "
            f"sys.argv = ['infer', 'init', {str(target)!r}, '--no-input', '--template', "
            "'basic']; main()",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert target.stat().st_mode & 0o777 == 0o777 & ~umask
    assert (target / "app.py").stat().st_mode & 0o777 == 0o666 & ~umask
