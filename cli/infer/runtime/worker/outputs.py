"""A non-streaming model's returned dict, as v2 protocol outputs.

Runs in the worker process.
"""

from __future__ import annotations

import math
from typing import Any

_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _datatype(values: list[Any]) -> str:
    if all(isinstance(v, bool) for v in values):
        return "BOOL"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "INT64"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return "FP64"
    return "BYTES"


def to_v2_outputs(result: object) -> list[dict[str, Any]]:
    """``[{"name", "datatype", "shape", "data"}]`` for each key of the model's result."""
    if hasattr(result, "model_dump"):  # a pydantic response object
        result = result.model_dump()
    if not isinstance(result, dict):
        raise TypeError(f"infer() must return a dict, got {type(result).__name__}")
    outputs = []
    for name, value in result.items():
        if hasattr(value, "tolist"):  # numpy arrays and torch tensors
            value = value.tolist()
        data = value if isinstance(value, list) else [value]
        outputs.append(
            {"name": str(name), "datatype": _datatype(data), "shape": [len(data)], "data": data}
        )
    return outputs


def finite_json(value: Any, depth: int = 0) -> Any:
    """``value`` with NaN and ±Infinity floats as the strings "NaN", "Infinity", "-Infinity".

    Strict JSON has no such numbers; this is how the protobuf JSON mapping spells them.
    """
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return _NON_FINITE.get(value, value)
    if depth > 100:
        return value  # json.dumps refuses what is deeper still; no recursion without a bound
    if isinstance(value, list):
        return [finite_json(item, depth + 1) for item in value]
    if isinstance(value, dict):
        return {key: finite_json(item, depth + 1) for key, item in value.items()}
    return value
