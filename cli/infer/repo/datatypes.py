"""The platform's input datatypes, their wire names, and checks of values against them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

# The platform's input-schema reference: every datatype a non-streaming schema may declare.
REFERENCE_DATATYPES = (
    "STRING",
    "BOOL",
    *(f"INT{bits}" for bits in (8, 16, 32, 64)),
    *(f"UINT{bits}" for bits in (8, 16, 32, 64)),
    "FP16",
    "FP32",
    "FP64",
    "BYTES",
    "BF16",
)
# The streaming page's own names for the integer, string and boolean types.
STREAMING_PAGE_DATATYPES = ("INT", "BOOLEAN")
# Older docs and templates spell a float FLOAT; the platform still accepts it.
LEGACY_DATATYPES = ("FLOAT",)
SCHEMA_DATATYPES = (*REFERENCE_DATATYPES, *STREAMING_PAGE_DATATYPES, *LEGACY_DATATYPES)

# Every datatype name (schema or v2 wire) -> the kind of value it holds.
_KINDS = {
    "STRING": "STRING",
    "BYTES": "BYTES",
    "BOOL": "BOOLEAN",
    "BOOLEAN": "BOOLEAN",
    "INT": "INT",
    **{f"INT{bits}": "INT" for bits in (8, 16, 32, 64)},
    **{f"UINT{bits}": "INT" for bits in (8, 16, 32, 64)},
    "FP16": "FLOAT",
    "FP32": "FLOAT",
    "FP64": "FLOAT",
    "BF16": "FLOAT",
    "FLOAT": "FLOAT",
}
# Streaming accepts integer, string and boolean inputs only (BYTES and floats are refused).
STREAMING_KINDS = ("INT", "STRING", "BOOLEAN")
STREAMING_DATATYPES = tuple(name for name in SCHEMA_DATATYPES if _KINDS[name] in STREAMING_KINDS)

# Inclusive integer ranges of the sized integer types.
_INT_RANGES = {
    **{f"INT{bits}": (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) for bits in (8, 16, 32, 64)},
    **{f"UINT{bits}": (0, 2**bits - 1) for bits in (8, 16, 32, 64)},
}

# v2 wire datatype -> the value kind, as the platform's SDK sends them (BYTES carries text).
WIRE_TO_SCHEMA = {name: ("STRING" if kind == "BYTES" else kind) for name, kind in _KINDS.items()}
SCHEMA_TO_WIRE = {
    "STRING": "BYTES",
    "INT": "INT64",
    "BOOLEAN": "BOOL",
    "FLOAT": "FP32",
    **{name: name for name in REFERENCE_DATATYPES if name != "STRING"},
}


def datatype_kind(datatype: str) -> str | None:
    """STRING, BYTES, INT, FLOAT or BOOLEAN for a known datatype name; None for an unknown one."""
    return _KINDS.get(datatype.upper()) if isinstance(datatype, str) else None


def same_kind(first: str, second: str) -> bool:
    """Whether two datatype names carry the same values (BYTES and STRING both carry text)."""
    return WIRE_TO_SCHEMA.get(first.upper()) == WIRE_TO_SCHEMA.get(second.upper()) is not None


def value_matches(datatype: str, value: object) -> bool:
    """Whether one scalar value is of the datatype (bools are not ints; sized ints in range)."""
    kind = datatype_kind(datatype)
    if kind in ("STRING", "BYTES"):
        return isinstance(value, str)
    if kind == "BOOLEAN":
        return isinstance(value, bool)
    if kind == "INT":
        if not isinstance(value, int) or isinstance(value, bool):
            return False
        low, high = _INT_RANGES.get(datatype.upper(), (value, value))
        return bool(low <= value <= high)
    if kind == "FLOAT":
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
