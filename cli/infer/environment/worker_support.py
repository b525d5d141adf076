"""What the worker needs from infer, shipped into an isolated environment.

An isolated environment holds only the model's python_packages. The worker's own modules are
found by following its imports from its entry point, `infer.runtime.worker.__main__` (so a
refactor ships what it needs without a list to keep up to date); third-party packages they
import at module level are copied beside them. They go into a folder that a .pth file appends
*after* site-packages, so the model's pinned packages always win, and infer's server stack
(uvicorn, starlette, typer, rich, httpx) never comes along.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import infer

WORKER_MODULE = "infer.runtime.worker.__main__"
SHIP_DIR = "infer-worker"
PTH_FILE = "_infer_worker.pth"
STAMP_FILE = ".stamp"
INFER_ROOT = Path(infer.__file__).resolve().parent


@dataclass(frozen=True)
class WorkerFiles:
    """The files to ship: infer's modules (relative path → source) and vendored packages."""

    modules: dict[str, Path]
    vendored: dict[str, Path]

    def digest(self) -> str:
        """A hash of everything shipped, to refresh the copy when infer changes."""
        sha = hashlib.sha256()
        for relative, path in sorted({**self.modules, **self.vendored}.items()):
            sha.update(relative.encode())
            for file in sorted(_files(path)):
                sha.update(file.read_bytes())
        return sha.hexdigest()[:16]


def worker_files(entry: str = WORKER_MODULE) -> WorkerFiles:
    """Follow infer-internal imports from ``entry``; collect module-level third-party ones."""
    modules: dict[str, Path] = {}
    third_party: set[str] = set()
    pending = [entry]
    while pending:
        name = pending.pop()
        path = _module_path(name)
        if path is None:
            continue
        relative = path.relative_to(INFER_ROOT.parent).as_posix()
        if relative in modules:
            continue
        modules[relative] = path
        parent = name.rpartition(".")[0]
        if parent:
            pending.append(parent)
        for imported, top_level in _imports(path, name):
            if imported.split(".")[0] == "infer":
                pending.extend(_existing(imported))
            elif top_level and imported.split(".")[0] not in sys.stdlib_module_names:
                third_party.add(imported.split(".")[0])
    vendored = {}
    for top in sorted(third_party):
        spec = importlib.util.find_spec(top)
        if spec is not None and spec.origin:
            origin = Path(spec.origin)
            vendored[top] = origin.parent if spec.submodule_search_locations else origin
    return WorkerFiles(modules, vendored)


def install_worker_support(env: Path, purelib: str) -> Path:
    """Ship the worker's files into ``env`` (refreshed when infer changed); returns the folder."""
    files = worker_files()
    target = env / SHIP_DIR
    digest = files.digest()
    stamp = target / STAMP_FILE
    if not (stamp.is_file() and stamp.read_text() == digest):
        staging = env / f"{SHIP_DIR}.{os.getpid()}.tmp"
        shutil.rmtree(staging, ignore_errors=True)
        for relative, source in files.modules.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, staging / relative)
        for top, source in files.vendored.items():
            if source.is_dir():
                shutil.copytree(source, staging / top, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, staging / source.name)
        (staging / STAMP_FILE).write_text(digest)
        old = env / f"{SHIP_DIR}.{os.getpid()}.old"
        if target.exists():
            target.rename(old)
        staging.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    site_packages = Path(purelib)
    site_packages.mkdir(parents=True, exist_ok=True)
    (site_packages / PTH_FILE).write_text(f"{target}\n")
    return target


def _module_path(name: str) -> Path | None:
    base = INFER_ROOT.parent.joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _existing(name: str) -> list[str]:
    """``a.b.c`` may be a module or a name in module ``a.b``: keep whichever exists."""
    return [name] if _module_path(name) else [name.rpartition(".")[0]]


def _imports(path: Path, module: str) -> list[tuple[str, bool]]:
    """(imported module, whether at module level outside TYPE_CHECKING) for each import."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, top_level: bool) -> None:
        if isinstance(node, ast.Import):
            found.extend((alias.name, top_level) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(node.module, node.level, package)
            if base != "__future__":
                found.append((base, top_level))
                found.extend((f"{base}.{alias.name}", top_level) for alias in node.names)
        elif isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            return
        for child in ast.iter_child_nodes(node):
            nested = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Try))
            visit(child, top_level and not nested)

    visit(tree, True)
    return found


def _resolve(module: str | None, level: int, package: str) -> str:
    if level == 0:
        return module or ""
    parts = package.split(".")
    base = ".".join(parts[: len(parts) - level + 1])
    return f"{base}.{module}" if module else base


def _files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    return [file for file in path.rglob("*") if file.is_file() and "__pycache__" not in file.parts]
