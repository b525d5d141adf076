"""Checking a v2 inference request's inputs against INPUT_SCHEMA (shared by serve and validate)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infer.repo.datatypes import InputSpec, describe, same_kind, value_matches
from infer.repo.suggest import did_you_mean


@dataclass(frozen=True)
class InputProblem:
    """One thing wrong with a request's inputs; ``name`` is the input it concerns."""

    name: str
    message: str
    index: int | None = None


def parse_v2_inputs(
    body: object, specs: list[InputSpec]
) -> tuple[dict[str, Any], list[InputProblem]]:
    """The model's ``inputs`` dict from a v2 body, and every problem found on the way.

    Scalars (shape [1]) are unwrapped to a single value, as the platform passes them to infer().
    """
    problems: list[InputProblem] = []
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), list):
        shape = '{"inputs": [{"name": ..., "shape": [1], "datatype": "BYTES", "data": [...]}]}'
        return {}, [InputProblem("inputs", f"the body must be a JSON object shaped {shape}")]
    by_name = {spec.name: spec for spec in specs}
    values: dict[str, Any] = {}
    # Inputs offered as "did you mean" are not reported missing as well: one mistake, one message.
    suggested: set[str] = set()
    for index, entry in enumerate(body["inputs"]):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            problems.append(
                InputProblem(f"inputs[{index}]", "each input needs a string 'name'", index)
            )
            continue
        name = entry["name"]
        spec = by_name.get(name)
        if spec is None:
            hint = did_you_mean(name, by_name)
            problems.append(InputProblem(name, f"unknown input {name!r}{hint}", index))
            suggested.update(candidate for candidate in by_name if f"{candidate!r}?" in hint)
            continue
        value, problem = _check_entry(entry, spec, index)
        if problem:
            problems.append(problem)
        else:
            values[name] = value
    for spec in specs:
        missing = spec.name not in values and spec.name not in suggested
        if spec.required and missing and not _mentioned(problems, spec.name):
            problems.append(InputProblem(spec.name, f"required input {spec.name!r} is missing"))
    return values, problems


def _mentioned(problems: list[InputProblem], name: str) -> bool:
    return any(problem.name == name for problem in problems)


def _check_entry(
    entry: dict[str, Any], spec: InputSpec, index: int
) -> tuple[Any, InputProblem | None]:
    name = spec.name
    data = entry.get("data")
    if not isinstance(data, list):
        return None, InputProblem(name, f"input {name!r}: 'data' must be a list", index)
    wire = entry.get("datatype")
    if wire is not None and not same_kind(str(wire), spec.datatype):
        return None, InputProblem(
            name,
            f"input {name!r}: datatype {wire!r} does not match the schema's {spec.datatype}",
            index,
        )
    if not spec.accepts_count(len(data)):
        return None, InputProblem(
            name,
            f"input {name!r}: shape {list(spec.shape)} needs {spec.value_count} value(s), "
            f"got {len(data)}",
            index,
        )
    for position, item in enumerate(data):
        if not value_matches(spec.datatype, item):
            return None, InputProblem(
                name,
                f"input {name!r}: data[{position}] is {describe(item)}, expected {spec.datatype}",
                index,
            )
    return (data[0] if list(spec.shape) == [1] else data), None
