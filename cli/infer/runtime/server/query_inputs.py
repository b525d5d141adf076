"""Inputs from a query string (`GET .../infer?TEXT=hi&MAX=8`), typed like `infer stream --input`.

This is how a plain ``new EventSource(url)``, which can only GET, starts a stream.

Runs in the server process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from infer.repo.datatypes import SCHEMA_TO_WIRE, InputSpec
from infer.repo.text_values import TextValueError, parse_text_value
from infer.repo.v2_inputs import InputProblem


def query_to_v2_body(
    pairs: Iterable[tuple[str, str]], specs: list[InputSpec]
) -> tuple[dict[str, Any], list[InputProblem]]:
    """A v2 request body from ``NAME=VALUE`` pairs (repeat a name for several values)."""
    by_name = {spec.name: spec for spec in specs}
    values: dict[str, list[Any]] = {}
    problems: list[InputProblem] = []
    for name, text in pairs:
        spec = by_name.get(name)
        datatype = spec.datatype if spec is not None else "STRING"
        try:
            values.setdefault(name, []).append(parse_text_value(datatype, text))
        except TextValueError as error:
            problems.append(InputProblem(name, f"input {name!r} is {datatype}: {error}"))
    entries = [
        {
            "name": name,
            "shape": [len(data)],
            "datatype": SCHEMA_TO_WIRE.get(
                by_name[name].datatype if name in by_name else "", "BYTES"
            ),
            "data": data,
        }
        for name, data in values.items()
    ]
    return {"inputs": entries}, problems
