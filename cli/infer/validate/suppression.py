"""Inline suppression, as ruff and mypy users know it: `# infer: ignore[INF308]` on the line."""

from __future__ import annotations

import re
from pathlib import Path

from infer.repo.sources import read_text
from infer.validate.findings import Finding

# `# infer: ignore` silences every finding on the line; `# infer: ignore[INF308, INF309]` those.
IGNORE_COMMENT = re.compile(r"#\s*infer:\s*ignore(?:\[(?P<codes>[A-Za-z0-9,\s]*)\])?")


def suppressed_codes(line: str) -> set[str] | None:
    """The codes a line's comment silences: None for none, an empty set for all."""
    match = IGNORE_COMMENT.search(line)
    if match is None:
        return None
    codes = match.group("codes")
    if codes is None:
        return set()
    return {code.strip().upper() for code in codes.split(",") if code.strip()}


def split_suppressed(repo: Path, findings: list[Finding]) -> tuple[list[Finding], int]:
    """The findings not silenced by a comment on their line, and how many were."""
    lines_by_path: dict[str, list[str]] = {}
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        if finding.path not in lines_by_path:
            lines_by_path[finding.path] = _lines(repo, finding.path)
        lines = lines_by_path[finding.path]
        line = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        codes = suppressed_codes(line)
        if codes is not None and (not codes or finding.code in codes):
            suppressed += 1
        else:
            kept.append(finding)
    return kept, suppressed


def _lines(repo: Path, relative: str) -> list[str]:
    # Only files that can hold comments; read with the same bounds as every other read.
    if not relative.endswith((".py", ".yaml", ".yml")):
        return []
    text = read_text(repo / relative, repo)
    return text.splitlines() if isinstance(text, str) else []
