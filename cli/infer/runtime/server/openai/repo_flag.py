"""The platform's `OPENAI_CLIENT_COMPATIBLITY = True` (its spelling) in input_schema.py, read
statically like the rest of a repo's settings, and re-read when the file changes (`--reload`).

Runs in the server process.
"""

from __future__ import annotations

import ast
from pathlib import Path

from infer.repo.sources import APP_FILE, SCHEMA_FILE, parse_python

FLAG_NAME = "OPENAI_CLIENT_COMPATIBLITY"


def read_openai_flag(repo: Path) -> bool:
    """Whether input_schema.py (or, without one, app.py) sets the flag to a true literal."""
    for name in (SCHEMA_FILE, APP_FILE):
        path = repo / name
        if not path.is_file():
            continue
        tree = parse_python(path)
        if isinstance(tree, ast.Module):
            value = _assigned(tree, FLAG_NAME)
            if value is not None:
                return isinstance(value, ast.Constant) and value.value is True
        if name == SCHEMA_FILE:
            return False  # the schema file is where the platform reads it
    return False


def _assigned(tree: ast.Module, name: str) -> ast.expr | None:
    found: ast.expr | None = None
    for node in tree.body:
        targets: list[ast.expr]
        value: ast.expr | None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        else:
            continue
        if any(isinstance(target, ast.Name) and target.id == name for target in targets):
            found = value
    return found


class OpenAIFlag:
    """The flag for one repo, re-read only when its files change."""

    def __init__(self, repo: Path) -> None:
        self.repo = repo
        self._key: tuple[tuple[int, int], ...] | None = None
        self._value = False

    def read(self) -> bool:
        """The flag's current value."""
        key = tuple(_stamp(self.repo / name) for name in (SCHEMA_FILE, APP_FILE))
        if key != self._key:
            self._key = key
            self._value = read_openai_flag(self.repo)
        return self._value


def _stamp(path: Path) -> tuple[int, int]:
    # Size as well as time: two writes within the clock's granularity share an mtime.
    try:
        status = path.stat()
    except OSError:
        return (-1, -1)
    return (status.st_mtime_ns, status.st_size)
