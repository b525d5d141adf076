"""Building a valid v2 request from the model's metadata and the user's --text / --input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infer.errors import UsageError
from infer.repo.datatypes import SCHEMA_TO_WIRE
from infer.repo.suggest import did_you_mean
from infer.repo.text_values import TextValueError, parse_text_value


@dataclass(frozen=True)
class Endpoint:
    """Where the model lives: the server's base URL and the model's name (the v2 API)."""

    base_url: str
    model: str | None

    @classmethod
    def parse(cls, url: str, model: str | None) -> Endpoint:
        """A server URL or a `/v2/models/NAME[/versions/N][/infer]` URL; any other is an error."""
        target = parse_target(url, model)
        if not isinstance(target, Endpoint):
            raise UsageError(
                f"--url {url!r} is not a server or a v2 model URL",
                hint="e.g. --url http://127.0.0.1:8000 or --url http://HOST/v2/models/NAME",
            )
        return target

    def model_url(self, suffix: str = "") -> str:
        """URL of this model's endpoint ``suffix``."""
        return f"{self.base_url}/v2/models/{self.model}{suffix}"


@dataclass(frozen=True)
class StreamURL:
    """Any other URL: read as an SSE stream as it is (GET, or POST with a body)."""

    url: str


def parse_target(url: str, model: str | None) -> Endpoint | StreamURL:
    """What ``--url`` names: a server / v2 model (the v2 API), or a URL to read as SSE."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(
            f"--url {url!r} is not an http(s) URL", hint="e.g. --url http://127.0.0.1:8000"
        )
    base = f"{parts.scheme}://{parts.netloc}"
    segments = [s for s in parts.path.split("/") if s]
    if parts.query or parts.fragment:
        return StreamURL(url)
    if not segments:
        return Endpoint(base, model)
    if segments[:2] == ["v2", "models"] and len(segments) >= 3 and _is_model_path(segments[3:]):
        return Endpoint(base, model or segments[2])
    return StreamURL(url)


def _is_model_path(rest: list[str]) -> bool:
    if rest[:1] == ["versions"] and len(rest) >= 2:
        rest = rest[2:]
    return rest in ([], ["infer"])


def convert(name: str, datatype: str, text: str) -> Any:
    """One command-line value converted to the input's datatype, or a clear error."""
    try:
        return parse_text_value(datatype, text)
    except TextValueError as error:
        kind = "an integer" if datatype == "INT" else "a number"
        if datatype == "BOOLEAN":
            raise UsageError(
                f"--input {name}={text}: {name} is BOOLEAN; use true or false"
            ) from None
        raise UsageError(
            f"--input {name}={text}: {name} is {datatype} and {text!r} is not {kind}"
        ) from error


def build_body(
    inputs_meta: list[dict[str, Any]],
    text: str | None,
    pairs: list[str],
    input_file: Path | None,
) -> dict[str, Any]:
    """The v2 body: the file's inputs, then --text, then --input values on top."""
    entries: dict[str, dict[str, Any]] = {}
    if input_file is not None:
        for entry in _read_input_file(input_file):
            entries[entry["name"]] = entry
    by_name = {str(meta["name"]): meta for meta in inputs_meta}
    values: dict[str, list[Any]] = {}
    if text is not None:
        values.setdefault(_text_input(inputs_meta), []).append(text)
    for pair in pairs:
        name, separator, raw = pair.partition("=")
        if not separator or not name:
            raise UsageError(
                f"--input {pair!r} is not NAME=VALUE", hint="e.g. --input MAX_NEW_TOKENS=64"
            )
        if by_name and name not in by_name:
            raise UsageError(
                f"--input {name}: the model has no input {name!r}{did_you_mean(name, by_name)}",
                hint=f"its inputs: {', '.join(by_name)}",
            )
        datatype = str(by_name[name]["datatype"]) if name in by_name else "STRING"
        values.setdefault(name, []).append(convert(name, datatype, raw))
    for name, data in values.items():
        datatype = str(by_name[name]["datatype"]) if name in by_name else "STRING"
        entries[name] = {
            "name": name,
            "shape": [len(data)],
            "datatype": SCHEMA_TO_WIRE.get(datatype, "BYTES"),
            "data": data,
        }
    if not entries:
        raise UsageError(
            "nothing to send: give --text, --input NAME=VALUE or --input-file",
            hint='e.g. infer stream --text "How to make an omelette"',
        )
    return {"inputs": list(entries.values())}


def _text_input(inputs_meta: list[dict[str, Any]]) -> str:
    strings = [str(m["name"]) for m in inputs_meta if m.get("datatype") == "STRING"]
    if not inputs_meta:
        return "TEXT"
    if "TEXT" in strings:
        return "TEXT"
    required = [m for m in inputs_meta if m.get("datatype") == "STRING" and m.get("required")]
    if len(strings) == 1:
        return strings[0]
    if len(required) == 1:
        return str(required[0]["name"])
    raise UsageError(
        "--text is ambiguous: the model has several STRING inputs "
        f"({', '.join(strings) or 'none'})",
        hint="name one with --input NAME=VALUE",
    )


def _read_input_file(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read --input-file {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"--input-file {path} is not valid JSON (line {error.lineno}, column {error.colno}: "
            f"{error.msg})"
        ) from None
    inputs = data.get("inputs") if isinstance(data, dict) else None
    if not isinstance(inputs, list) or not all(
        isinstance(entry, dict) and isinstance(entry.get("name"), str) for entry in inputs
    ):
        raise UsageError(
            f'--input-file {path} is not a v2 request: expected {{"inputs": [{{"name": ...}}]}}'
        )
    return inputs
