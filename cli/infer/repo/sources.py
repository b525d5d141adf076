"""Parsing a repo's files without running them: Python with `ast`, YAML with a safe loader."""

from __future__ import annotations

import ast
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

APP_FILE = "app.py"
SCHEMA_FILE = "input_schema.py"
RUNTIME_CONFIG_FILE = "inferless-runtime-config.yaml"
INFERLESS_FILE = "inferless.yaml"
SAMPLE_INPUT_FILE = "input.json"
# The class the platform instantiates from app.py.
MODEL_CLASS = "InferlessPythonModel"
# Names the platform accepts for a model and that make a sane folder on every OS.
MODEL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
REPO_MARKERS = (APP_FILE, SCHEMA_FILE, RUNTIME_CONFIG_FILE, INFERLESS_FILE)

# Bounds on what a repo may make the reader do: a repo is untrusted input.
MAX_FILE_BYTES = 5 * 1024 * 1024
# Python's syntax tree costs ~100x its source in memory: model code is far below this.
MAX_PYTHON_BYTES = 256 * 1024
# The YAML parser is pure Python (~1 s per MB): config files are a few hundred bytes.
MAX_YAML_BYTES = 256 * 1024
# Every check walks the tree: bound its size (a 5,000-line model file has ~50,000 nodes).
MAX_SYNTAX_NODES = 100_000
MAX_SYNTAX_DEPTH = 400
MAX_YAML_ALIASES = 100
MAX_YAML_DEPTH = 100
MAX_YAML_NODES = 100_000

# ParseFailure kinds: why a file was not (fully) read.
SYNTAX = "syntax"
TOO_LARGE = "too_large"
TOO_DEEP = "too_deep"
NOT_READ = "not_read"


@dataclass(frozen=True)
class ParseFailure:
    """Why a file could not be parsed, and where (1-based line and column)."""

    message: str
    line: int
    col: int
    # SYNTAX (the text is wrong), TOO_LARGE, TOO_DEEP, or NOT_READ (not a regular file in the repo).
    kind: str = SYNTAX


def present(path: Path) -> bool:
    """Whether anything is at ``path``, a dangling link, a FIFO or a device included."""
    return os.path.lexists(path)


def refuse_to_read(
    path: Path, root: Path | None = None, limit: int = MAX_FILE_BYTES, what: str = "checked files"
) -> ParseFailure | None:
    """Why ``path`` must not be opened: a link out of ``root``, not a regular file, or too large.

    ``root`` defaults to the file's folder (where every file of the repo contract lives).
    Opening a FIFO blocks and a device never ends, so the file type is read with stat() first.
    """
    boundary = (root or path.parent).resolve()
    try:
        if path.is_symlink():
            target = path.resolve()
            if not target.is_relative_to(boundary):
                return ParseFailure(
                    f"{path.name} is a symbolic link to {target}, outside the repo; not read",
                    1,
                    1,
                    NOT_READ,
                )
        info = path.stat()
    except (OSError, RuntimeError) as error:  # RuntimeError: a symlink loop on Python 3.10-3.12
        reason = getattr(error, "strerror", None) or str(error)
        return ParseFailure(f"cannot read {path.name}: {reason}", 1, 1, NOT_READ)
    if not stat.S_ISREG(info.st_mode):
        kind = _file_kind(info.st_mode)
        return ParseFailure(f"{path.name} is {kind}, not a regular file; not read", 1, 1, NOT_READ)
    if info.st_size > limit:
        return ParseFailure(
            f"{path.name} is {_size(info.st_size)}, over the {_size(limit)} limit for "
            f"{what}; not read",
            1,
            1,
            TOO_LARGE,
        )
    return None


def _size(count: int) -> str:
    return f"{count / 1_048_576:.1f} MB" if count >= 1_048_576 else f"{count // 1024} KB"


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_text(
    path: Path, root: Path | None = None, limit: int = MAX_FILE_BYTES, what: str = "checked files"
) -> str | ParseFailure:
    """The file's text, or a failure for unreadable, non-UTF-8, oversized or non-regular files."""
    refused = refuse_to_read(path, root, limit, what)
    if refused is not None:
        return refused
    try:
        with path.open("rb") as handle:
            # Read one byte past the cap, in case the file grew after stat().
            data = handle.read(limit + 1)
    except OSError as error:
        return ParseFailure(f"cannot read: {error.strerror}", 1, 1, NOT_READ)
    if len(data) > limit:
        return ParseFailure(f"{path.name} grew past the size limit while read", 1, 1, TOO_LARGE)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        return ParseFailure(f"not UTF-8 text ({error.reason} at byte {error.start})", 1, 1)


def parse_python(path: Path, root: Path | None = None) -> ast.Module | ParseFailure:
    """The module's syntax tree; the code is parsed, never imported or run."""
    text = read_text(path, root, MAX_PYTHON_BYTES, "Python files")
    if isinstance(text, ParseFailure):
        return text
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        return ParseFailure(f"syntax error: {error.msg}", error.lineno or 1, error.offset or 1)
    except ValueError as error:  # e.g. null bytes in the source
        return ParseFailure(f"cannot parse: {error}", 1, 1)
    except (RecursionError, MemoryError):
        return _too_deep(path.name)
    beyond = _beyond_bounds(tree)
    if beyond == TOO_LARGE:
        return ParseFailure(
            f"{path.name} has over {MAX_SYNTAX_NODES:,} syntax nodes, too many to check",
            1,
            1,
            TOO_LARGE,
        )
    if isinstance(beyond, ast.AST):
        line, col = getattr(beyond, "lineno", 1), getattr(beyond, "col_offset", 0) + 1
        return _too_deep(path.name, line, col)
    return tree


def _too_deep(name: str, line: int = 1, col: int = 1) -> ParseFailure:
    return ParseFailure(
        f"{name} nests expressions too deeply to check (over {MAX_SYNTAX_DEPTH} levels)",
        line,
        col,
        TOO_DEEP,
    )


# Where a parsed module keeps the list of its nodes (see all_nodes).
_NODES_ATTRIBUTE = "_infer_all_nodes"


def all_nodes(tree: ast.Module) -> list[ast.AST]:
    """Every node of the module, listed once and shared by every check that scans them all.

    ``ast.walk`` costs a Python-level traversal per call; a dozen checks each walking a large
    module was most of validate's time.
    """
    nodes: list[ast.AST] | None = getattr(tree, _NODES_ATTRIBUTE, None)
    if nodes is None:
        nodes = list(ast.walk(tree))
        setattr(tree, _NODES_ATTRIBUTE, nodes)
    return nodes


def _beyond_bounds(tree: ast.AST) -> ast.AST | str | None:
    """The first node nested too deep, TOO_LARGE for too many nodes, or None when in bounds.

    Iterative, and it stops at the bound: the tree may be huge or deep. The nodes it visits
    are kept for ``all_nodes``.
    """
    stack = [(tree, 0)]
    visited: list[ast.AST] = []
    while stack:
        node, depth = stack.pop()
        visited.append(node)
        if len(visited) > MAX_SYNTAX_NODES:
            return TOO_LARGE
        if depth > MAX_SYNTAX_DEPTH:
            return node
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    setattr(tree, _NODES_ATTRIBUTE, visited)
    return None


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


def parse_yaml(path: Path, root: Path | None = None) -> YamlDocument | ParseFailure:
    """The YAML file's data and node tree; only the safe loader is ever used."""
    text = read_text(path, root, MAX_YAML_BYTES, "YAML files")
    if isinstance(text, ParseFailure):
        return text
    try:
        unbounded = _yaml_beyond_bounds(text)
        if unbounded is not None:
            return unbounded
        loader = yaml.SafeLoader(text)
        try:
            node: yaml.Node | None = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except (RecursionError, MemoryError):
        return ParseFailure(f"{path.name} nests too deeply to check", 1, 1, TOO_DEEP)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = error.problem or "invalid YAML"
        context = f" ({error.context})" if error.context else ""
        return ParseFailure(f"YAML error: {problem}{context}", line, col)
    except yaml.YAMLError as error:
        return ParseFailure(f"YAML error: {error}", 1, 1)
    return YamlDocument(data, node)


def _yaml_beyond_bounds(text: str) -> ParseFailure | None:
    """A failure when the YAML has too many aliases, nodes or levels to expand safely.

    Checked on the event stream, before any node is built: a few hundred aliases can expand
    to gigabytes (the "billion laughs"), and deep nesting exhausts the recursive composer.
    """
    aliases = nodes = depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        if isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_YAML_ALIASES:
                return ParseFailure(
                    f"over {MAX_YAML_ALIASES} YAML aliases (*name); not expanded",
                    *where,
                    TOO_LARGE,
                )
        if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent, yaml.AliasEvent)):
            nodes += 1
            if nodes > MAX_YAML_NODES:
                return ParseFailure(f"over {MAX_YAML_NODES} YAML values", *where, TOO_LARGE)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                return ParseFailure(
                    f"YAML nested over {MAX_YAML_DEPTH} levels deep", *where, TOO_DEEP
                )
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def parse_json(path: Path, root: Path | None = None) -> Any | ParseFailure:
    """The JSON file's data, or where it stops being JSON."""
    text = read_text(path, root)
    if isinstance(text, ParseFailure):
        return text
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        return ParseFailure(f"JSON error: {error.msg}", error.lineno, error.colno)
    except (RecursionError, MemoryError):
        return ParseFailure(f"{path.name} nests too deeply to check", 1, 1, TOO_DEEP)


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
    return folder.is_dir() and any(present(folder / name) for name in REPO_MARKERS)
