"""Every rule `infer validate` knows, with its stable code, severity and one-line summary.

Codes are grouped by file: INF0xx any file (too large, too deep, not a regular file),
INF1xx input schema, INF2xx runtime config, INF3xx app.py, INF4xx inferless.yaml, INF5xx sample
input. A code never changes meaning once released. `infer validate --explain CODE` prints the
rationale, an example and the fix from ``infer.validate.explanations``.
"""

from __future__ import annotations

from dataclasses import dataclass

from infer.validate.findings import Finding, Severity

E = Severity.ERROR
W = Severity.WARNING


@dataclass(frozen=True)
class Rule:
    """A check with a stable code."""

    code: str
    severity: Severity
    summary: str

    def at(self, path: str, line: int, col: int, message: str, hint: str = "") -> Finding:
        """A finding of this rule at a place; texts are capped (they may quote a hostile repo)."""
        return Finding(
            self.code, self.severity, path, line, col, _capped(message), _capped(hint, 1000)
        )


# A message quotes values from the repo; a hostile one must not print megabytes.
MAX_MESSAGE_CHARS = 300


def _capped(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


_RULES = [
    Rule("INF001", E, "a file is too large to check (Python, YAML over 256 KB; JSON over 5 MB)"),
    Rule("INF002", E, "a file nests too deeply to check (expressions, YAML or JSON)"),
    Rule("INF003", E, "a file is a link out of the repo, a FIFO or a device, so it was not read"),
    Rule("INF100", E, "input_schema.py has a Python syntax error"),
    Rule("INF101", E, "no input schema: INPUT_SCHEMA (or a pydantic @inferless.request class)"),
    Rule("INF102", E, "INPUT_SCHEMA is not a literal dict of dicts"),
    Rule("INF103", E, "a schema entry lacks datatype, required, shape or example"),
    Rule("INF104", E, "a schema datatype the platform does not know"),
    Rule("INF105", E, "streaming inputs must be integer, STRING or BOOL (no floats or BYTES)"),
    Rule("INF106", E, "streaming inputs must have shape [1]"),
    Rule("INF107", E, "`required` must be True or False"),
    Rule("INF108", E, "`shape` must be a list of positive integers, or [-1]"),
    Rule("INF109", E, "an example does not match its datatype or shape"),
    Rule("INF110", E, "IS_STREAMING_OUTPUT or OPENAI_CLIENT_COMPATIBLITY is not a literal bool"),
    Rule("INF111", W, "infer() streams but IS_STREAMING_OUTPUT is not set"),
    Rule("INF112", W, "a schema entry has a key the platform ignores"),
    Rule("INF113", W, "a flag the platform reads is misspelt, so the platform never sees it"),
    Rule("INF200", E, "inferless-runtime-config.yaml is not valid YAML"),
    Rule("INF201", E, "streaming needs inferless-runtime-config.yaml (for cuda_version 12.4.1)"),
    Rule("INF202", E, "the runtime config needs a `build` mapping"),
    Rule("INF203", E, "build.cuda_version is missing"),
    Rule("INF204", E, "build.cuda_version must be a quoted string (12.4 unquoted is a float)"),
    Rule("INF205", E, 'streaming requires build.cuda_version "12.4.1"'),
    Rule("INF206", E, "system_packages and python_packages must be lists of strings"),
    Rule("INF207", E, "a python package is not a valid PEP 508 requirement"),
    Rule("INF208", W, "a python package is not pinned, so builds are not reproducible"),
    Rule("INF209", W, "an unknown key in the runtime config"),
    Rule("INF300", E, "app.py (or a repo module it imports) has a Python syntax error"),
    Rule("INF301", E, "app.py is missing"),
    Rule("INF302", E, "app.py defines no class InferlessPythonModel"),
    Rule("INF303", E, "InferlessPythonModel lacks initialize, infer or finalize"),
    Rule("INF304", E, "a method's signature cannot be called the way the platform calls it"),
    Rule("INF305", E, "a streaming infer() never calls send_streamed_output"),
    Rule("INF306", E, "a streaming infer() never calls finalise_streamed_output"),
    Rule("INF307", W, "finalise_streamed_output is not reached on every path (use a finally)"),
    Rule("INF308", W, "per-request state (a streamer) is stored on self and shared by requests"),
    Rule("INF309", W, "a hard .cuda() with no device check: no CPU path, no clear error"),
    Rule("INF310", E, "streamed events do not all have the same keys"),
    Rule("INF311", W, "infer() streams but IS_STREAMING_OUTPUT is not True"),
    Rule("INF312", E, "send_streamed_output is given something that is not a dict"),
    Rule("INF313", E, "an import that no python_packages entry installs"),
    Rule("INF314", E, "infer() reads an input the schema does not declare"),
    Rule("INF315", W, "a required input is never read by infer()"),
    Rule("INF316", W, "a quantized loader is given a model id that is not a quantized checkpoint"),
    Rule("INF400", E, "inferless.yaml is not valid YAML"),
    Rule("INF401", W, "inferless.yaml is missing (needed only to deploy with the platform's CLI)"),
    Rule("INF402", E, "inferless.yaml lacks a required key"),
    Rule("INF403", E, "configuration.inference_time must be a positive number of seconds"),
    Rule("INF404", E, "a file named under `optional` does not exist"),
    Rule("INF405", W, "an unknown key in inferless.yaml"),
    Rule("INF406", E, "inferless.yaml's name is not a valid model name"),
    Rule("INF500", E, "input.json is not valid JSON"),
    Rule("INF501", E, 'input.json is not shaped {"inputs": [{name, shape, datatype, data}]}'),
    Rule("INF502", E, "input.json does not match the input schema"),
]

RULES: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def rule(code: str) -> Rule:
    """The rule with this code."""
    return RULES[code]
