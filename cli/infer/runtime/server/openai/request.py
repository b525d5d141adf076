"""Reading an OpenAI request body: `/v1/chat/completions` and `/v1/completions`.

Only the shape is checked here (400 with the offending `param`, as OpenAI and vLLM answer);
how the request reaches the model's inputs is mapping.py's job.

Runs in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from infer.protocol.error_codes import ErrorCode
from infer.runtime.server.openai.errors import OpenAIError

Kind = Literal["chat", "completion"]
ROLES = ("system", "developer", "user", "assistant", "tool")
# Keys this module consumes; every other non-null key is a parameter for mapping.py to place.
STRUCTURAL = frozenset({"model", "messages", "prompt", "stream", "stream_options", "n", "echo"})


@dataclass(frozen=True)
class Message:
    """One turn of the conversation, its content flattened to text."""

    role: str
    content: str

    def to_json(self) -> dict[str, str]:
        """As the OpenAI API writes a message."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True)
class OpenAIRequest:
    """A chat or completion request, checked."""

    kind: Kind
    model: str | None
    messages: tuple[Message, ...] = ()
    prompt: str = ""
    stream: bool = False
    include_usage: bool = False
    echo: bool = False
    params: dict[str, Any] = field(default_factory=dict)


def parse_request(body: object, kind: Kind) -> OpenAIRequest:
    """The request in ``body``, or an OpenAIError (400) naming the parameter at fault."""
    if not isinstance(body, dict):
        raise _bad("the request body must be a JSON object", None)
    model = body.get("model")
    if model is not None and not isinstance(model, str):
        raise _bad("'model' must be a string", "model")
    stream = _optional_bool(body, "stream")
    options = body.get("stream_options")
    if options is not None and not isinstance(options, dict):
        raise _bad("'stream_options' must be an object", "stream_options")
    include_usage = bool(options and _optional_bool(options, "include_usage", "stream_options."))
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise _bad("only n=1 is supported: the model gives one answer per request", "n")
    params = {
        key: value for key, value in body.items() if key not in STRUCTURAL and value is not None
    }
    _check_sampling(params)
    if kind == "chat":
        return OpenAIRequest(
            kind,
            model,
            _messages(body.get("messages")),
            stream=stream,
            include_usage=include_usage,
            params=params,
        )
    return OpenAIRequest(
        kind,
        model,
        prompt=_prompt(body.get("prompt")),
        stream=stream,
        include_usage=include_usage,
        echo=_optional_bool(body, "echo"),
        params=params,
    )


def _bad(message: str, param: str | None) -> OpenAIError:
    return OpenAIError(400, message, code=ErrorCode.INVALID_REQUEST, param=param)


def _optional_bool(data: dict[str, Any], key: str, prefix: str = "") -> bool:
    value = data.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise _bad(f"'{prefix}{key}' must be true or false", prefix + key)
    return value


def _messages(raw: object) -> tuple[Message, ...]:
    if not isinstance(raw, list) or not raw:
        raise _bad("'messages' must be a non-empty list of {role, content} objects", "messages")
    messages = []
    for index, entry in enumerate(raw):
        where = f"messages[{index}]"
        if not isinstance(entry, dict):
            raise _bad(f"{where} must be an object with 'role' and 'content'", where)
        role = entry.get("role")
        if role not in ROLES:
            raise _bad(f"{where}.role must be one of {', '.join(ROLES)}; got {role!r}", where)
        messages.append(Message(str(role), _content(entry.get("content"), f"{where}.content")))
    return tuple(messages)


def _content(raw: object, where: str) -> str:
    if raw is None:
        return ""  # an assistant turn that only called tools
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise _bad(f"{where} must be a string or a list of text parts", where)
    texts = []
    for index, part in enumerate(raw):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind != "text" or not isinstance(part.get("text"), str):
            raise _bad(
                f"{where}[{index}]: only text parts are supported (got type {kind!r})",
                f"{where}[{index}]",
            )
        texts.append(part["text"])
    return "".join(texts)


def _prompt(raw: object) -> str:
    if isinstance(raw, list) and len(raw) == 1:
        raw = raw[0]
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list) and raw and all(isinstance(item, str) for item in raw):
        raise _bad("only one prompt per request is supported", "prompt")
    if isinstance(raw, list) and raw and all(isinstance(item, int) for item in raw):
        raise _bad("token-id prompts are not supported: send the prompt as text", "prompt")
    raise _bad("'prompt' must be a string", "prompt")


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _integer(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_sampling(params: dict[str, Any]) -> None:
    for key in ("max_tokens", "max_completion_tokens"):
        if key in params and not (_integer(params[key]) and params[key] >= 1):
            raise _bad(f"'{key}' must be a positive integer", key)
    if "temperature" in params and not (
        _number(params["temperature"]) and 0 <= params["temperature"] <= 2
    ):
        raise _bad("'temperature' must be a number from 0 to 2", "temperature")
    if "top_p" in params and not (_number(params["top_p"]) and 0 < params["top_p"] <= 1):
        raise _bad("'top_p' must be a number above 0 and at most 1", "top_p")
    if "seed" in params and not _integer(params["seed"]):
        raise _bad("'seed' must be an integer", "seed")
    stop = params.get("stop")
    if stop is not None and not (
        isinstance(stop, str) or (isinstance(stop, list) and all(isinstance(s, str) for s in stop))
    ):
        raise _bad("'stop' must be a string or a list of strings", "stop")
