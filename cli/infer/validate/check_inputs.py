"""INF314/INF315: the inputs infer() reads, against the inputs the schema declares."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from infer.repo.datatypes import InputSpec
from infer.repo.sources import MODEL_CLASS
from infer.repo.suggest import did_you_mean
from infer.validate.findings import Finding
from infer.validate.rules import rule

PATH = "app.py"
DICT_READS = frozenset({"get", "pop", "setdefault", "__getitem__"})
# Names a pydantic request object has besides its fields.
MODEL_ATTRIBUTES = frozenset({"dict", "json", "copy", "schema", "fields", "construct", "validate"})


@dataclass
class InputReads:
    """How infer() uses its inputs: keys read (with where), and whether all reads are visible."""

    keys: list[tuple[str, ast.AST]] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)
    opaque: bool = False


def check_input_reads(
    tree: ast.Module, specs: list[InputSpec] | None, pydantic: bool = False
) -> list[Finding]:
    """Keys infer() reads that the schema lacks, and required inputs it never reads."""
    infer = _infer_method(tree)
    if infer is None or specs is None:
        return []
    positional = [*infer.args.posonlyargs, *infer.args.args]
    if len(positional) < 2:
        return []
    reads = _reads(infer, positional[1].arg, pydantic)
    declared = [spec.name for spec in specs]
    what = "request" if pydantic else "inputs"
    findings = []
    # An input offered as "did you mean" is not reported unread as well: one mistake, one message.
    suggested: set[str] = set()
    for key, node in reads.keys:
        if key in declared:
            continue
        suggested.update(name for name in declared if f"{name!r}?" in did_you_mean(key, declared))
        shown = f"{what}.{key}" if pydantic else f"{what}[{key!r}]"
        findings.append(
            rule("INF314").at(
                PATH,
                getattr(node, "lineno", 1),
                getattr(node, "col_offset", 0) + 1,
                f"infer() reads {shown}, which the input schema does not declare"
                f"{did_you_mean(key, declared)}",
                f"declare it in the schema, or read one of: {', '.join(declared) or '(none)'}",
            )
        )
    if reads.opaque:
        return findings  # inputs escape to code we cannot follow: no claim about what is unread
    used = {key for key, _ in reads.keys} | reads.checked | suggested
    for spec in specs:
        if spec.required and spec.name not in used:
            findings.append(
                rule("INF315").at(
                    PATH,
                    infer.lineno,
                    infer.col_offset + 1,
                    f"required input {spec.name!r} is never read by infer()",
                    f"read it in infer(), or make it optional (required: False) "
                    f"so callers need not send it{did_you_mean(spec.name, used)}",
                )
            )
    return findings


def _infer_method(tree: ast.Module) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == MODEL_CLASS:
            for item in node.body:
                if (
                    isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                    and item.name == "infer"
                ):
                    return item
    return None


def _reads(infer: ast.FunctionDef | ast.AsyncFunctionDef, name: str, pydantic: bool) -> InputReads:
    reads = InputReads()
    understood: set[int] = set()
    for node in ast.walk(infer):
        key = _read_key(node, name, pydantic)
        if key is not None:
            reads.keys.append((key, node))
            understood.update(id(inner) for inner in ast.walk(node) if _is_name(inner, name))
        elif (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and isinstance(node.ops[0], (ast.In, ast.NotIn))
            and _is_name(node.comparators[0], name)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.left.value, str)
        ):
            reads.checked.add(node.left.value)
            understood.add(id(node.comparators[0]))
    for node in ast.walk(infer):
        if _is_name(node, name) and id(node) not in understood:
            reads.opaque = True  # passed on, iterated, unpacked or reassigned
    return reads


def _read_key(node: ast.AST, name: str, pydantic: bool) -> str | None:
    if pydantic:
        if (
            isinstance(node, ast.Attribute)
            and _is_name(node.value, name)
            and not node.attr.startswith(("model_", "_"))
            and node.attr not in MODEL_ATTRIBUTES
        ):
            return node.attr
        return None
    if isinstance(node, ast.Subscript) and _is_name(node.value, name):
        return _string(node.slice)
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in DICT_READS
        and _is_name(node.func.value, name)
        and node.args
    ):
        return _string(node.args[0])
    return None


def _string(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _is_name(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name
