"""The module-level flags the platform reads without running code: IS_STREAMING_OUTPUT and co."""

from __future__ import annotations

import ast
import difflib

from infer.validate.findings import Finding
from infer.validate.rules import rule

STREAMING_FLAG = "IS_STREAMING_OUTPUT"
# The platform's own spelling (sic): a correctly spelt COMPATIBILITY is never read.
OPENAI_FLAG = "OPENAI_CLIENT_COMPATIBLITY"
PLATFORM_NAMES = (STREAMING_FLAG, OPENAI_FLAG, "INPUT_SCHEMA")


def module_assignment(tree: ast.Module, name: str) -> ast.expr | None:
    """The value last assigned to ``name`` at module level, if any."""
    found: ast.expr | None = None
    for node in tree.body:
        if isinstance(node, ast.Assign):
            if any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
                found = node.value
        elif (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and node.target.id == name
        ):
            found = node.value
    return found


def streaming_flag(
    tree: ast.Module,
    path: str,
    findings: list[Finding],
    fallback: ast.Module | None,
    app_streams: bool,
) -> bool | None:
    """The literal IS_STREAMING_OUTPUT; None (mode unknown) when it is not a literal.

    A repo that omits the flag is non-streaming, as the platform treats it; that is worth a
    warning only when infer() streams anyway.
    """
    value = module_assignment(tree, STREAMING_FLAG)
    value_path = path
    if value is None and fallback is not None:
        value = module_assignment(fallback, STREAMING_FLAG)
        value_path = "app.py"
    if value is None:
        if not app_streams:
            return False
        findings.append(
            rule("INF111").at(
                path,
                1,
                1,
                f"infer() streams but {STREAMING_FLAG} is not set: the platform treats the model "
                "as non-streaming",
                f"add {STREAMING_FLAG} = True next to INPUT_SCHEMA",
            )
        )
        return None
    return _literal_bool(value, value_path, STREAMING_FLAG, findings)


def check_openai_flag(tree: ast.Module, path: str) -> list[Finding]:
    """OPENAI_CLIENT_COMPATIBLITY, when set, must be a literal the platform can read."""
    value = module_assignment(tree, OPENAI_FLAG)
    findings: list[Finding] = []
    if value is not None:
        _literal_bool(value, path, OPENAI_FLAG, findings)
    return findings


def check_misspelt_flags(tree: ast.Module, path: str) -> list[Finding]:
    """Module-level names one typo away from a name the platform reads."""
    findings = []
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            if not isinstance(target, ast.Name) or target.id in PLATFORM_NAMES:
                continue
            if all(abs(len(target.id) - len(name)) > 3 for name in PLATFORM_NAMES):
                continue  # cheap filter first: a module may assign many names
            close = difflib.get_close_matches(target.id.upper(), PLATFORM_NAMES, n=1, cutoff=0.85)
            if close:
                findings.append(
                    rule("INF113").at(
                        path,
                        target.lineno,
                        target.col_offset + 1,
                        f"{target.id} is never read by the platform (did you mean {close[0]}?)",
                        f"rename it to {close[0]}, the platform's exact spelling",
                    )
                )
    return findings


def _literal_bool(value: ast.expr, path: str, name: str, findings: list[Finding]) -> bool | None:
    if isinstance(value, ast.Constant) and isinstance(value.value, bool):
        return value.value
    findings.append(
        rule("INF110").at(
            path,
            value.lineno,
            value.col_offset + 1,
            f"{name} is `{ast.unparse(value)[:80]}`, not the literal True or False",
            "the platform reads this flag without running your code: write True or False",
        )
    )
    return None
