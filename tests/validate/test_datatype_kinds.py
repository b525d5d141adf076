"""The reference datatypes on the wire: a request is checked by the kind of value it carries."""

from __future__ import annotations

import pytest

from infer.repo.datatypes import SCHEMA_TO_WIRE, InputSpec, same_kind
from infer.repo.v2_inputs import parse_v2_inputs


@pytest.mark.parametrize(
    ("schema", "wire", "value"),
    [
        ("FP32", "FP32", 0.5),
        ("FP16", "FP64", 1.5),
        ("INT8", "INT64", 3),
        ("INT", "INT32", 3),
        ("BOOL", "BOOL", True),
        ("BOOLEAN", "BOOL", False),
        ("STRING", "BYTES", "hi"),
        ("BYTES", "BYTES", "aGk="),
    ],
)
def test_a_request_of_the_same_kind_is_accepted(schema: str, wire: str, value: object) -> None:
    spec = InputSpec("X", schema, True, (1,))
    body = {"inputs": [{"name": "X", "shape": [1], "datatype": wire, "data": [value]}]}
    assert parse_v2_inputs(body, [spec]) == ({"X": value}, [])


def test_a_request_of_another_kind_or_out_of_range_is_refused() -> None:
    spec = InputSpec("X", "INT8", True, (1,))
    body = {"inputs": [{"name": "X", "shape": [1], "datatype": "FP32", "data": [1.5]}]}
    _, problems = parse_v2_inputs(body, [spec])
    assert [p.message for p in problems] == [
        "input 'X': datatype 'FP32' does not match the schema's INT8"
    ]
    body["inputs"][0].update(datatype="INT64", data=[300])
    _, problems = parse_v2_inputs(body, [spec])
    assert [p.message for p in problems] == ["input 'X': data[0] is an integer, expected INT8"]


def test_every_schema_datatype_has_a_wire_name_of_its_kind() -> None:
    for schema, wire in SCHEMA_TO_WIRE.items():
        assert same_kind(schema, wire)
