"""Running every check over a repo, in the order their facts depend on each other."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from infer.errors import NotAModelRepoError
from infer.repo.sources import APP_FILE, REPO_MARKERS, ParseFailure, is_model_repo, parse_python
from infer.validate.check_app import check_app
from infer.validate.check_inferless import check_inferless_yaml
from infer.validate.check_runtime import check_runtime_config
from infer.validate.check_sample import check_sample_input
from infer.validate.check_schema import check_schema
from infer.validate.findings import Finding, Severity
from infer.validate.rules import RULES, rule


@dataclass(frozen=True)
class Report:
    """The findings for one repo, in file and line order."""

    repo: Path
    findings: list[Finding]
    streaming: bool | None

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(f.severity is Severity.WARNING for f in self.findings)


def validate_repo(repo: Path, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Report:
    """Statically check a model repo; nothing in it is imported or executed."""
    if not is_model_repo(repo):
        raise NotAModelRepoError(
            f"{repo} is not a model repo: it has none of {', '.join(REPO_MARKERS)}",
            hint="point at the folder holding app.py, or create one with `infer init NAME`",
        )
    app_tree = parse_python(repo / APP_FILE) if (repo / APP_FILE).is_file() else None
    findings: list[Finding] = []
    tree = app_tree if not isinstance(app_tree, ParseFailure) else None
    facts = check_schema(repo, tree)
    findings += facts.findings
    findings += check_runtime_config(repo, facts.streaming)
    if app_tree is None:
        findings.append(
            rule("INF301").at(
                APP_FILE, 1, 1, "app.py is missing", "create app.py with class InferlessPythonModel"
            )
        )
    elif isinstance(app_tree, ParseFailure):
        findings.append(rule("INF300").at(APP_FILE, app_tree.line, app_tree.col, app_tree.message))
    else:
        findings += check_app(app_tree, facts.streaming)
    findings += check_inferless_yaml(repo)
    findings += check_sample_input(repo, facts.specs)
    chosen = _filter(findings, set(select), set(ignore))
    chosen.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return Report(repo, chosen, facts.streaming)


def _filter(findings: list[Finding], select: set[str], ignore: set[str]) -> list[Finding]:
    def matches(code: str, patterns: set[str]) -> bool:
        return any(code.startswith(pattern) for pattern in patterns)

    return [
        f
        for f in findings
        if (not select or matches(f.code, select)) and not matches(f.code, ignore)
    ]


def check_rule_codes(codes: Iterable[str]) -> list[str]:
    """The given codes or prefixes that match no rule."""
    return [code for code in codes if not any(known.startswith(code) for known in RULES)]
