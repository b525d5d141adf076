"""The objects OpenAI clients parse: `chat.completion`, `chat.completion.chunk`,
`text_completion`, `list` of `model`, and the SSE frames that carry chunks.

Runs in the server process.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from infer.runtime.server.openai.request import Kind

DONE_FRAME = b"data: [DONE]\n\n"
_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def sse_frame(payload: dict[str, Any]) -> bytes:
    """One `data:` event, as OpenAI streams have them (no `id:`, no `event:`)."""
    return b"data: " + _encode(payload).encode() + b"\n\n"


@dataclass(frozen=True)
class Usage:
    """Token counts of one request."""

    prompt_tokens: int
    completion_tokens: int

    def to_json(self) -> dict[str, int]:
        """OpenAI's `usage` object."""
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }


@dataclass
class CompletionObjects:
    """Builds every object of one response, sharing its id, creation time and model name."""

    kind: Kind
    request_id: str
    model: str
    created: int = field(default_factory=lambda: int(time.time()))

    @property
    def _chunk_object(self) -> str:
        return "chat.completion.chunk" if self.kind == "chat" else "text_completion"

    def _envelope(self, obj: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
        prefix = "chatcmpl-" if self.kind == "chat" else "cmpl-"
        return {
            "id": prefix + self.request_id,
            "object": obj,
            "created": self.created,
            "model": self.model,
            "choices": choices,
        }

    def chunk(
        self, text: str | None, *, role: bool = False, finish_reason: str | None = None
    ) -> dict[str, Any]:
        """A streamed piece: the assistant role first, then text, then the finish reason."""
        if self.kind == "chat":
            delta: dict[str, Any] = {"role": "assistant"} if role else {}
            if text is not None:
                delta["content"] = text
            choice: dict[str, Any] = {"index": 0, "delta": delta}
        else:
            choice = {"index": 0, "text": text or ""}
        choice["logprobs"] = None
        choice["finish_reason"] = finish_reason
        return self._envelope(self._chunk_object, [choice])

    def usage_chunk(self, usage: Usage | None) -> dict[str, Any]:
        """The last chunk when `stream_options.include_usage` is set: no choices, the usage."""
        payload = self._envelope(self._chunk_object, [])
        payload["usage"] = usage.to_json() if usage else None
        return payload

    def complete(self, text: str, finish_reason: str, usage: Usage | None) -> dict[str, Any]:
        """The whole answer, for `stream: false`."""
        if self.kind == "chat":
            choice: dict[str, Any] = {
                "index": 0,
                "message": {"role": "assistant", "content": text},
            }
            obj = "chat.completion"
        else:
            choice = {"index": 0, "text": text}
            obj = "text_completion"
        choice["logprobs"] = None
        choice["finish_reason"] = finish_reason
        payload = self._envelope(obj, [choice])
        if usage is not None:
            payload["usage"] = usage.to_json()
        return payload


def model_object(name: str, created: int, extra: dict[str, Any]) -> dict[str, Any]:
    """One entry of `GET /v1/models`."""
    return {"id": name, "object": "model", "created": created, "owned_by": "infer", **extra}
