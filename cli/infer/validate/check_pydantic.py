"""INF1xx for the pydantic style: an @inferless.request class in app.py as the input schema."""

from __future__ import annotations

import ast

from infer.repo.datatypes import STREAMING_KINDS, InputSpec, datatype_kind
from infer.validate.findings import Finding
from infer.validate.rules import rule

STREAMING_HINT = (
    "pass objects and lists as one STRING holding json.dumps(...) and parse it in infer()"
)
PYDANTIC_TYPES = {
    "str": "STRING",
    "int": "INT",
    "float": "FLOAT",
    "bool": "BOOLEAN",
    "bytes": "BYTES",
}


def pydantic_schema(
    cls: ast.ClassDef, streaming: bool | None, findings: list[Finding]
) -> list[InputSpec]:
    """InputSpecs from an @inferless.request class, the way the platform's SDK maps types."""
    specs = []
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        name = node.target.id
        optional, is_list, base = _unwrap_annotation(node.annotation)
        datatype = PYDANTIC_TYPES.get(base)
        at = (node.lineno, node.col_offset + 1)
        if datatype is None:
            findings.append(
                rule("INF104").at(
                    "app.py",
                    *at,
                    f"field {name!r} of {cls.name} has type {ast.unparse(node.annotation)}, "
                    "which the platform cannot map to an input",
                    "use str, int, float or bool (Optional[...] or List[...] of them)",
                )
            )
            continue
        if streaming and (datatype_kind(datatype) not in STREAMING_KINDS or is_list):
            code = "INF106" if is_list else "INF105"
            if is_list:
                hint = STREAMING_HINT
            elif datatype_kind(datatype) == "BYTES":
                hint = "declare it as str (base64 for binary data) and decode it in infer()"
            else:
                hint = f"declare it as str and convert it in infer(): float(request.{name})"
            findings.append(
                rule(code).at(
                    "app.py",
                    *at,
                    f"field {name!r} of {cls.name} is {ast.unparse(node.annotation)}, but "
                    "streaming inputs must be single str, int or bool values",
                    hint,
                )
            )
        shape = (-1,) if is_list else (1,)
        specs.append(InputSpec(name, datatype, not optional, shape))
    return specs


def _unwrap_annotation(annotation: ast.expr) -> tuple[bool, bool, str]:
    """(optional, is_list, base type name) of a field annotation."""
    optional = False
    is_list = False
    node = annotation
    for _ in range(3):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            parts = [node.left, node.right]
            if any(isinstance(p, ast.Constant) and p.value is None for p in parts):
                optional = True
                node = next(p for p in parts if not (isinstance(p, ast.Constant)))
                continue
        if isinstance(node, ast.Subscript):
            outer = ast.unparse(node.value).rsplit(".", 1)[-1]
            if outer == "Optional":
                optional, node = True, node.slice
                continue
            if outer in {"List", "list"}:
                is_list, node = True, node.slice
                continue
        break
    return optional, is_list, ast.unparse(node).rsplit(".", 1)[-1]
