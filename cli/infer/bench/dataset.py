"""`--dataset FILE.jsonl`: one request per line, sent in order and cycled.

A line is a v2 body (`{"inputs": [...]}`), or a flat object of the model's inputs
(`{"TEXT": "...", "MAX_NEW_TOKENS": 64}`); `prompt` or `text` names the model's text input, as
in vLLM's and genai-perf's JSONL files. Sizes are bounded so a wrong file fails fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infer.client.request import build_body
from infer.errors import UsageError
from infer.repo.datatypes import SCHEMA_TO_WIRE, value_matches
from infer.repo.suggest import did_you_mean

MAX_DATASET_BYTES = 64 * 1024 * 1024
MAX_DATASET_LINES = 100_000
TEXT_ALIASES = ("prompt", "text")


def load_dataset(path: Path, inputs_meta: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The v2 bodies of every non-blank line, or a UsageError naming the line at fault."""
    try:
        size = path.stat().st_size
        if size > MAX_DATASET_BYTES:
            raise UsageError(
                f"--dataset {path} is {size} bytes; the limit is {MAX_DATASET_BYTES}",
                hint="use a smaller sample of your prompts",
            )
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise UsageError(f"cannot read --dataset {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"--dataset {path} is not UTF-8 text") from None
    bodies: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(bodies) >= MAX_DATASET_LINES:
            raise UsageError(f"--dataset {path} has more than {MAX_DATASET_LINES} requests")
        bodies.append(_body(path, number, line, inputs_meta))
    if not bodies:
        raise UsageError(f"--dataset {path} holds no requests", hint="one JSON object per line")
    return bodies


def _body(path: Path, number: int, line: str, inputs_meta: list[dict[str, Any]]) -> dict[str, Any]:
    where = f"--dataset {path}:{number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        raise UsageError(f"{where}: not JSON ({error.msg}, column {error.colno})") from None
    if not isinstance(data, dict) or not data:
        raise UsageError(f"{where}: each line must be a JSON object of inputs")
    if "inputs" in data:
        inputs = data["inputs"]
        if not isinstance(inputs, list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("name"), str) for entry in inputs
        ):
            raise UsageError(f'{where}: "inputs" must be a list of v2 inputs with a "name"')
        return {"inputs": inputs}
    return _flat_body(where, data, inputs_meta)


def _flat_body(
    where: str, data: dict[str, Any], inputs_meta: list[dict[str, Any]]
) -> dict[str, Any]:
    by_name = {str(meta["name"]): meta for meta in inputs_meta}
    text = None
    entries = []
    for name, value in data.items():
        if name in TEXT_ALIASES and name not in by_name:
            if not isinstance(value, str):
                raise UsageError(f"{where}: {name!r} must be a string")
            text = value
            continue
        if by_name and name not in by_name:
            raise UsageError(
                f"{where}: the model has no input {name!r}{did_you_mean(name, by_name)}",
                hint=f"its inputs: {', '.join(by_name)}",
            )
        datatype = str(by_name[name]["datatype"]) if name in by_name else "STRING"
        values = value if isinstance(value, list) else [value]
        if by_name and not all(value_matches(datatype, item) for item in values):
            raise UsageError(f"{where}: {name} is {datatype}; {value!r} is not")
        entries.append(
            {
                "name": name,
                "shape": [len(values)],
                "datatype": SCHEMA_TO_WIRE.get(datatype, "BYTES"),
                "data": values,
            }
        )
    if text is not None:
        text_entry = build_body(inputs_meta, text, [], None)["inputs"][0]
        entries = [entry for entry in entries if entry["name"] != text_entry["name"]]
        entries.insert(0, text_entry)
    return {"inputs": entries}
