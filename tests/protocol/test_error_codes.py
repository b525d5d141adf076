"""The error-code catalogue: complete, used, in the README, and the one source of every payload."""

from __future__ import annotations

import ast
import json
import logging
import re
from pathlib import Path

import pytest

import infer
from infer.protocol.error_codes import (
    CATALOGUE,
    ErrorCode,
    error_payload,
    http_error_body,
    known_code,
    with_code_table,
)

PACKAGE = Path(infer.__file__).resolve().parent
ROOT = PACKAGE.parents[1]
CATALOGUE_FILE = PACKAGE / "protocol" / "error_codes.py"
CODE_VALUES = {code.value for code in ErrorCode}


def _sources() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path != CATALOGUE_FILE]


def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_every_code_has_exactly_one_catalogue_entry() -> None:
    assert list(CATALOGUE) == list(ErrorCode)
    for code, spec in CATALOGUE.items():
        assert spec.code is code
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", code.value), code
        assert spec.meaning and not spec.meaning.endswith("."), code
        assert spec.event in (None, "error", "trimmed"), code
        assert all(100 <= status <= 599 for status in spec.statuses), code


def test_no_code_is_sent_as_a_bare_string_outside_the_catalogue() -> None:
    offenders = []
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Constant) and node.value in CODE_VALUES:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {node.value!r}")
    assert offenders == [], "use ErrorCode.<NAME> (infer.protocol.error_codes) instead"


def test_no_payload_is_built_with_an_uncatalogued_literal_code() -> None:
    # Catches a new code typed as a string: {"code": "new_thing"} or code="new_thing".
    offenders = []
    for path in _sources():
        for node in ast.walk(_tree(path)):
            literals: list[ast.expr] = []
            if isinstance(node, ast.Dict):
                literals = [
                    value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant) and key.value == "code"
                ]
            elif isinstance(node, ast.Call):
                literals = [kw.value for kw in node.keywords if kw.arg == "code"]
            for value in literals:
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    offenders.append(f"{path.relative_to(PACKAGE)}:{value.lineno}")
    assert offenders == []


def test_every_catalogued_code_is_sent_somewhere() -> None:
    used = set()
    for path in _sources():
        for node in ast.walk(_tree(path)):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ErrorCode"
            ):
                used.add(node.attr)
    assert sorted(code.name for code in ErrorCode if code.name not in used) == []


def test_error_payload_has_the_wire_shape_and_the_catalogues_retryable() -> None:
    payload = error_payload(ErrorCode.WORKER_CRASHED, "the worker died")
    assert payload == {"code": "worker_crashed", "message": "the worker died", "retryable": True}
    assert list(payload) == ["code", "message", "retryable"]
    assert type(payload["code"]) is str  # a plain string on the wire, never the enum
    assert json.dumps(payload) == (
        '{"code": "worker_crashed", "message": "the worker died", "retryable": true}'
    )
    assert error_payload(ErrorCode.MODEL_ERROR, "boom")["retryable"] is False


def test_error_payload_retryable_can_be_overridden_for_one_case() -> None:
    assert error_payload(ErrorCode.CANCELLED, "m")["retryable"] is False
    assert error_payload(ErrorCode.CANCELLED, "m", retryable=True)["retryable"] is True


def test_http_error_body_has_the_wire_shape() -> None:
    body = http_error_body(ErrorCode.MODEL_LOADING, "loading")
    assert body == {"error": {"code": "model_loading", "message": "loading"}}
    assert type(body["error"]["code"]) is str
    details = [{"name": "TEXT", "message": "required"}]
    with_details = http_error_body(ErrorCode.INVALID_INPUTS, "bad", details)
    assert with_details == {
        "error": {"code": "invalid_inputs", "message": "bad", "details": details}
    }
    assert "details" not in http_error_body(ErrorCode.INVALID_INPUTS, "bad", [])["error"]


def test_a_code_prints_as_its_wire_value() -> None:
    # Log lines and f-strings show the code a client sees, on every supported Python.
    assert str(ErrorCode.OVER_CAPACITY) == "over_capacity"
    assert f"{ErrorCode.OVER_CAPACITY}" == "over_capacity"
    record = logging.LogRecord(
        "t", logging.INFO, "f", 1, "code=%s", (ErrorCode.OVER_CAPACITY,), None
    )
    assert record.getMessage() == "code=over_capacity"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("no_gpu", ErrorCode.NO_GPU), ("not_a_code", None), (None, None), (7, None)],
)
def test_known_code_names_only_catalogued_codes(value: object, expected: ErrorCode | None) -> None:
    assert known_code(value) is expected


def test_readme_error_table_is_generated_from_the_catalogue() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme == with_code_table(readme), (
        "README.md's error-code table is stale: run "
        "`python -m infer.protocol.error_codes README.md`"
    )
    for code in ErrorCode:
        assert f"| `{code.value}` |" in readme
