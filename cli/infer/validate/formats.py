"""Machine-readable renderings of a report: JSON (stable schema) and GitHub annotations."""

from __future__ import annotations

import json

from infer.validate.engine import Report
from infer.validate.findings import Severity

JSON_SCHEMA_VERSION = 1


def to_json(report: Report) -> str:
    """The report as JSON: {version, repo, streaming, summary, findings[]}."""
    document = {
        "version": JSON_SCHEMA_VERSION,
        "repo": str(report.repo),
        "streaming": report.streaming,
        "summary": {"errors": report.errors, "warnings": report.warnings},
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
