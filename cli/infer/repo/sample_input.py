"""Example values from a repo's input.json, for inputs whose schema gives none.

The metadata endpoint lists an ``example`` per input so that clients (the browser playground,
`infer stream`) can prefill a request. INPUT_SCHEMA entries usually carry one; pydantic-style
repos often do not, and then the sample request in input.json is the best example there is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infer.repo.sources import SAMPLE_INPUT_FILE

# input.json is a hand-written sample request; anything bigger is not one, and is not read.
MAX_SAMPLE_BYTES = 1024 * 1024


def sample_values(repo: Path) -> dict[str, list[Any]]:
    """Each input's ``data`` list from input.json; empty when absent, too big or invalid."""
    path = repo / SAMPLE_INPUT_FILE
    try:
        if path.stat().st_size > MAX_SAMPLE_BYTES:
            return {}
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entries = document.get("inputs") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        return {}
    return {
        entry["name"]: entry["data"]
        for entry in entries
        if isinstance(entry, dict)
        and isinstance(entry.get("name"), str)
        and isinstance(entry.get("data"), list)
    }


def with_sample_examples(inputs: list[dict[str, Any]], repo: Path) -> list[dict[str, Any]]:
    """``inputs`` (metadata entries), each lacking an example given the one from input.json."""
    if all(entry.get("example") for entry in inputs):
        return inputs
    samples = sample_values(repo)
    return [
        {**entry, "example": samples[entry["name"]]}
        if not entry.get("example") and entry["name"] in samples
        else entry
        for entry in inputs
    ]
