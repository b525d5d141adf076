"""Turning `infer stream`'s options into the first request of a stream."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infer.client.request import Endpoint, StreamURL, build_body
from infer.client.session import Handlers, StreamRequest, StreamSession
from infer.errors import ClientError, UsageError

JSON_TYPE = "application/json"


def plan_request(
    target: Endpoint | StreamURL,
    session: StreamSession,
    handlers: Handlers,
    *,
    text: str | None,
    pairs: list[str],
    input_file: Path | None,
    data: str | None,
) -> StreamRequest:
    """The v2 infer POST for a server URL; for any other URL, a GET (or a POST of the body)."""
    if input_file is not None and data is not None:
        raise UsageError("--input-file and --data cannot be combined")
    if isinstance(target, StreamURL):
        if text is not None or pairs:
            raise UsageError(
                "--text and --input build a v2 request; this --url is read as an SSE stream",
                hint="send a body with --data '{...}' or --input-file FILE, or point --url at "
                "the server (e.g. http://127.0.0.1:8000)",
            )
        body = _body_bytes(input_file, data)
        if body is None:
            return StreamRequest("GET", target.url)
        return StreamRequest("POST", target.url, body, _content_type(body))
    model = target.model or only_model(session, target.base_url, handlers)
    endpoint = Endpoint(target.base_url, model)
    url = endpoint.model_url("/infer")
    if data is not None:
        return StreamRequest("POST", url, _body_bytes(None, data), JSON_TYPE)
    meta = (
        session.get_json(endpoint.model_url(), handlers) if text or pairs or not input_file else {}
    )
    body_json = build_body(meta.get("inputs", []), text, pairs, input_file)
    return StreamRequest("POST", url, json.dumps(body_json).encode(), JSON_TYPE)


def model_metadata(
    session: StreamSession, endpoint: Endpoint, handlers: Handlers | None = None
) -> tuple[Endpoint, dict[str, Any]]:
    """The endpoint with its model named (the server's only one by default), and its metadata."""
    if endpoint.model is None:
        on = handlers or Handlers(on_event=lambda _: None)
        endpoint = Endpoint(endpoint.base_url, only_model(session, endpoint.base_url, on))
    return endpoint, session.get_json(endpoint.model_url(), handlers)


def only_model(session: StreamSession, base_url: str, handlers: Handlers) -> str:
    """Without --model, the name of the server's only model."""
    models = session.get_json(f"{base_url}/v2/models", handlers)
    entries = models.get("models")
    names = (
        [str(m.get("name")) for m in entries if isinstance(m, dict)]
        if isinstance(entries, list)
        else []
    )
    if len(names) != 1:
        raise ClientError(
            f"the server at {base_url} serves {len(names)} models",
            hint="choose one with --model NAME",
        )
    return names[0]


def _body_bytes(input_file: Path | None, data: str | None) -> bytes | None:
    if data is not None:
        return data.encode()
    if input_file is None:
        return None
    try:
        return input_file.read_bytes()
    except OSError as error:
        raise UsageError(f"cannot read --input-file {input_file}: {error.strerror}") from None


def _content_type(body: bytes) -> str:
    try:
        json.loads(body)
    except ValueError:
        return "text/plain; charset=utf-8"
    return JSON_TYPE
