"""Whether an edit to app.py can be swapped into the running worker without re-running
``initialize()``, decided from the source alone (parsed, never executed in the server).

An edit qualifies when ``InferlessPythonModel.initialize`` (and ``__init__``, if either side
defines one) is unchanged, compared as ``ast.dump`` of the parsed source: comments and
formatting never count, any change to what those methods do does. Everything else in the file
may change; the worker re-imports it and carries the old instance's attributes over.

Runs in the server process.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from infer.repo.sources import MODEL_CLASS

LIFECYCLE_METHODS = ("__init__", "initialize")
MAX_SOURCE_BYTES = 4 * 1024 * 1024  # app.py is code, not data: past this, restart instead
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class SwapDecision:
    """What an app.py edit allows: a code swap, a full restart, or nothing (it does not parse)."""

    swap: bool
    reason: str  # why not, or what changed (for the announce line)
    broken: bool = False  # the new source does not parse: keep serving the old code


def _methods(tree: ast.Module) -> dict[str, str] | None:
    """ast.dump of each method of the model class, or None if the class is missing."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == MODEL_CLASS:
            return {item.name: ast.dump(item) for item in node.body if isinstance(item, _FUNCTIONS)}
    return None


def _other_code(tree: ast.Module) -> list[str]:
    """ast.dump of the module's statements, the model class's own body left out."""
    dumps = []
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == MODEL_CLASS:
            shell = copy.copy(node)  # bases, decorators and class attributes; no methods
            shell.body = [item for item in node.body if not isinstance(item, _FUNCTIONS)]
            dumps.append(ast.dump(shell))
        else:
            dumps.append(ast.dump(node))
    return dumps


def what_changed(old: ast.Module, new: ast.Module) -> str:
    """A short list of what differs, e.g. ``infer() only`` or ``infer(), module code``."""
    old_methods = _methods(old) or {}
    new_methods = _methods(new) or {}
    names = sorted(
        f"{name}()"
        for name in old_methods.keys() | new_methods.keys()
        if old_methods.get(name) != new_methods.get(name)
    )
    if _other_code(old) != _other_code(new):
        names.append("module code")
    if not names:
        return "comments or formatting only"
    return f"{names[0]} only" if len(names) == 1 else ", ".join(names)


def decide_swap(old_source: str, new_source: str) -> SwapDecision:
    """Compare two versions of app.py and say whether the code can be swapped in place."""
    if len(new_source.encode()) > MAX_SOURCE_BYTES:
        return SwapDecision(False, f"app.py is over {MAX_SOURCE_BYTES // (1024 * 1024)} MiB")
    try:
        new = ast.parse(new_source, filename="app.py")
    except (SyntaxError, ValueError) as error:
        where = f" (line {error.lineno})" if isinstance(error, SyntaxError) else ""
        message = error.msg if isinstance(error, SyntaxError) else str(error)
        return SwapDecision(False, f"{message}{where}", broken=True)
    try:
        old = ast.parse(old_source, filename="app.py")
    except (SyntaxError, ValueError):
        return SwapDecision(False, "the running app.py could not be compared")
    old_methods, new_methods = _methods(old), _methods(new)
    if old_methods is None or new_methods is None:
        return SwapDecision(False, f"class {MODEL_CLASS} not found in both versions")
    for name in LIFECYCLE_METHODS:
        if old_methods.get(name) != new_methods.get(name):
            return SwapDecision(False, f"{name}() changed")
    return SwapDecision(True, what_changed(old, new))
