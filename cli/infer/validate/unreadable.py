"""Findings for files that could not be read or parsed, by why (syntax, size, depth, type)."""

from __future__ import annotations

from infer.repo.sources import NOT_READ, TOO_DEEP, TOO_LARGE, ParseFailure
from infer.validate.findings import Finding
from infer.validate.rules import rule

_HINTS = {
    TOO_LARGE: "keep weights and data out of the checked files: download them in initialize()",
    TOO_DEEP: "this is not code a person writes: split the expression or the data up",
    NOT_READ: "make it a regular file inside the repo (the platform uploads the repo, not links)",
}
_CODES = {TOO_LARGE: "INF001", TOO_DEEP: "INF002", NOT_READ: "INF003"}


def failure_finding(failure: ParseFailure, path: str, syntax_code: str, hint: str = "") -> Finding:
    """The finding for a file that failed to parse: ``syntax_code`` for a plain syntax error."""
    code = _CODES.get(failure.kind, syntax_code)
    return rule(code).at(
        path, failure.line, failure.col, failure.message, _HINTS.get(failure.kind, hint)
    )
