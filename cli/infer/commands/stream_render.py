"""How `infer stream` shows a stream: text (terminal or pipe), JSON lines, or raw bytes, and the
summary at the end. Everything from the network is sanitised for the terminal except in --raw."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from infer.client.terminal import escape_json_line, sanitise
from infer.commands._edge import stderr

if TYPE_CHECKING:
    from infer.client.session import Event, Outcome
    from infer.client.status_line import StatusLine

TEXT_FIELD_PREFERENCE = ("OUT", "text", "generated_text", "token", "TEXT")
EXIT_ERROR_EVENT = 1
EXIT_TRUNCATED = 3
EXIT_INTERRUPTED = 130
EXIT_CODES = {"done": 0, "ended": 0, "error": EXIT_ERROR_EVENT, "interrupted": EXIT_INTERRUPTED}


def json_text(data: Any) -> str:
    """One JSON line, readable (non-ASCII kept) yet inert on a terminal."""
    return escape_json_line(json.dumps(data, ensure_ascii=False))


class StreamRenderer:
    """Writes events as they arrive: text (TTY or pipe), JSON lines, or raw bytes."""

    def __init__(
        self,
        as_json: bool,
        raw: bool,
        field: str | None,
        status: StatusLine | None = None,
        counts_tokens: bool = False,
    ) -> None:
        from infer.client.stats import StreamStats
        from infer.client.wrap import WordWrap

        self.as_json = as_json
        self.raw = raw
        self.field = field
        self.status = status
        self.stats = StreamStats()
        self.text_parts: list[str] = []
        self._pending: list[str] = []
        self._tty = sys.stdout.isatty()
        self._console = Console(highlight=False, soft_wrap=True) if self._tty else None
        self._wrap = WordWrap(self._console.width) if self._console is not None else None
        self._out = sys.stdout
        self._chosen: str | None = field
        self._warned = False
        self._counts_tokens = counts_tokens

    def on_raw(self, chunk: bytes) -> None:
        """--raw: the bytes as received, unfiltered (documented as such)."""
        self._out.buffer.write(chunk)
        self._out.buffer.flush()

    def notice(self, line: str) -> None:
        """A reconnection or server notice, on stderr."""
        self._quiet_status()
        stderr.print(f"[yellow]↻ {escape(sanitise(line))}[/]", soft_wrap=True)

    def on_event(self, event: Event) -> None:
        """Record and queue one event (written at the end of the network read)."""
        self._quiet_status()
        if event.name == "message":
            self.stats.record(event)
        if self.raw:
            return
        if self.as_json:
            if event.name == "message" and self._counts_tokens:
                self.text_parts.append(self._text_of(event))  # counted by --tokenizer at the end
            line = {
                "id": event.id or None,
                "event": event.name,
                "data": event.data,
                "raw": event.raw,
                "t_ms": round((event.at - self.stats.started) * 1000, 3),
            }
            self._pending.append(json_text(line) + "\n")
            return
        if event.name == "message":
            piece = sanitise(self._text_of(event))
            self.text_parts.append(piece)
            self._pending.append(piece)
        elif event.name not in ("done", "error"):
            self.flush()
            stderr.print(
                f"[dim]event[/] [cyan]{escape(sanitise(event.name))}[/]: "
                f"{escape(sanitise(event.raw))}",
                soft_wrap=True,
            )

    def _text_of(self, event: Event) -> str:
        data = event.data
        if not event.is_json:
            return event.raw + "\n"  # plain text events are lines
        if isinstance(data, str):
            return data
        if not isinstance(data, dict):
            return event.raw + "\n"
        if self._chosen is None:
            strings = [key for key, value in data.items() if isinstance(value, str)]
            preferred = [key for key in TEXT_FIELD_PREFERENCE if key in strings]
            self._chosen = strings[0] if len(strings) == 1 else (preferred or [""])[0]
        value = data.get(self._chosen) if self._chosen else None
        if isinstance(value, str):
            return value
        if self.field and not self._warned:
            self._warned = True
            stderr.print(f"[yellow]warning:[/] events have no string field {escape(self.field)!r}")
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

    def _quiet_status(self) -> None:
        if self.status is not None:
            self.status.set(None)

    def print_result(self, result: dict[str, Any]) -> None:
        """A non-streaming model's answer."""
        if self.as_json or self.raw:
            print(json_text(result))
            return
        for output in result.get("outputs", []):
            data = output.get("data", [])
            value = data[0] if len(data) == 1 else data
            print(sanitise(f"{output.get('name')}: {value}"))
        total_ms = (time.perf_counter() - self.stats.started) * 1000
        stderr.print(
            f"[green]■ answered[/]  ·  total {_ms(total_ms)}  ·  "
            "[dim]a non-streaming model: one answer, no events[/]",
            soft_wrap=True,
        )

    def finish(self, outcome: Outcome, ending: str, tokenizer: str | None) -> int:
        """Print the summary; the exit code for ``ending``."""
        ended_at = time.perf_counter()
        self.flush()
        self._quiet_status()
        outcome.ending = ending
        if tokenizer and self.text_parts:
            self.stats.tokens = _count_tokens(tokenizer, "".join(self.text_parts))
        summary = self.stats.summary(outcome, ended_at)
        if self.as_json:
            print(json_text({"summary": summary}), flush=True)
        elif not self.raw and self.text_parts and not "".join(self.text_parts).endswith("\n"):
            self._out.write("\n")
            self._out.flush()
        _print_summary(summary, outcome.detail)
        return EXIT_CODES.get(ending, EXIT_TRUNCATED)


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


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _print_summary(summary: dict[str, Any], detail: str = "") -> None:
    ending = summary["ending"]
    terminal = summary.get("terminal") or {}
    colour = {"done": "green", "ended": "green", "interrupted": "yellow"}.get(ending, "red")
    label = {
        "done": "done",
        "ended": "ended: the server closed the stream cleanly (no terminal event)",
        "error": f"error {sanitise(str(terminal.get('code', '')))}".strip(),
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
        f"TTFT {_ms(summary['ttft_ms'])}",
        rate,
        f"gap p50 {_ms(summary['gap_p50_ms'])} / p95 {_ms(summary['gap_p95_ms'])}",
        f"total {_ms(summary['total_ms'])}",
    ]
    if summary["reconnects"]:
        parts.append(f"{summary['reconnects']} reconnect(s)")
    stderr.print("  ·  ".join(parts), soft_wrap=True)
    if detail:
        stderr.print(f"[dim]{escape(sanitise(detail))}[/]", soft_wrap=True)
    if terminal.get("warning"):
        # e.g. a model that never called finalise_streamed_output(): fine here, a hang there.
        stderr.print(
            f"[yellow]warning:[/] {escape(sanitise(str(terminal['warning'])))}", soft_wrap=True
        )
    if ending == "error" and terminal.get("message"):
        stderr.print(f"[red]error:[/] {escape(sanitise(str(terminal['message'])))}", soft_wrap=True)
        if terminal.get("retryable") is True:  # infer serve's flag: a retry may succeed
            stderr.print("[dim]retryable: sending the request again may succeed[/]")
