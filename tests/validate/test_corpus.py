"""The broken-repo corpus: each case breaks one rule of a clean repo and expects that finding.

A case folder holds the files that differ from ``corpus/_base`` and ``expected.json``: the
code, file, line, column and exact message of the one finding the case must produce. Files too
big or too odd to commit are described in ``expected.json`` and made at test time (see
``repo_builder``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from infer.validate.engine import validate_repo
from infer.validate.rules import RULES
from tests.validate.repo_builder import build_repo

CORPUS = Path(__file__).parent / "corpus"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def materialise(case: Path, target: Path) -> dict[str, Any]:
    """Build the case's repo in ``target``; returns its expectations."""
    expected: dict[str, Any] = json.loads((case / "expected.json").read_text())
    build_repo(CORPUS / "_base", case, target, expected)
    return expected


def test_the_base_repo_is_clean() -> None:
    assert validate_repo(CORPUS / "_base").findings == []


def test_every_rule_has_a_corpus_case() -> None:
    covered = {case.name.split("-", 1)[0] for case in CASES}
    assert covered == set(RULES)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_case_reports_exactly_its_rule(case: Path, tmp_path: Path) -> None:
    expected = materialise(case, tmp_path / "repo")
    findings = validate_repo(tmp_path / "repo").findings
    assert [f.code for f in findings] == [expected["code"]], findings
    finding = findings[0]
    assert finding.severity is RULES[finding.code].severity
    assert (finding.path, finding.line, finding.col) == (
        expected["path"],
        expected["line"],
        expected["col"],
    )
    if "message" in expected:
        message = str(expected["message"]).replace("{parent}", str(tmp_path))
        assert finding.message == message
    assert finding.hint or finding.code in {"INF100", "INF200", "INF300", "INF400", "INF500"}
