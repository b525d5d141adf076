"""INF1xx: the input schema, from input_schema.py or the pydantic classes in app.py."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from infer.repo.datatypes import (
    REFERENCE_DATATYPES,
    SCHEMA_DATATYPES,
    STREAMING_KINDS,
    InputSpec,
    datatype_kind,
    describe,
    value_matches,
)
from infer.repo.sources import SCHEMA_FILE, ParseFailure, inferless_class, parse_python, present
from infer.repo.suggest import did_you_mean
from infer.validate.check_app import app_streams
from infer.validate.check_flags import (
    check_misspelt_flags,
    check_openai_flag,
    module_assignment,
    streaming_flag,
)
from infer.validate.check_pydantic import STREAMING_HINT, pydantic_schema
from infer.validate.findings import Finding
from infer.validate.rules import rule
from infer.validate.unreadable import failure_finding

ENTRY_KEYS = ("datatype", "required", "shape", "example")


@dataclass
class SchemaFacts:
    """What the rest of the validator needs to know about the schema."""

    # None when the schema file could not be parsed: mode-dependent checks are then skipped.
    streaming: bool | None = False
    specs: list[InputSpec] | None = None
    source: str | None = None
    findings: list[Finding] = field(default_factory=list)


def check_schema(repo: Path, app_tree: ast.Module | None) -> SchemaFacts:
    """Check the input schema wherever it lives; returns what was learnt and found."""
    schema_path = repo / SCHEMA_FILE
    facts = SchemaFacts()
    request_class = inferless_class(app_tree, "request") if app_tree else None
    streams = app_tree is not None and app_streams(app_tree)
    if present(schema_path):
        tree = parse_python(schema_path)
        facts.source = SCHEMA_FILE
        if isinstance(tree, ParseFailure):
            facts.findings.append(failure_finding(tree, SCHEMA_FILE, "INF100"))
            facts.streaming = None
            return facts
        facts.streaming = streaming_flag(tree, SCHEMA_FILE, facts.findings, app_tree, streams)
        facts.findings += check_openai_flag(tree, SCHEMA_FILE)
        facts.findings += check_misspelt_flags(tree, SCHEMA_FILE)
        facts.specs = _literal_schema(tree, facts)
    elif request_class is not None and app_tree is not None:
        facts.source = "app.py"
        facts.streaming = streaming_flag(app_tree, "app.py", facts.findings, None, streams)
        facts.specs = pydantic_schema(request_class, facts.streaming, facts.findings)
    else:
        facts.findings.append(
            rule("INF101").at(
                SCHEMA_FILE,
                1,
                1,
                "no input schema: input_schema.py is missing and app.py has no "
                "@inferless.request class",
                "create input_schema.py with INPUT_SCHEMA = {...} and IS_STREAMING_OUTPUT, "
                "or run `infer init` for a working example",
            )
        )
        if app_tree is not None:
            facts.streaming = streaming_flag(app_tree, "app.py", [], None, streams)
    if app_tree is not None:
        facts.findings += check_openai_flag(app_tree, "app.py")
        facts.findings += check_misspelt_flags(app_tree, "app.py")
    return facts


def _literal_schema(tree: ast.Module, facts: SchemaFacts) -> list[InputSpec] | None:
    value = module_assignment(tree, "INPUT_SCHEMA")
    out = facts.findings
    if value is None:
        out.append(
            rule("INF101").at(
                SCHEMA_FILE,
                1,
                1,
                "input_schema.py does not define INPUT_SCHEMA",
                'add INPUT_SCHEMA = {"TEXT": {"datatype": "STRING", "required": True, '
                '"shape": [1], "example": ["hello"]}}',
            )
        )
        return None
    if not isinstance(value, ast.Dict):
        out.append(_not_literal(value, "INPUT_SCHEMA must be a dict literal"))
        return None
    specs: list[InputSpec] = []
    broken = False
    for key_node, entry_node in zip(value.keys, value.values, strict=True):
        if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
            out.append(_not_literal(key_node or entry_node, "input names must be string literals"))
            broken = True
            continue
        spec = _literal_entry(key_node.value, entry_node, facts)
        if spec is not None:
            specs.append(spec)
        else:
            broken = True
    # A half-read schema would make the sample-input check report phantom problems.
    return None if broken else specs


def _not_literal(node: ast.AST, message: str) -> Finding:
    return rule("INF102").at(
        SCHEMA_FILE,
        getattr(node, "lineno", 1),
        getattr(node, "col_offset", 0) + 1,
        message,
        "the platform reads the schema without running code: use plain literals only",
    )


def _literal_entry(name: str, node: ast.expr, facts: SchemaFacts) -> InputSpec | None:
    out = facts.findings
    if not isinstance(node, ast.Dict):
        out.append(_not_literal(node, f"INPUT_SCHEMA[{name!r}] must be a dict literal"))
        return None
    values: dict[str, object] = {}
    positions: dict[str, tuple[int, int]] = {}
    for key_node, value_node in zip(node.keys, node.values, strict=True):
        if not (isinstance(key_node, ast.Constant) and isinstance(key_node.value, str)):
            continue
        key = key_node.value
        positions[key] = (key_node.lineno, key_node.col_offset + 1)
        try:
            values[key] = ast.literal_eval(value_node)
        except ValueError:
            out.append(
                _not_literal(value_node, f"INPUT_SCHEMA[{name!r}][{key!r}] is not a literal")
            )
            return None
        if key not in ENTRY_KEYS:
            out.append(
                rule("INF112").at(
                    SCHEMA_FILE,
                    *positions[key],
                    f"INPUT_SCHEMA[{name!r}] has key {key!r}, which the platform ignores"
                    f"{did_you_mean(key, ENTRY_KEYS)}",
                    f"an entry has exactly the keys {', '.join(ENTRY_KEYS)}",
                )
            )
    entry_at = (node.lineno, node.col_offset + 1)
    missing = [key for key in ENTRY_KEYS if key not in values]
    if missing:
        out.append(
            rule("INF103").at(
                SCHEMA_FILE,
                *entry_at,
                f"INPUT_SCHEMA[{name!r}] lacks {', '.join(repr(k) for k in missing)}",
                'e.g. {"datatype": "STRING", "required": True, "shape": [1], "example": ["hi"]}',
            )
        )
    return _entry_spec(name, values, positions, entry_at, facts)


def _entry_spec(
    name: str,
    values: dict[str, object],
    positions: dict[str, tuple[int, int]],
    entry_at: tuple[int, int],
    facts: SchemaFacts,
) -> InputSpec | None:
    out = facts.findings
    where = f"INPUT_SCHEMA[{name!r}]"
    ok = True
    datatype = values.get("datatype")
    if "datatype" in values and datatype not in SCHEMA_DATATYPES:
        ok = False
        out.append(
            rule("INF104").at(
                SCHEMA_FILE,
                *positions["datatype"],
                f"{where} has datatype {datatype!r}, unknown to the platform"
                f"{did_you_mean(str(datatype), SCHEMA_DATATYPES)}",
                f"use one of {', '.join(REFERENCE_DATATYPES)}",
            )
        )
    elif facts.streaming and isinstance(datatype, str):
        _check_streaming_datatype(name, datatype, positions["datatype"], out)
    required = values.get("required")
    if "required" in values and not isinstance(required, bool):
        ok = False
        out.append(
            rule("INF107").at(
                SCHEMA_FILE,
                *positions["required"],
                f"{where}['required'] is {required!r}, not True or False",
                "write True or False (a bool, not a string)",
            )
        )
    shape = values.get("shape")
    if "shape" in values and not valid_shape(shape):
        ok = False
        out.append(
            rule("INF108").at(
                SCHEMA_FILE,
                *positions["shape"],
                f"{where}['shape'] is {shape!r}, not a list of positive integers or [-1]",
                "e.g. [1] for one value, [3] for three, [-1] for any number of values",
            )
        )
    elif facts.streaming and isinstance(shape, list) and shape != [1]:
        out.append(
            rule("INF106").at(
                SCHEMA_FILE,
                *positions["shape"],
                f"{where} has shape {shape}, but streaming inputs must have shape [1]",
                STREAMING_HINT,
            )
        )
    if not ok or any(key not in values for key in ("datatype", "shape")):
        return None
    assert isinstance(datatype, str) and isinstance(shape, list)
    example = values.get("example")
    spec = InputSpec(name, datatype, bool(required), tuple(shape), _as_tuple(example))
    if "example" in values:
        _check_example(spec, example, positions["example"], out)
    return spec


def valid_shape(shape: object) -> bool:
    """A shape the reference allows: positive integers (one or more dimensions), or [-1]."""
    if shape == [-1]:
        return True
    return (
        isinstance(shape, list)
        and bool(shape)
        and all(isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 for dim in shape)
    )


def _check_streaming_datatype(
    name: str, datatype: str, at: tuple[int, int], out: list[Finding]
) -> None:
    kind = datatype_kind(datatype)
    if kind in STREAMING_KINDS:
        return
    if kind == "BYTES":
        hint = (
            'declare it as "datatype": "STRING" (the example as a string too); send binary data '
            "base64-encoded and decode it in infer()"
        )
    else:
        hint = (
            'declare it as "datatype": "STRING" with a string example such as ["0.7"], and '
            f"convert it in infer(): float(inputs[{name!r}])"
        )
    out.append(
        rule("INF105").at(
            SCHEMA_FILE,
            *at,
            f"INPUT_SCHEMA[{name!r}] is {datatype}, but streaming inputs must be an integer type, "
            "STRING or BOOL",
            hint,
        )
    )


def _as_tuple(value: object) -> tuple[object, ...]:
    return tuple(value) if isinstance(value, list) else ()


def _check_example(
    spec: InputSpec, example: object, at: tuple[int, int], out: list[Finding]
) -> None:
    where = f"INPUT_SCHEMA[{spec.name!r}]['example']"
    problem = ""
    if not isinstance(example, list):
        problem = (
            f"{where} is {describe(example)}; examples are lists, like the data they stand for"
        )
    elif not spec.accepts_count(len(example)):
        problem = f"{where} has {len(example)} value(s) but the shape is {list(spec.shape)}"
    else:
        wrong = [item for item in example if not value_matches(spec.datatype, item)]
        if wrong:
            problem = f"{where} holds {describe(wrong[0])} {wrong[0]!r}, not {spec.datatype}"
    if problem:
        out.append(
            rule("INF109").at(
                SCHEMA_FILE,
                *at,
                problem,
                "the example is shown to callers and used by tests: make it a real input",
            )
        )
