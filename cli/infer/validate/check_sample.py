"""INF5xx: input.json, the sample request, checked against the input schema."""

from __future__ import annotations

import re
from pathlib import Path

from infer.repo.datatypes import InputSpec
from infer.repo.sources import SAMPLE_INPUT_FILE, ParseFailure, parse_json, present, read_text
from infer.repo.v2_inputs import parse_v2_inputs
from infer.validate.findings import Finding
from infer.validate.rules import rule
from infer.validate.unreadable import failure_finding

PATH = SAMPLE_INPUT_FILE


def check_sample_input(repo: Path, specs: list[InputSpec] | None) -> list[Finding]:
    """Check input.json (when present) against the schema (when it could be read)."""
    path = repo / SAMPLE_INPUT_FILE
    if not present(path):
        return []
    data = parse_json(path)
    if isinstance(data, ParseFailure):
        return [failure_finding(data, PATH, "INF500")]
    if not isinstance(data, dict) or not isinstance(data.get("inputs"), list):
        return [
            rule("INF501").at(
                PATH,
                1,
                1,
                'input.json must be an object with an "inputs" list',
                '{"inputs": [{"name": "TEXT", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}',
            )
        ]
    if specs is None:
        return []
    text = read_text(path)
    _, problems = parse_v2_inputs(data, specs)
    return [
        rule("INF502").at(
            PATH,
            _line_of(text if isinstance(text, str) else "", problem.name),
            1,
            f"input.json: {problem.message}",
            "make input.json a request the model accepts (infer stream --input-file sends it)",
        )
        for problem in problems
    ]


def _line_of(text: str, name: str) -> int:
    match = re.search(rf'"name"\s*:\s*"{re.escape(name)}"', text)
    return text.count("\n", 0, match.start()) + 1 if match else 1
