"""Parsing a repo's files without running them: Python with `ast`, YAML with a safe loader."""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

APP_FILE = "app.py"
SCHEMA_FILE = "input_schema.py"
RUNTIME_CONFIG_FILE = "inferless-runtime-config.yaml"
INFERLESS_FILE = "inferless.yaml"
SAMPLE_INPUT_FILE = "input.json"
REPO_MARKERS = (APP_FILE, SCHEMA_FILE, RUNTIME_CONFIG_FILE, INFERLESS_FILE)


@dataclass(frozen=True)
class ParseFailure:
    """Why a file could not be parsed, and where (1-based line and column)."""

    message: str
    line: int
    col: int


def read_text(path: Path) -> str | ParseFailure:
    """The file's text, or a failure for unreadable or non-UTF-8 files."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        return ParseFailure(f"not UTF-8 text ({error.reason} at byte {error.start})", 1, 1)
    except OSError as error:
        return ParseFailure(f"cannot read: {error.strerror}", 1, 1)


def parse_python(path: Path) -> ast.Module | ParseFailure:
    """The module's syntax tree; the code is parsed, never imported or run."""
    text = read_text(path)
    if isinstance(text, ParseFailure):
        return text
    try:
        return ast.parse(text, filename=str(path))
    except SyntaxError as error:
        return ParseFailure(f"syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except ValueError as error:  # e.g. null bytes in the source
        return ParseFailure(f"cannot parse: {error}", 1, 1)


@dataclass(frozen=True)
class YamlDocument:
    """A parsed YAML file: plain values plus the node tree, for line numbers."""

    data: Any
    root: yaml.Node | None

    def position(self, *keys: str) -> tuple[int, int]:
        """Line and column of the key at ``keys`` (or of the deepest one present)."""
        node = self.root
        line, col = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        for key in keys:
            entry = _entry(node, key)
            if entry is None:
                break
            key_node, node = entry
            line, col = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        return line, col

    def item_position(self, index: int, *keys: str) -> tuple[int, int]:
        """Line and column of item ``index`` of the sequence at ``keys``."""
        node = self.root
        for key in keys:
            entry = _entry(node, key)
            node = entry[1] if entry else None
        if isinstance(node, yaml.SequenceNode) and index < len(node.value):
            mark = node.value[index].start_mark
            return mark.line + 1, mark.column + 1
        return self.position(*keys)


def _entry(node: yaml.Node | None, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return key_node, value_node
    return None


def parse_yaml(path: Path) -> YamlDocument | ParseFailure:
    """The YAML file's data and node tree; only the safe loader is ever used."""
    text = read_text(path)
    if isinstance(text, ParseFailure):
        return text
    try:
        root: yaml.Node | None = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        context = f" ({error.context})" if error.context else ""
        return ParseFailure(f"YAML error: {problem}{context}", line, col)
    except yaml.YAMLError as error:
        return ParseFailure(f"YAML error: {error}", 1, 1)
    return YamlDocument(data, root)


def parse_json(path: Path) -> Any | ParseFailure:
    """The JSON file's data, or where it stops being JSON."""
    text = read_text(path)
    if isinstance(text, ParseFailure):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return ParseFailure(f"JSON error: {error.msg}", error.lineno, error.colno)


def inferless_class(tree: ast.Module, role: str) -> ast.ClassDef | None:
    """The module-level class decorated ``@inferless.<role>`` (or ``@<role>``), if any."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and any(
            ast.unparse(decorator) in {f"inferless.{role}", role}
            for decorator in node.decorator_list
        ):
            return node
    return None


def is_model_repo(folder: Path) -> bool:
    """Whether the folder holds at least one file of the model repo contract."""
    return folder.is_dir() and any((folder / name).is_file() for name in REPO_MARKERS)
