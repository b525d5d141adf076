"""INF313: imports in app.py (and the repo modules it imports) that nothing installs."""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from infer.repo.sources import (
    APP_FILE,
    RUNTIME_CONFIG_FILE,
    ParseFailure,
    all_nodes,
    parse_python,
    parse_yaml,
    present,
)
from infer.validate.distributions import dependency_closure, distributions_for_import
from infer.validate.findings import Finding
from infer.validate.rules import rule
from infer.validate.unreadable import failure_finding

# The platform's runtime ships its SDK, and pydantic for the @inferless.request classes.
PLATFORM_PROVIDED = frozenset({"inferless", "pydantic"})
# Repo modules followed from app.py, at most: a repo is untrusted input.
MAX_MODULES = 50
IMPORT_ERRORS = frozenset({"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


@dataclass(frozen=True)
class ImportSite:
    """One absolute import of a module that is not the repo's own."""

    module: str
    path: str
    node: ast.AST


def check_imports(repo: Path, app_tree: ast.Module) -> list[Finding]:
    """Imports no python_packages entry (or what it depends on) installs, nor stdlib does."""
    packages = _python_packages(repo)
    if packages is None:
        return []  # no readable runtime config: the INF2xx rules say why
    installed = dependency_closure(packages)
    sites, findings = _third_party_imports(repo, app_tree)
    reported: set[str] = set()
    for site in sites:
        top = site.module.split(".")[0]
        candidates = distributions_for_import(site.module)
        if top in reported or any(name in installed for name in candidates):
            continue
        reported.add(top)
        findings.append(
            rule("INF313").at(
                site.path,
                getattr(site.node, "lineno", 1),
                getattr(site.node, "col_offset", 0) + 1,
                f"{site.path} imports {top!r}, which no python_packages entry installs",
                f'add "{candidates[0]}==X.Y.Z" to build.python_packages in {RUNTIME_CONFIG_FILE}',
            )
        )
    return findings


def _python_packages(repo: Path) -> list[str] | None:
    path = repo / RUNTIME_CONFIG_FILE
    if not present(path):
        return None
    document = parse_yaml(path)
    if isinstance(document, ParseFailure) or not isinstance(document.data, dict):
        return None
    build = document.data.get("build")
    packages = build.get("python_packages") if isinstance(build, dict) else None
    if packages is None:
        return []
    if not isinstance(packages, list):
        return None
    return [name for name in (requirement_name(str(text)) for text in packages) if name]


def requirement_name(text: str) -> str | None:
    """The distribution a python_packages entry installs, URLs and wheel files included."""
    text = text.strip()
    try:
        return Requirement(text).name
    except InvalidRequirement:
        pass
    if "#egg=" in text:
        return text.split("#egg=", 1)[1].split("&", 1)[0] or None
    # git+https://github.com/org/AutoAWQ.git@v0.2, https://host/pkg-1.0-py3-none-any.whl
    last = text.rstrip("/").rsplit("/", 1)[-1].split("@", 1)[0].removesuffix(".git")
    if last.endswith((".whl", ".tar.gz", ".zip")):
        last = last.split("-", 1)[0]
    return last or None


def _third_party_imports(
    repo: Path, app_tree: ast.Module
) -> tuple[list[ImportSite], list[Finding]]:
    """Imports across app.py and the repo modules it reaches, and findings for unreadable ones."""
    sites: list[ImportSite] = []
    findings: list[Finding] = []
    queue: list[tuple[Path, ast.Module]] = [(repo / APP_FILE, app_tree)]
    visited = {(repo / APP_FILE).resolve()}
    while queue:
        path, tree = queue.pop(0)
        relative = path.relative_to(repo).as_posix()
        for module, level, node in _imports(tree):
            is_local, local = _local_module(repo, path, module, level)
            if not is_local and level == 0:
                if not _provided_without_packages(module):
                    sites.append(ImportSite(module, relative, node))
                continue
            if local is None or local.resolve() in visited or len(visited) >= MAX_MODULES:
                continue
            visited.add(local.resolve())
            parsed = parse_python(local, repo)
            if isinstance(parsed, ParseFailure):
                findings.append(
                    failure_finding(parsed, local.relative_to(repo).as_posix(), "INF300")
                )
            else:
                queue.append((local, parsed))
    return sites, findings


def _provided_without_packages(module: str) -> bool:
    top = module.split(".")[0]
    return top in sys.stdlib_module_names or top in PLATFORM_PROVIDED or top == "__future__"


def _imports(tree: ast.Module) -> list[tuple[str, int, ast.AST]]:
    """(module, relative level, node) for every import that runs unguarded."""
    guarded = _guarded_nodes(tree)
    found: list[tuple[str, int, ast.AST]] = []
    for node in all_nodes(tree):
        if id(node) in guarded:
            continue
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0, node) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level and not module:
                found.extend((alias.name, node.level, node) for alias in node.names)
            else:
                found.append((module, node.level, node))
    return found


def _guarded_nodes(tree: ast.Module) -> set[int]:
    """Nodes inside `try: ... except ImportError:` or `if TYPE_CHECKING:` (optional imports)."""
    guarded: set[int] = set()
    for node in all_nodes(tree):
        if _is_optional_block(node):
            assert isinstance(node, (ast.Try, ast.If))
            for statement in node.body:
                guarded.update(id(inner) for inner in ast.walk(statement))
    return guarded


def _is_optional_block(node: ast.AST) -> bool:
    if isinstance(node, ast.Try):
        return any(
            handler.type is None or bool(_names(handler.type) & IMPORT_ERRORS)
            for handler in node.handlers
        )
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _names(node: ast.expr) -> set[str]:
    return {
        n.id if isinstance(n, ast.Name) else n.attr
        for n in ast.walk(node)
        if isinstance(n, (ast.Name, ast.Attribute))
    }


def _local_module(repo: Path, importer: Path, module: str, level: int) -> tuple[bool, Path | None]:
    """Whether an import names the repo's own module, and its file to follow (if one)."""
    if level:
        base = importer.parent
        for _ in range(level - 1):
            base = base.parent
    else:
        base = repo
    target = base.joinpath(*module.split(".")) if module else base
    for candidate in (target.with_suffix(".py"), target / "__init__.py"):
        if present(candidate) and _inside(candidate, repo):
            return True, candidate
    # A folder without __init__.py (a namespace package) is the repo's own too.
    top = base / module.split(".")[0] if module else base
    return bool(level) or present(top.with_suffix(".py")) or top.is_dir(), None


def _inside(path: Path, repo: Path) -> bool:
    return path.absolute().is_relative_to(repo.absolute())
