"""Running every check over a repo, in the order their facts depend on each other."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from infer.errors import NotAModelRepoError, UsageError
from infer.repo.sources import (
    APP_FILE,
    REPO_MARKERS,
    ParseFailure,
    is_model_repo,
    parse_python,
    present,
)
from infer.validate.check_app import check_app
from infer.validate.check_imports import check_imports
from infer.validate.check_inferless import check_inferless_yaml
from infer.validate.check_inputs import check_input_reads
from infer.validate.check_quantized import check_quantized_loaders
from infer.validate.check_runtime import check_runtime_config
from infer.validate.check_sample import check_sample_input
from infer.validate.check_schema import check_schema
from infer.validate.findings import Finding, Severity
from infer.validate.rules import RULES, rule
from infer.validate.suppression import split_suppressed
from infer.validate.unreadable import failure_finding

T = TypeVar("T")

# How far up from a file `validate path/to/app.py` looks for the repo it belongs to.
MAX_PARENT_LEVELS = 32


@dataclass(frozen=True)
class Report:
    """The findings for one repo, in file and line order."""

    repo: Path
    findings: list[Finding]
    streaming: bool | None
    suppressed: int = 0

    @property
    def errors(self) -> int:
        """How many findings are errors."""
        return sum(f.severity is Severity.ERROR for f in self.findings)

    @property
    def warnings(self) -> int:
        """How many findings are warnings."""
        return sum(f.severity is Severity.WARNING for f in self.findings)


def find_repo(path: Path) -> Path:
    """The model repo ``path`` names: the folder itself, or the repo enclosing a file in it."""
    if not present(path):
        raise UsageError(
            f"{path} does not exist",
            hint="give the model repo folder (or a file in it), e.g. `infer validate .`",
        )
    if path.is_dir():
        return path
    folder = path.parent
    for candidate in [folder, *folder.resolve().parents][:MAX_PARENT_LEVELS]:
        if is_model_repo(candidate):
            return candidate
    raise NotAModelRepoError(
        f"{path} is not inside a model repo: no folder above it has any of "
        f"{', '.join(REPO_MARKERS)}",
        hint="point at the folder holding app.py, or create one with `infer init NAME`",
    )


def validate_repo(repo: Path, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> Report:
    """Statically check a model repo; nothing in it is imported or executed."""
    if not is_model_repo(repo):
        raise NotAModelRepoError(
            f"{repo} is not a model repo: it has none of {', '.join(REPO_MARKERS)}",
            hint="point at the folder holding app.py, or create one with `infer init NAME`",
        )
    app_tree = parse_python(repo / APP_FILE) if present(repo / APP_FILE) else None
    tree = app_tree if isinstance(app_tree, ast.Module) else None
    findings: list[Finding] = []
    facts = _guarded("input_schema.py", lambda: check_schema(repo, tree), findings)
    streaming = facts.streaming if facts is not None else None
    specs = facts.specs if facts is not None else None
    if facts is not None:
        findings += facts.findings
    _run("inferless-runtime-config.yaml", lambda: check_runtime_config(repo, streaming), findings)
    if app_tree is None:
        findings.append(
            rule("INF301").at(
                APP_FILE, 1, 1, "app.py is missing", "create app.py with class InferlessPythonModel"
            )
        )
    elif isinstance(app_tree, ParseFailure):
        findings.append(failure_finding(app_tree, APP_FILE, "INF300"))
    else:
        app = app_tree
        _run(APP_FILE, lambda: check_app(app, streaming), findings)
        _run(APP_FILE, lambda: check_imports(repo, app), findings)
        pydantic = facts is not None and facts.source == APP_FILE
        _run(APP_FILE, lambda: check_input_reads(app, specs, pydantic), findings)
        _run(APP_FILE, lambda: check_quantized_loaders(app), findings)
    _run("inferless.yaml", lambda: check_inferless_yaml(repo), findings)
    _run("input.json", lambda: check_sample_input(repo, specs), findings)
    kept, suppressed = split_suppressed(repo, findings)
    chosen = _filter(kept, set(select), set(ignore))
    chosen.sort(key=lambda f: (f.path, f.line, f.col, f.code))
    return Report(repo, chosen, streaming, suppressed)


def _guarded(path: str, check: Callable[[], T], findings: list[Finding]) -> T | None:
    """Run one check; a recursion or memory error inside it becomes a finding at ``path``."""
    try:
        return check()
    except (RecursionError, MemoryError):
        findings.append(
            rule("INF002").at(
                path,
                1,
                1,
                f"{path} nests too deeply to check",
                "this is not code a person writes: split the expression or the data up",
            )
        )
        return None


def _run(path: str, check: Callable[[], list[Finding]], findings: list[Finding]) -> None:
    found = _guarded(path, check, findings)
    if isinstance(found, list):
        findings.extend(found)


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
