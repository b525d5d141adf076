"""Machine-readable renderings of a report: JSON (stable schema), GitHub annotations, SARIF."""

from __future__ import annotations

import json
from pathlib import Path

from infer import __version__
from infer.validate.engine import Report
from infer.validate.explanations import explain
from infer.validate.findings import Severity
from infer.validate.rules import RULES

JSON_SCHEMA_VERSION = 1
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def to_json(report: Report) -> str:
    """The report as JSON: {version, repo, streaming, summary, findings[]}."""
    document = {
        "version": JSON_SCHEMA_VERSION,
        "repo": str(report.repo),
        "streaming": report.streaming,
        "summary": {
            "errors": report.errors,
            "warnings": report.warnings,
            "suppressed": report.suppressed,
        },
        "findings": [finding.to_json() for finding in report.findings],
    }
    return json.dumps(document, indent=2)


def to_github(report: Report) -> str:
    """One workflow command per finding, so GitHub shows them inline on the diff."""
    lines = []
    for finding in report.findings:
        level = "error" if finding.severity is Severity.ERROR else "warning"
        path = (report.repo / finding.path).as_posix()
        properties = ",".join(
            [
                f"file={_property(path)}",
                f"line={finding.line}",
                f"col={finding.col}",
                f"title={_property(finding.code)}",
            ]
        )
        text = finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
        lines.append(f"::{level} {properties}::{_data(text)}")
    return "\n".join(lines)


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def to_sarif(report: Report) -> str:
    """The report as a SARIF 2.1.0 log, for code scanning (GitHub, GitLab, IDEs)."""
    used = sorted({finding.code for finding in report.findings})
    index = {code: position for position, code in enumerate(used)}
    results = [
        {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": finding.severity.value,
            "message": {
                "text": finding.message + (f" (hint: {finding.hint})" if finding.hint else "")
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(report.repo / finding.path)},
                        "region": {"startLine": finding.line, "startColumn": finding.col},
                    }
                }
            ],
        }
        for finding in report.findings
    ]
    log = {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "infer",
                        "version": __version__,
                        "informationUri": "https://pypi.org/project/infer-cli/",
                        "rules": [_sarif_rule(code) for code in used],
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2)


def artifact_uri(path: Path) -> str:
    """A SARIF artifact URI: relative to the working folder (where code scanning runs) when the
    file is under it, else an absolute file: URI."""
    absolute = path.absolute()
    try:
        return absolute.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return absolute.as_uri()


def _sarif_rule(code: str) -> dict[str, object]:
    rule = RULES[code]
    entry: dict[str, object] = {
        "id": code,
        "shortDescription": {"text": rule.summary},
        "defaultConfiguration": {"level": rule.severity.value},
    }
    explanation = explain(code)
    if explanation is not None:
        entry["fullDescription"] = {"text": explanation.why}
        entry["help"] = {
            "text": f"{explanation.why}\nExample: {explanation.example}\nFix: {explanation.fix}"
        }
    return entry
