"""What users of ruff and mypy expect: file paths, --explain, inline suppression, SARIF."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.app import app
from infer.validate.explanations import EXPLANATIONS
from infer.validate.formats import artifact_uri
from infer.validate.rule_table import with_rule_table
from infer.validate.rules import RULES
from tests.conftest import ROOT

HERE = Path(__file__).parent
SEED = HERE / "seed_streaming_template"
BASE = HERE / "corpus" / "_base"


def _codes(output: str) -> list[str]:
    return [f["code"] for f in json.loads(output)["findings"]]


def test_a_file_path_validates_the_repo_around_it(runner: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "seed"
    shutil.copytree(SEED, repo)
    (repo / "utils").mkdir()
    (repo / "utils" / "text.py").write_text("X = 1\n")
    whole = runner.invoke(app, ["validate", str(repo), "--format", "json"])
    for target in (repo / "app.py", repo / "utils" / "text.py"):
        result = runner.invoke(app, ["validate", str(target), "--format", "json"])
        assert result.exit_code == 0, result.output
        assert _codes(result.output) == _codes(whole.output)
        assert json.loads(result.output)["repo"] == str(repo)


def test_a_missing_path_says_it_does_not_exist(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope" / "app.py")])
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'nope' / 'app.py'} does not exist" in result.output


def test_a_file_outside_any_repo_is_not_a_model_repo(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.py").write_text("x = 1\n")
    result = runner.invoke(app, ["validate", str(tmp_path / "notes.py")])
    assert result.exit_code == 2
    assert f"error: {tmp_path / 'notes.py'} is not inside a model repo" in result.output


def test_explain_prints_rationale_example_and_fix(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--explain", "inf308"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "INF308 (warning): per-request state (a streamer) is stored on self and shared by requests",
        "",
        "Why",
        "  One model object serves concurrent requests: state stored on self (a streamer, the "
        "current prompt) is shared, so requests read each other's tokens.",
        "",
        "Example",
        "  self.streamer = TextIteratorStreamer(self.tokenizer)",
        "",
        "Fix",
        "  streamer = TextIteratorStreamer(self.tokenizer) inside infer()",
        "",
        "Silence one line with: # infer: ignore[INF308]",
    ]


def test_explain_an_unknown_code_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", "--explain", "INF999"])
    assert result.exit_code == 2
    assert "error: unknown rule code 'INF999'" in result.output


def test_every_rule_has_an_explanation() -> None:
    assert set(EXPLANATIONS) == set(RULES)
    for explanation in EXPLANATIONS.values():
        assert explanation.why and explanation.example and explanation.fix


def _seed_with_comment(tmp_path: Path, comment: str) -> Path:
    repo = tmp_path / "seed"
    shutil.copytree(SEED, repo)
    app_py = repo / "app.py"
    lines = app_py.read_text().splitlines()
    lines[16] += f"  {comment}"  # line 17: self.streamer = TextIteratorStreamer(...) (INF308)
    app_py.write_text("\n".join(lines) + "\n")
    return repo


@pytest.mark.parametrize(
    ("comment", "suppressed"),
    [
        ("# infer: ignore[INF308]", 1),
        ("# infer: ignore[INF309, inf308]", 1),
        ("# infer: ignore", 1),
        ("# infer: ignore[INF309]", 0),
        ("# unrelated comment", 0),
    ],
)
def test_inline_comment_suppresses_findings_on_its_line(
    runner: CliRunner, tmp_path: Path, comment: str, suppressed: int
) -> None:
    repo = _seed_with_comment(tmp_path, comment)
    result = runner.invoke(app, ["validate", str(repo), "--format", "json"])
    document = json.loads(result.output)
    assert document["summary"]["suppressed"] == suppressed
    assert ("INF308" in _codes(result.output)) is (suppressed == 0)


def test_text_summary_counts_suppressed_findings(runner: CliRunner, tmp_path: Path) -> None:
    repo = _seed_with_comment(tmp_path, "# infer: ignore[INF308]")
    result = runner.invoke(app, ["validate", str(repo)])
    assert result.output.splitlines()[-1] == (
        f"! 0 error(s), 3 warning(s), 1 suppressed in {repo}: deployable"
    )


def test_a_suppressed_error_no_longer_fails_the_run(runner: CliRunner, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    app_py = repo / "app.py"
    app_py.write_text("import sentencepiece  # infer: ignore[INF313]\n" + app_py.read_text())
    result = runner.invoke(app, ["validate", str(repo)])
    assert result.exit_code == 0
    assert "0 error(s), 0 warning(s), 1 suppressed" in result.output


def test_sarif_output_is_a_sarif_2_1_0_log(runner: CliRunner) -> None:
    result = runner.invoke(app, ["validate", str(SEED), "--format", "sarif"])
    assert result.exit_code == 0
    log = json.loads(result.output)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "infer"
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert rule_ids == ["INF307", "INF308", "INF309", "INF401"]
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] == RULES[rule["id"]].summary
        assert rule["defaultConfiguration"]["level"] in {"error", "warning"}
        assert rule["help"]["text"].startswith(EXPLANATIONS[rule["id"]].why)
    first = run["results"][0]
    assert first["ruleId"] == "INF308"
    assert rule_ids[first["ruleIndex"]] == "INF308"
    assert first["level"] == "warning"
    location = first["locations"][0]["physicalLocation"]
    # Relative to the working folder, as code scanning expects.
    assert (
        location["artifactLocation"]["uri"] == (SEED / "app.py").relative_to(Path.cwd()).as_posix()
    )
    assert location["region"] == {"startLine": 17, "startColumn": 9}
    assert first["message"]["text"].startswith("self.streamer holds a TextIteratorStreamer")


def test_sarif_for_a_clean_repo_has_no_results(runner: CliRunner) -> None:
    log = json.loads(runner.invoke(app, ["validate", str(BASE), "--format", "sarif"]).output)
    assert log["runs"][0]["results"] == []


def test_readme_rule_table_is_generated_from_the_rules() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_rule_table(readme), (
        "README.md's rule table is stale: run `python -m infer.validate.rule_table README.md`"
    )
    for code in RULES:
        assert f"| `{code}` |" in readme


def test_sarif_uri_outside_the_working_folder_is_a_file_uri(tmp_path: Path) -> None:
    assert artifact_uri(Path("/nowhere/repo/app.py")) == "file:///nowhere/repo/app.py"
    assert artifact_uri(Path.cwd() / "m" / "app.py") == "m/app.py"


def test_a_yaml_comment_suppresses_a_finding_in_the_runtime_config(
    runner: CliRunner, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    config = repo / "inferless-runtime-config.yaml"
    config.write_text(config.read_text() + '    - "numpy"  # infer: ignore[INF208]\n')
    document = json.loads(runner.invoke(app, ["validate", str(repo), "--format", "json"]).output)
    assert document["findings"] == []
    assert document["summary"]["suppressed"] == 1
