"""Which environment variables a repo reads, found statically (the code is never run).

Recognised: ``os.environ["X"]``, ``os.environ.get("X")``, ``os.getenv("X")``, and the same
through ``from os import environ, getenv``. The scan is bounded: repos carry vendored code and
data, and none of it is worth a slow start.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 300
MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 6
SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages", "venv", "env"}


@dataclass(frozen=True)
class VariableRead:
    """One place the repo reads a variable."""

    name: str
    path: str  # relative to the repo
    line: int
    has_default: bool

    @property
    def where(self) -> str:
        """``path:line``."""
        return f"{self.path}:{self.line}"


def find_variable_reads(repo: Path) -> list[VariableRead]:
    """Every read in the repo's Python files, first occurrence per name first."""
    reads: list[VariableRead] = []
    assigned: set[str] = set()
    for path in _python_files(repo):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue  # `infer validate` reports unparsable files
        relative = path.relative_to(repo).as_posix()
        for node in ast.walk(tree):
            if isinstance(node, ast.Subscript) and _is_environ(node.value):
                name = _constant(node.slice)
                if name is None:
                    continue
                if isinstance(node.ctx, ast.Load):
                    reads.append(VariableRead(name, relative, node.lineno, has_default=False))
                else:
                    assigned.add(name)  # the repo sets it itself
            elif isinstance(node, ast.Call) and _is_getter(node.func) and node.args:
                name = _constant(node.args[0])
                if name is not None:
                    default = len(node.args) > 1 or any(k.arg == "default" for k in node.keywords)
                    reads.append(VariableRead(name, relative, node.lineno, default))
    return [read for read in reads if read.name not in assigned]


def _python_files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for folder, dirs, files in os.walk(repo):
        depth = len(Path(folder).relative_to(repo).parts)
        dirs[:] = sorted(
            d
            for d in dirs
            if depth < MAX_DEPTH
            and not d.startswith(".")
            and d not in SKIPPED_DIRS
            and not (Path(folder) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            path = Path(folder) / name
            if name.endswith(".py") and path.stat().st_size <= MAX_FILE_BYTES:
                found.append(path)
                if len(found) >= MAX_FILES:
                    return found
    return found


def _is_environ(node: ast.expr) -> bool:
    return ast.unparse(node) in {"os.environ", "environ"}


def _is_getter(node: ast.expr) -> bool:
    return ast.unparse(node) in {"os.environ.get", "environ.get", "os.getenv", "getenv"}


def _constant(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
