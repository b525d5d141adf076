"""`infer stream`: send a request and render the streamed answer live in the terminal."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from infer.commands._edge import report_error, stderr
from infer.errors import InferError, UsageError

if TYPE_CHECKING:
    from infer.client.session import Event, Outcome

TEXT_FIELD_PREFERENCE = ("OUT", "text", "generated_text", "token", "TEXT")
EXIT_ERROR_EVENT = 1
EXIT_TRUNCATED = 3
EXIT_INTERRUPTED = 130


def stream(
    text: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option("--text", "-t", help="Fills the model's single STRING input (or TEXT)."),
    ] = None,
    inputs: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--input", "-i", help="NAME=VALUE, converted to the input's datatype."),
    ] = None,
    input_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--input-file", "-f", help="A v2 request JSON, e.g. the repo's input.json."),
    ] = None,
    url: Annotated[str, typer.Option(help="The server (or a full /v2/models/NAME URL).")] = (
        "http://127.0.0.1:8000"
    ),
    model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--model", "-m", help="Model name (default: the server's only model)."),
    ] = None,
    token: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Bearer token for the hosted platform (never printed).", envvar="INFER_TOKEN"
        ),
    ] = None,
    field: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="The event key holding the text (default: the single string one)."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object per event, then a summary object.")
    ] = False,
    raw: Annotated[bool, typer.Option("--raw", help="The SSE bytes exactly as received.")] = False,
    max_reconnects: Annotated[
        int, typer.Option(min=0, help="Reconnection attempts when the connection drops.")
    ] = 5,
    tokenizer: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="A local Hugging Face tokenizer folder, to report real tokens/s."),
    ] = None,
) -> None:
    """Send one request and watch the answer stream in, with TTFT, tokens/s and how it ended.

    Exit codes: 0 done, 1 error event or failure, 2 usage, 3 truncated, 130 interrupted.

    [bold]Example:[/] infer stream --text "How to make an omelette"
    """
    from infer.client.request import Endpoint, build_body
    from infer.client.session import Handlers, StreamSession

    if as_json and raw:
        _fail(UsageError("--json and --raw cannot be combined"))
    try:
        endpoint = Endpoint.parse(url, model)
        session = StreamSession(endpoint, token=token, max_reconnects=max_reconnects)
    except InferError as error:
        _fail(error)
    renderer = _Renderer(as_json=as_json, raw=raw, field=field)
    try:
        try:
            meta = session.metadata() if input_file is None or text or inputs else {}
            body = build_body(meta.get("inputs", []), text, inputs or [], input_file)
            outcome = session.run(
                body,
                Handlers(
                    on_event=renderer.on_event,
                    on_raw=renderer.on_raw if raw else None,
                    on_notice=lambda line: stderr.print(f"[yellow]↻ {escape(line)}[/]"),
                    on_chunk_end=renderer.flush,
                ),
            )
        except KeyboardInterrupt:
            renderer.flush()
            session.cancel()
            renderer.finish(session.outcome, "interrupted", tokenizer)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InferError as error:
            renderer.flush()
            _fail(error)
    finally:
        session.close()
    if outcome.result is not None:
        renderer.print_result(outcome.result)
        return
    code = renderer.finish(outcome, outcome.ending, tokenizer)
    if code:
        raise typer.Exit(code)


def _fail(error: InferError) -> None:
    report_error(error)
    raise typer.Exit(error.exit_code)


class _Renderer:
    """Writes events as they arrive: text (TTY or pipe), JSON lines, or raw bytes."""

    def __init__(self, as_json: bool, raw: bool, field: str | None) -> None:
        from infer.client.stats import StreamStats
        from infer.client.wrap import WordWrap

        self.as_json = as_json
        self.raw = raw
        self.field = field
        self.stats = StreamStats()
        self.text_parts: list[str] = []
        self._pending: list[str] = []
        self._tty = sys.stdout.isatty()
        self._console = Console(highlight=False, soft_wrap=True) if self._tty else None
        self._wrap = WordWrap(self._console.width) if self._console is not None else None
        self._out = sys.stdout
        self._chosen: str | None = field
        self._warned = False

    def on_raw(self, chunk: bytes) -> None:
        self._out.buffer.write(chunk)
        self._out.buffer.flush()

    def on_event(self, event: Event) -> None:
        if event.name == "message":
            self.stats.record(event)
        if self.raw:
            return
        if self.as_json:
            line = {
                "id": event.id,
                "event": event.name,
                "data": event.data,
                "t_ms": round((event.at - self.stats.started) * 1000, 3),
            }
            self._pending.append(json.dumps(line, ensure_ascii=False) + "\n")
            return
        if event.name == "message":
            piece = self._text_of(event.data)
            self.text_parts.append(piece)
            self._pending.append(piece)

    def _text_of(self, data: dict[str, Any]) -> str:
        if self._chosen is None:
            strings = [key for key, value in data.items() if isinstance(value, str)]
            preferred = [key for key in TEXT_FIELD_PREFERENCE if key in strings]
            self._chosen = strings[0] if len(strings) == 1 else (preferred or [""])[0]
        value = data.get(self._chosen) if self._chosen else None
        if isinstance(value, str):
            return value
        if self.field and not self._warned:
            self._warned = True
            stderr.print(f"[yellow]warning:[/] events have no string field {self.field!r}")
        return json.dumps(data, ensure_ascii=False) + "\n"

    def flush(self) -> None:
        """Write what arrived in the last network read: appending only, never redrawing."""
        if not self._pending:
            return
        text = "".join(self._pending)
        self._pending.clear()
        if self._console is not None and self._wrap is not None and not self.as_json:
            self._wrap.width = self._console.width  # follows a resized terminal
            self._console.print(self._wrap.feed(text), end="", markup=False, style="bold")
        else:
            self._out.write(text)
            self._out.flush()

    def print_result(self, result: dict[str, Any]) -> None:
        if self.as_json or self.raw:
            print(json.dumps(result, ensure_ascii=False))
            return
        for output in result.get("outputs", []):
            data = output.get("data", [])
            value = data[0] if len(data) == 1 else data
            print(f"{output.get('name')}: {value}")
        stderr.print("[dim](a non-streaming model: one answer, no events)[/]")

    def finish(self, outcome: Outcome, ending: str, tokenizer: str | None) -> int:
        ended_at = time.perf_counter()
        self.flush()
        outcome.ending = ending
        if tokenizer and self.text_parts:
            self.stats.tokens = _count_tokens(tokenizer, "".join(self.text_parts))
        summary = self.stats.summary(outcome, ended_at)
        if self.as_json:
            print(json.dumps({"summary": summary}, ensure_ascii=False), flush=True)
        elif not self.raw and self.text_parts and not "".join(self.text_parts).endswith("\n"):
            self._out.write("\n")
            self._out.flush()
        _print_summary(summary)
        return {
            "done": 0,
            "error": EXIT_ERROR_EVENT,
            "interrupted": EXIT_INTERRUPTED,
        }.get(ending, EXIT_TRUNCATED)


def _count_tokens(tokenizer: str, text: str) -> int | None:
    try:
        from transformers import AutoTokenizer

        loaded = AutoTokenizer.from_pretrained(tokenizer, local_files_only=True)
        return len(loaded.encode(text, add_special_tokens=False))
    except Exception as error:  # a missing package or folder: report events/s instead
        stderr.print(
            f"[yellow]warning:[/] tokenizer {tokenizer!r} not usable ({error}); showing events/s"
        )
        return None


def _print_summary(summary: dict[str, Any]) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"

    ending = summary["ending"]
    terminal = summary.get("terminal") or {}
    colour = {"done": "green", "interrupted": "yellow"}.get(ending, "red")
    label = {
        "done": "done",
        "error": f"error {terminal.get('code', '')}".strip(),
        "truncated": "truncated: the stream ended without a done or error event",
        "gave_up": "gave up reconnecting",
        "interrupted": "interrupted (Ctrl-C); the server was asked to stop generating",
    }.get(ending, ending)
    if summary["tokens_per_s"] is not None:
        rate = f"{summary['tokens_per_s']:.1f} tokens/s ({summary['tokens']} tokens)"
    elif summary["events_per_s"] is not None:
        rate = f"{summary['events_per_s']:.1f} events/s"
    else:
        rate = "- events/s"
    parts = [
        f"[{colour}]■ {escape(label)}[/]",
        f"{summary['events']} events",
        f"TTFT {ms(summary['ttft_ms'])}",
        rate,
        f"gap p50 {ms(summary['gap_p50_ms'])} / p95 {ms(summary['gap_p95_ms'])}",
        f"total {ms(summary['total_ms'])}",
    ]
    if summary["reconnects"]:
        parts.append(f"{summary['reconnects']} reconnect(s)")
    stderr.print("  ·  ".join(parts), soft_wrap=True)
    if ending == "error" and terminal.get("message"):
        stderr.print(f"[red]error:[/] {escape(str(terminal['message']))}", soft_wrap=True)
