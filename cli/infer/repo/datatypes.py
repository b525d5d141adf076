"""The platform's input datatypes, their wire names, and checks of values against them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

SCHEMA_DATATYPES = ("STRING", "INT", "FLOAT", "BOOLEAN")
STREAMING_DATATYPES = ("INT", "STRING", "BOOLEAN")

# v2 wire datatype -> schema datatype, as the platform's SDK sends them.
WIRE_TO_SCHEMA = {
    "BYTES": "STRING",
    "STRING": "STRING",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    **{f"INT{bits}": "INT" for bits in (8, 16, 32, 64)},
    **{f"UINT{bits}": "INT" for bits in (8, 16, 32, 64)},
    "INT": "INT",
    "FP16": "FLOAT",
    "FP32": "FLOAT",
    "FP64": "FLOAT",
    "FLOAT": "FLOAT",
}
SCHEMA_TO_WIRE = {"STRING": "BYTES", "INT": "INT64", "BOOLEAN": "BOOL", "FLOAT": "FP32"}


def value_matches(datatype: str, value: object) -> bool:
    """Whether one scalar value is of the schema datatype (bools are not ints here)."""
    if datatype == "STRING":
        return isinstance(value, str)
    if datatype == "BOOLEAN":
        return isinstance(value, bool)
    if datatype == "INT":
        return isinstance(value, int) and not isinstance(value, bool)
    if datatype == "FLOAT":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def describe(value: object) -> str:
    """A short, user-facing name of a value's JSON type."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if value is None:
        return "null"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return names.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class InputSpec:
    """One INPUT_SCHEMA entry, as the runtime and the validator use it."""

    name: str
    datatype: str
    required: bool
    shape: tuple[int, ...]
    example: tuple[Any, ...] = ()

    @property
    def value_count(self) -> int | None:
        """How many values the shape holds; None when any length goes (-1 or no shape)."""
        if not self.shape or any(dim < 0 for dim in self.shape):
            return None
        return math.prod(self.shape)

    def accepts_count(self, count: int) -> bool:
        """Whether ``count`` values fit the shape."""
        return self.value_count is None or count == self.value_count

    def to_metadata(self) -> dict[str, object]:
        """The entry as the model metadata endpoint lists it."""
        return {
            "name": self.name,
            "datatype": self.datatype,
            "wire_datatype": SCHEMA_TO_WIRE.get(self.datatype, self.datatype),
            "shape": list(self.shape),
            "required": self.required,
            "example": list(self.example),
        }

    @classmethod
    def from_metadata(cls, entry: dict[str, Any]) -> InputSpec:
        """The inverse of to_metadata (how the worker tells the server its inputs)."""
        return cls(
            str(entry["name"]),
            str(entry["datatype"]),
            bool(entry["required"]),
            tuple(entry["shape"]),
            tuple(entry.get("example") or ()),
        )
