"""`infer init` as a newcomer types it: in the current folder, in a fresh clone, with --model."""

from __future__ import annotations

import subprocess
from pathlib import Path

from typer.testing import CliRunner

from infer.app import app
from tests.conftest import infer_command


def test_init_dot_names_the_model_after_the_current_folder(tmp_path: Path) -> None:
    here = tmp_path / "chef"
    here.mkdir()
    done = subprocess.run(
        infer_command("init", ".", "--no-input", "--template", "basic"),
        cwd=here,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "from the basic template" in done.stdout
    assert "name: chef" in (here / "inferless.yaml").read_text()
    assert "  cd " not in done.stdout  # already there
    assert "  infer serve ." in done.stdout


def test_init_writes_into_a_fresh_clone_holding_only_git(runner: CliRunner, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    result = runner.invoke(app, ["init", str(clone), "--no-input", "--template", "basic"])
    assert result.exit_code == 0, result.output
    assert (clone / "app.py").is_file()
    assert (clone / ".git" / "HEAD").read_text() == "ref: refs/heads/main\n"


def test_a_folder_with_more_than_git_is_still_refused(runner: CliRunner, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / ".git").mkdir(parents=True)
    (clone / "notes.txt").write_text("mine")
    result = runner.invoke(app, ["init", str(clone), "--no-input"])
    assert result.exit_code == 2
    assert "already exists and is not empty" in result.output


def test_streaming_cpu_refuses_model_instead_of_ignoring_it(
    runner: CliRunner, tmp_path: Path
) -> None:
    target = tmp_path / "cpu"
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "streaming-cpu", "-m", "org/other"]
    )
    assert result.exit_code == 2
    assert result.output.startswith(
        "error: the streaming-cpu template runs the model it ships with and takes no --model; "
        "nothing was written"
    )
    assert "hint: drop --model, or serve org/other with --template streaming (GPU)" in (
        result.output.replace("\n", " ")
    )
    assert not target.exists()


def test_model_still_reaches_templates_that_take_one(runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / "b"
    result = runner.invoke(
        app, ["init", str(target), "--no-input", "--template", "basic", "-m", "org/other"]
    )
    assert result.exit_code == 0, result.output
    assert 'MODEL_NAME = "org/other"' in (target / "app.py").read_text()
