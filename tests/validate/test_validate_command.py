"""`infer validate` end to end: real repos on disk, the real CLI, every output format."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.app import app
from infer.scaffold.catalog import get_template
from infer.scaffold.render import ScaffoldRequest, write_repo
from infer.validate.engine import validate_repo
from infer.validate.rules import RULES
from tests.conftest import TEMPLATE_NAMES, infer_command

HERE = Path(__file__).parent
SEED = HERE / "seed_streaming_template"
BASE = HERE / "corpus" / "_base"


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_every_generated_template_validates_clean(template: str, tmp_path: Path) -> None:
    write_repo(ScaffoldRequest(tmp_path / "m", get_template(template)))
    done = subprocess.run(
        infer_command("validate", str(tmp_path / "m")), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout
    assert "0 error(s), 0 warning(s)" in done.stdout


def test_seed_public_template_reports_its_real_defects() -> None:
    findings = validate_repo(SEED).findings
    by_code = {f.code: f for f in findings}
    assert by_code["INF308"].line == 17
    assert by_code["INF308"].message.startswith("self.streamer holds a TextIteratorStreamer")
    assert by_code["INF309"].line == 23
    assert by_code["INF307"].line == 45
    assert by_code["INF307"].severity.value == "warning"
    # Its repo ships no inferless.yaml, which only the platform's CLI needs: a warning.
    assert by_code["INF401"].severity.value == "warning"
    assert sorted(by_code) == ["INF307", "INF308", "INF309", "INF401"]


def test_validate_never_executes_the_repos_code(tmp_path: Path) -> None:
    repo = tmp_path / "trap"
    shutil.copytree(BASE, repo)
    canary = tmp_path / "canary"
    payload = (
        f"import pathlib, sys, os\npathlib.Path({str(canary)!r}).write_text('ran')\nos._exit(42)\n"
    )
    for name in ("app.py", "input_schema.py"):
        path = repo / name
        path.write_text(payload + path.read_text())
    (repo / "inferless-runtime-config.yaml").write_text(
        'build: !!python/object/apply:os.system ["touch ' + str(canary) + '"]\n'
    )
    done = subprocess.run(
        infer_command("validate", str(repo)), capture_output=True, text=True, timeout=60
    )
    assert not canary.exists()
    assert done.returncode == 1  # the unsafe YAML tag is a finding, not an execution
    assert "INF200" in done.stdout
    assert "could not determine a constructor" in done.stdout


def test_exit_codes_clean_errors_and_not_a_repo(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(BASE)]).exit_code == 0
    assert runner.invoke(app, ["validate", str(SEED)]).exit_code == 0  # warnings only
    broken = tmp_path / "broken"
    shutil.copytree(BASE, broken)
    (broken / "app.py").write_text("def (:\n")
    assert runner.invoke(app, ["validate", str(broken)]).exit_code == 1
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["validate", str(empty)])
    assert result.exit_code == 2
    assert f"error: {empty} is not a model repo: it has none of app.py" in result.output


def test_text_output_groups_by_file_with_location_code_and_hint(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(SEED)])
    lines = result.output.splitlines()
    assert "app.py" in lines
    assert any(
        line.strip().startswith("app.py:17:9  INF308  warning  self.streamer holds")
        for line in lines
    )
    assert "      hint: create the streamer inside infer() as a local variable" in lines
    assert lines[-1] == f"! 0 error(s), 4 warning(s) in {SEED}: deployable"


def test_json_output_follows_the_documented_schema(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(SEED), "--format", "json"])
    document = json.loads(result.output)
    assert document["version"] == 1
    assert document["streaming"] is True
    assert document["summary"] == {"errors": 0, "warnings": 4, "suppressed": 0}
    first = document["findings"][0]
    assert set(first) == {"code", "severity", "path", "line", "col", "message", "hint"}
    assert first["path"] == "app.py" and first["code"] == "INF308"


def test_github_output_is_one_annotation_per_finding(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(SEED), "--format", "github"])
    lines = result.output.splitlines()
    assert len(lines) == 4
    assert lines[0].startswith(
        f"::warning file={SEED}/app.py,line=17,col=9,title=INF308::self.streamer holds"
    )
    assert any(line.startswith("::warning file=") and "INF401" in line for line in lines)
    # A multi-line hint stays on its annotation's one line.
    assert any("holding:%0Aname: seed_streaming_template%0A" in line for line in lines)


def test_select_and_ignore_filter_by_code_or_prefix(runner: CliRunner) -> None:
    only_app = runner.invoke(app, ["validate", str(SEED), "--format", "json", "--select", "INF3"])
    assert {f["code"] for f in json.loads(only_app.output)["findings"]} == {
        "INF307",
        "INF308",
        "INF309",
    }
    assert only_app.exit_code == 0  # warnings only
    ignored = runner.invoke(
        app, ["validate", str(SEED), "--format", "json", "--ignore", "INF401,INF309"]
    )
    assert {f["code"] for f in json.loads(ignored.output)["findings"]} == {"INF307", "INF308"}


def test_unknown_rule_code_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(SEED), "--ignore", "INF999"])
    assert result.exit_code == 2
    assert "error: unknown rule code(s): INF999" in result.output


def test_list_rules_prints_every_code_with_its_summary(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--list-rules"])
    assert result.exit_code == 0
    for code, rule in RULES.items():
        assert code in result.output
        assert rule.summary[:30] in result.output


def test_pydantic_streaming_fields_obey_the_streaming_limits(tmp_path: Path) -> None:
    write_repo(ScaffoldRequest(tmp_path / "m", get_template("pydantic")))
    app_py = tmp_path / "m" / "app.py"
    app_py.write_text(
        app_py.read_text()
        .replace("IS_STREAMING_OUTPUT = False", "IS_STREAMING_OUTPUT = True")
        .replace("max_new_tokens: Optional[int] = 128", "temperature: float = 0.7")
    )
    (tmp_path / "m" / "input.json").unlink()
    (tmp_path / "m" / "inferless.yaml").write_text(
        "name: m\nconfiguration:\n  inference_time: 60\n"
    )
    lines = app_py.read_text().splitlines()
    field = next(n for n, line in enumerate(lines, 1) if "temperature: float" in line)
    infer = next(n for n, line in enumerate(lines, 1) if "def infer(" in line)
    reads = next(n for n, line in enumerate(lines, 1) if "request.max_new_tokens" in line)
    codes = [(f.code, f.line) for f in validate_repo(tmp_path / "m").findings]
    # A streaming infer needs the stream handler, and must send and finalise events; it still
    # reads the field that was replaced, and never reads the new required one.
    assert codes == [
        ("INF105", field),
        ("INF304", infer),
        ("INF305", infer),
        ("INF306", infer),
        ("INF315", infer),
        ("INF314", reads),
    ]


def test_validate_imports_neither_the_server_nor_the_model_stack() -> None:
    probe = (
        "import sys\n"
        "from infer.app import main\n"
        f"sys.argv = ['infer', 'validate', {str(SEED)!r}, '--format', 'sarif']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('uvicorn', 'starlette', 'httpx', 'torch', 'transformers', 'jinja2')\n"
        "print('HEAVY', [m for m in heavy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert "HEAVY []" in done.stdout, done.stdout + done.stderr
