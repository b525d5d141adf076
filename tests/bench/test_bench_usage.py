"""Bad command lines and bad files get a specific error and exit 2, before any load is sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infer.app import app
from infer.bench.dataset import load_dataset
from infer.errors import UsageError

META = [
    {"name": "TEXT", "datatype": "STRING", "shape": [1], "required": True},
    {"name": "DELAY", "datatype": "INT", "shape": [1], "required": False},
]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-c", "1,x"], "error: --concurrency '1,x': 'x' is not a number"),
        (["-c", "0"], "error: --concurrency '0': each value must be above 0 and at most 4096"),
        (["-c", "4,4"], "error: --concurrency '4,4' repeats a value"),
        (["-c", "1", "--rate", "2"], "error: --concurrency and --rate cannot be combined"),
        (["--slo", "ttfb=1s"], "error: --slo 'ttfb=1s': 'ttfb=1s' is not KEY=DURATION"),
        (["--slo", "ttft=soon"], "error: --slo ttft: 'soon' is not a duration"),
        (["--duration", "0s"], "error: --duration '0s': must be above 0 and at most 24 hours"),
        (["--timeout", "forever"], "error: --timeout: 'forever' is not a duration"),
        (["--dataset", "d.jsonl", "--text", "x"], "error: --dataset cannot be combined with"),
        (["--url", "ftp://x"], "error: --url 'ftp://x' is not an http(s) URL"),
        (["--tokenizer", "/nonexistent"], "error: --tokenizer /nonexistent: not a folder"),
    ],
)
def test_bad_options_are_refused_with_a_clear_error(
    runner: CliRunner, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["bench", *args])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_compare_refuses_a_file_that_is_not_a_bench_report(
    runner: CliRunner, tmp_path: Path
) -> None:
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"version": 1, "findings": []}))
    result = runner.invoke(
        app, ["bench", "--url", "http://127.0.0.1:9/v2/models/m", "-f", str(other),
              "--compare", str(other)],
    )  # fmt: skip
    # The model's input file is accepted as is (no metadata needed); the report is not.
    assert result.exit_code == 2
    assert "is not an `infer bench --json` report" in " ".join(result.output.split())


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"TEXT": "a"}\nnot json\n', "prompts.jsonl:2: not JSON"),
        ('["a"]\n', "prompts.jsonl:1: each line must be a JSON object of inputs"),
        ('{"TEXTT": "a"}\n', "the model has no input 'TEXTT' (did you mean 'TEXT'?)"),
        ('{"TEXT": "a", "DELAY": "5"}\n', "prompts.jsonl:1: DELAY is INT; '5' is not"),
        ('{"inputs": 3}\n', '"inputs" must be a list of v2 inputs'),
        ("\n\n", "holds no requests"),
    ],
)
def test_a_bad_dataset_line_is_named(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text(content)
    with pytest.raises(UsageError) as error:
        load_dataset(path, META)
    assert message in error.value.message


def test_dataset_lines_become_v2_bodies(tmp_path: Path) -> None:
    path = tmp_path / "prompts.jsonl"
    path.write_text('{"prompt": "hi", "DELAY": 5}\n{"TEXT": "yo"}\n')
    assert load_dataset(path, META) == [
        {
            "inputs": [
                {"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["hi"]},
                {"name": "DELAY", "shape": [1], "datatype": "INT64", "data": [5]},
            ]
        },
        {"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["yo"]}]},
    ]


def test_help_lists_bench(runner: CliRunner) -> None:
    result = runner.invoke(app, ["bench", "--help"])
    assert result.exit_code == 0
    options = "--concurrency --rate --requests --duration --warmup --dataset --tokenizer --slo"
    for option in [*options.split(), "--json", "--report", "--compare"]:
        assert option in result.output
