"""How an OpenAI request reaches a repo's inputs (documented in the README, "OpenAI-compatible
API").

- The conversation goes to one STRING input. An input named `messages` or `message` receives the
  messages as a JSON list (what repos written for the platform's `OPENAI_CLIENT_COMPATIBLITY`
  flag read); with the flag set, so does the repo's single STRING input. Otherwise that input
  receives the last user message, with any earlier turns rendered above it as a transcript.
- `max_tokens`/`max_completion_tokens`, `temperature`, `top_p`, `stop` and `seed` go to inputs of
  the same name or a common alias (`max_new_tokens`, `max_length`, ...), converted to the input's
  datatype; any other body field goes to an input of exactly its name (case aside). What finds
  no input is ignored and named in the response's `warnings`.

Runs in the server process.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from infer.protocol.error_codes import ErrorCode
from infer.repo.datatypes import WIRE_TO_SCHEMA, InputSpec
from infer.runtime.server.openai.errors import OpenAIError
from infer.runtime.server.openai.request import Message, OpenAIRequest

Style = Literal["messages_json", "transcript"]

# OpenAI parameter -> input names that take it, in order of preference (compared lower-cased).
PARAMETER_INPUTS: dict[str, tuple[str, ...]] = {
    "max_tokens": (
        "max_tokens",
        "max_completion_tokens",
        "max_new_tokens",
        "max_length",
        "max_output_tokens",
        "max_gen_len",
    ),
    "temperature": ("temperature",),
    "top_p": ("top_p",),
    "stop": ("stop", "stop_sequences", "stop_words"),
    "seed": ("seed",),
}
CONVERSATION_NAMES = ("messages", "message")
# Names that say "this is the prompt" when a repo has several STRING inputs.
PROMPT_NAMES = ("text", "prompt", "input", "question", "query", "instruction")
ROLE_LABELS = {"system": "System", "developer": "System", "user": "User", "assistant": "Assistant"}


def schema_datatype(spec: InputSpec) -> str:
    """INT, FLOAT, STRING or BOOLEAN, also for schemas written with wire names (FP32, INT32)."""
    upper = spec.datatype.upper()
    return WIRE_TO_SCHEMA.get(upper, upper)


@dataclass(frozen=True)
class InputPlan:
    """Which inputs take the conversation and the parameters, for one repo's schema."""

    conversation: str | None
    style: Style
    parameters: dict[str, str]
    problem: str = ""

    def describe(self) -> dict[str, Any]:
        """The plan as `/v1/models` shows it."""
        return {
            "conversation_input": self.conversation,
            "conversation_style": self.style,
            "parameters": dict(self.parameters),
        }


def plan_inputs(specs: list[InputSpec], openai_flag: bool) -> InputPlan:
    """Where requests go for this schema; ``openai_flag`` is OPENAI_CLIENT_COMPATIBLITY."""
    by_lower = {spec.name.lower(): spec for spec in specs}
    parameters: dict[str, str] = {}
    taken: set[str] = set()
    for parameter, aliases in PARAMETER_INPUTS.items():
        spec = next((by_lower[name] for name in aliases if name in by_lower), None)
        if spec is not None:
            parameters[parameter] = spec.name
            taken.add(spec.name)
    strings = [s for s in specs if schema_datatype(s) == "STRING" and s.name not in taken]
    named = [s for s in strings if s.name.lower() in CONVERSATION_NAMES]
    if named:
        return InputPlan(named[0].name, "messages_json", parameters)
    style: Style = "messages_json" if openai_flag else "transcript"
    chosen, problem = _prompt_input(strings)
    return InputPlan(chosen.name if chosen else None, style, parameters, problem)


def _prompt_input(strings: list[InputSpec]) -> tuple[InputSpec | None, str]:
    if len(strings) == 1:
        return strings[0], ""
    if not strings:
        return None, "the model has no STRING input to take the conversation"
    required = [s for s in strings if s.required]
    if len(required) == 1:
        return required[0], ""
    for name in PROMPT_NAMES:
        for spec in strings:
            if spec.name.lower() == name:
                return spec, ""
    names = ", ".join(s.name for s in strings)
    return None, (
        f"the model has several STRING inputs ({names}) and none is the obvious prompt; "
        "name one messages, message, TEXT or prompt"
    )


MAX_WARNINGS = 16  # a body with thousands of unknown fields gets a bounded answer
MAX_NAME_CHARS = 64


@dataclass
class MappedRequest:
    """The model's inputs for one OpenAI request, and what could not be passed on."""

    inputs: dict[str, Any]
    conversation_text: str
    ignored: dict[str, str] = field(default_factory=dict)  # parameter -> why

    def warnings(self) -> list[str]:
        """One line per ignored parameter (at most MAX_WARNINGS), for the response."""
        lines = [ignored_line(key, why) for key, why in self.ignored.items()]
        if len(lines) > MAX_WARNINGS:
            more = len(lines) - MAX_WARNINGS + 1
            lines = [*lines[: MAX_WARNINGS - 1], f"... and {more} more ignored parameters"]
        return lines


def ignored_line(key: str, why: str) -> str:
    """The warning for one ignored parameter (its name shortened if it is long)."""
    name = key if len(key) <= MAX_NAME_CHARS else key[: MAX_NAME_CHARS - 1] + "…"
    return f"'{name}' was ignored: {why}"


def _why_ignored(key: str, spec: InputSpec | None) -> str:
    if spec is not None:
        return f"input {spec.name} already receives the conversation or another parameter"
    aliases = PARAMETER_INPUTS.get(key)
    if aliases:
        return f"the model declares no input named {' or '.join(aliases)}"
    return "the model declares no input of that name"


def map_request(request: OpenAIRequest, specs: list[InputSpec], plan: InputPlan) -> MappedRequest:
    """The inputs dict for the worker; OpenAIError 422 when the schema cannot be satisfied."""
    if plan.conversation is None:
        raise OpenAIError(422, plan.problem, code=ErrorCode.NO_CONVERSATION_INPUT)
    by_name = {spec.name: spec for spec in specs}
    by_lower = {spec.name.lower(): spec for spec in specs}
    text = conversation_value(request, plan.style)
    inputs: dict[str, Any] = {plan.conversation: text}
    params = dict(request.params)
    if "max_completion_tokens" in params:  # the newer name wins, as in vLLM
        params["max_tokens"] = params.pop("max_completion_tokens")
    ignored: dict[str, str] = {}
    for key, value in params.items():
        target = plan.parameters.get(key)
        spec = by_name[target] if target else by_lower.get(key.lower())
        if spec is None or spec.name in inputs:
            ignored[key] = _why_ignored(key, spec)
            continue
        inputs[spec.name] = convert(value, spec, key)
    missing = [s.name for s in specs if s.required and s.name not in inputs]
    if missing:
        names = ", ".join(missing)
        raise OpenAIError(
            422,
            f"the model requires input(s) {names}, which an OpenAI request does not fill; "
            f"send them as extra body fields of the same name (openai SDK: extra_body=...)",
            code=ErrorCode.MISSING_INPUTS,
            param=missing[0],
        )
    return MappedRequest(inputs, text, ignored)


def conversation_value(request: OpenAIRequest, style: Style) -> str:
    """What the conversation input receives."""
    messages = request.messages or (Message("user", request.prompt),)
    if style == "messages_json":
        return json.dumps([message.to_json() for message in messages], ensure_ascii=False)
    if request.kind == "completion":
        return request.prompt
    return render_transcript(messages)


def render_transcript(messages: tuple[Message, ...]) -> str:
    """The last user message, with earlier turns above it as `Role: text` lines.

    A single user message is passed as it is, so a one-turn chat sends exactly what
    `infer stream --text` would.
    """
    *earlier, last = messages
    if last.role != "user":
        earlier, last = list(messages), Message("user", "")
    lines = [f"{ROLE_LABELS.get(m.role, m.role.title())}: {m.content}" for m in earlier]
    if not lines:
        return last.content
    return "\n".join(lines) + ("\n\n" + last.content if last.content else "")


def convert(value: Any, spec: InputSpec, key: str) -> Any:
    """``value`` in the input's datatype and shape; OpenAIError 422 when it cannot be."""
    scalar = list(spec.shape) == [1]
    if isinstance(value, list) and scalar:
        if len(value) == 1:
            value = value[0]
        elif schema_datatype(spec) == "STRING":
            return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return [_scalar(item, spec, key) for item in value]
    return _scalar(value, spec, key) if scalar else [_scalar(value, spec, key)]


def _scalar(value: Any, spec: InputSpec, key: str) -> Any:
    datatype = schema_datatype(spec)
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if datatype == "STRING":
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)
    if datatype == "FLOAT" and number:
        return float(value)
    if datatype == "INT" and number and float(value).is_integer():
        return int(value)
    if datatype == "BOOLEAN" and isinstance(value, bool):
        return value
    raise OpenAIError(
        422,
        f"'{key}' is {json.dumps(value)}, which input {spec.name!r} ({datatype}) cannot take",
        code=ErrorCode.INVALID_INPUT,
        param=key,
    )
