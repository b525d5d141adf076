"""The conversation behind `infer chat`: its history, system prompt and parameters, and one
streamed answer at a time from an OpenAI-compatible `/v1/chat/completions` endpoint.

No Typer or Rich here: the command renders what this returns.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from httpx_sse import EventSource

from infer.errors import ClientError, UsageError


def base_url(url: str) -> str:
    """The server's root from ``url`` (with or without a trailing `/v1`)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise UsageError(
            f"--url {url!r} is not an http(s) URL", hint="e.g. --url http://127.0.0.1:8000"
        )
    path = parts.path.rstrip("/")
    path = path[: -len("/v1")] if path.endswith("/v1") else path
    return f"{parts.scheme}://{parts.netloc}{path}"


def parse_param(assignment: str) -> tuple[str, Any]:
    """`temperature=0.2` as ("temperature", 0.2); the value is JSON if it parses, else text.

    `none` or `null` as the value removes the parameter (returned as None).
    """
    key, sep, raw = assignment.partition("=")
    key = key.strip()
    if not sep or not key:
        raise UsageError(f"{assignment!r} is not NAME=VALUE", hint="e.g. /params temperature=0.2")
    raw = raw.strip()
    if raw.lower() in {"none", "null", ""}:
        return key, None
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


@dataclass
class Reply:
    """One answer as it arrived, and how it ended."""

    text: str = ""
    ending: str = "truncated"  # done, error, interrupted, truncated
    finish_reason: str | None = None
    error: str = ""
    usage: dict[str, Any] | None = None
    chunks: int = 0
    started: float = field(default_factory=time.perf_counter)
    first_at: float | None = None
    last_at: float | None = None
    ended_at: float | None = None

    def stats(self) -> dict[str, Any]:
        """TTFT, rate and duration, as numbers (None where not measured)."""
        end = self.ended_at or time.perf_counter()
        ttft = (self.first_at - self.started) * 1000 if self.first_at else None
        span = (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0
        tokens = (self.usage or {}).get("completion_tokens")
        count = tokens if isinstance(tokens, int) else self.chunks
        rate = (count - 1) / span if span > 0 and count > 1 else None
        return {
            "chunks": self.chunks,
            "tokens": tokens if isinstance(tokens, int) else None,
            "ttft_ms": ttft,
            "per_s": rate,
            "total_ms": (end - self.started) * 1000,
        }


class ChatSession:
    """A multi-turn chat with one model over the OpenAI API."""

    def __init__(
        self,
        url: str,
        model: str | None = None,
        system: str | None = None,
        api_key: str | None = None,
        connect_timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url(url)
        self.model = model
        self.system = system
        self.history: list[dict[str, str]] = []
        self.params: dict[str, Any] = {}
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        timeout = httpx.Timeout(connect=connect_timeout, read=None, write=30.0, pool=10.0)
        self.client = httpx.Client(headers=headers, timeout=timeout)

    def close(self) -> None:
        """Release the connection pool."""
        self.client.close()

    def resolve_model(self) -> str:
        """The model to talk to: --model, else the server's only one."""
        if self.model is None:
            response = self._get("/v1/models")
            try:
                names = [str(entry["id"]) for entry in response.json()["data"]]
            except (ValueError, KeyError, TypeError):
                raise ClientError(
                    f"{self.base_url}/v1/models did not answer an OpenAI model list",
                    hint="is --url an OpenAI-compatible server (e.g. `infer serve`)?",
                ) from None
            if len(names) != 1:
                raise ClientError(
                    f"the server at {self.base_url} serves {len(names)} models: "
                    + ", ".join(names[:10]),
                    hint="choose one with --model NAME",
                )
            self.model = names[0]
        return self.model

    def messages(self) -> list[dict[str, str]]:
        """What the next request sends: the system prompt, then every turn so far."""
        system = [{"role": "system", "content": self.system}] if self.system else []
        return system + self.history

    def reset(self) -> None:
        """Forget the conversation (the system prompt and parameters stay)."""
        self.history.clear()

    def save(self, path: Path) -> int:
        """Write the conversation as JSON; returns how many messages were written."""
        messages = self.messages()
        document = {"model": self.model, "params": self.params, "messages": messages}
        try:
            path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        except OSError as error:
            raise ClientError(f"cannot write {path}: {error.strerror}") from None
        return len(messages)

    def set_params(self, assignments: list[str]) -> None:
        """Apply `NAME=VALUE` assignments (`NAME=none` removes one)."""
        parsed = [parse_param(item) for item in assignments]
        for key, value in parsed:
            if value is None:
                self.params.pop(key, None)
            else:
                self.params[key] = value

    def ask(self, text: str, on_text: Callable[[str], None]) -> Reply:
        """Send ``text`` with the history, stream the answer into ``on_text``.

        Ctrl-C stops the answer (the connection is closed, so the server stops generating);
        what arrived so far is kept in the history, as the user saw it.
        """
        self.history.append({"role": "user", "content": text})
        reply = Reply()
        try:
            self._stream(reply, on_text)
        except KeyboardInterrupt:
            reply.ending = "interrupted"
        except httpx.TransportError as error:
            reply.ending, reply.error = "error", f"the connection failed: {error}"
        except ClientError as error:
            reply.ending, reply.error = "error", error.message
        reply.ended_at = time.perf_counter()
        if reply.text or reply.ending in {"done", "interrupted"}:
            self.history.append({"role": "assistant", "content": reply.text})
        else:
            self.history.pop()  # nothing came back: the question can be asked again
        return reply

    def _stream(self, reply: Reply, on_text: Callable[[str], None]) -> None:
        body = {
            "model": self.resolve_model(),
            "messages": self.messages(),
            **self.params,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        url = f"{self.base_url}/v1/chat/completions"
        with self.client.stream("POST", url, json=body) as response:
            if response.status_code >= 400:
                response.read()
                reply.ending, reply.error = "error", _http_error(response)
                return
            for sse in EventSource(response).iter_sse():
                if sse.data == "[DONE]":
                    reply.ending = "done"
                    return
                self._on_chunk(sse.data, reply, on_text)
                if reply.ending == "error":
                    return

    def _on_chunk(self, data: str, reply: Reply, on_text: Callable[[str], None]) -> None:
        try:
            chunk = json.loads(data)
        except json.JSONDecodeError:
            reply.ending, reply.error = (
                "error",
                f"the server sent a chunk that is not JSON: {data[:80]!r}",
            )
            return
        if not isinstance(chunk, dict):
            return
        if isinstance(chunk.get("error"), dict):
            reply.ending = "error"
            reply.error = str(chunk["error"].get("message") or chunk["error"])
            return
        if isinstance(chunk.get("usage"), dict):
            reply.usage = chunk["usage"]
        choices = chunk.get("choices") or []
        choice = choices[0] if choices and isinstance(choices[0], dict) else {}
        if choice.get("finish_reason"):
            reply.finish_reason = str(choice["finish_reason"])
        content = (choice.get("delta") or {}).get("content")
        if isinstance(content, str) and content:
            now = time.perf_counter()
            reply.first_at = reply.first_at or now
            reply.last_at = now
            reply.chunks += 1
            reply.text += content
            on_text(content)

    def _get(self, path: str) -> httpx.Response:
        url = self.base_url + path
        try:
            response = self.client.get(url)
        except httpx.ConnectError:
            raise ClientError(
                f"cannot connect to {self.base_url}",
                hint="is `infer serve` running there? (or pass --url)",
            ) from None
        except httpx.TransportError as error:
            raise ClientError(f"GET {url} failed: {error}") from None
        if response.status_code >= 400:
            raise ClientError(_http_error(response))
        return response


def _http_error(response: httpx.Response) -> str:
    prefix = f"HTTP {response.status_code}"
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        error = None
    if isinstance(error, dict) and error.get("message"):
        return f"{prefix}: {error['message']}"
    text = response.text.strip().splitlines()[0][:200] if response.text.strip() else ""
    return f"{prefix}: {text}" if text else prefix
