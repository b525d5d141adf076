"""`infer chat`: a terminal chat with the served model over its OpenAI-compatible API."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape

from infer.commands._edge import report_error, stderr
from infer.errors import InferError

if TYPE_CHECKING:
    from infer.client.chat_session import ChatSession, Reply

HELP = """commands:
  /reset              forget the conversation (system prompt and parameters stay)
  /save FILE          write the conversation as JSON
  /system [PROMPT]    show or set the system prompt (/system none removes it)
  /params [K=V ...]   show or set request parameters, e.g. /params temperature=0.2 max_tokens=64
  /help               this list
  Ctrl-C stops the answer being written; Ctrl-D (or /exit) leaves."""


def chat(
    url: Annotated[
        str, typer.Option(help="The server (an OpenAI-compatible base URL, /v1 optional).")
    ] = "http://127.0.0.1:8000",
    system: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(help="A system prompt sent before the conversation."),
    ] = None,
    model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--model", "-m", help="Model name (default: the server's only model)."),
    ] = None,
    params: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--param", "-p", help="NAME=VALUE sent with every request, e.g. seed=1."),
    ] = None,
    api_key: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Bearer token, for servers that need one (never printed).", envvar="OPENAI_API_KEY"
        ),
    ] = None,
) -> None:
    """Chat with the model: history kept, answers streamed live, /help for commands.

    [bold]Example:[/] infer chat --system "You are a terse cook."
    """
    from infer.client.chat_session import ChatSession

    try:
        session = ChatSession(url, model=model, system=system, api_key=api_key)
    except InferError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from None
    try:
        try:
            session.set_params(params or [])
            name = session.resolve_model()
        except InferError as error:
            report_error(error)
            raise typer.Exit(error.exit_code) from None
        _Repl(session).run(name)
    finally:
        session.close()


class _Repl:
    """Reads turns and commands, writes answers as they stream in."""

    def __init__(self, session: ChatSession) -> None:
        from infer.client.wrap import WordWrap

        self.session = session
        self.interactive = sys.stdin.isatty()
        self.console = Console(highlight=False, soft_wrap=True) if sys.stdout.isatty() else None
        self.wrap = WordWrap(self.console.width) if self.console is not None else None
        if self.interactive:
            with contextlib.suppress(ImportError):  # not on every platform
                import readline  # noqa: F401 - line editing and history for input()

    def run(self, model: str) -> None:
        if self.interactive:
            stderr.print(
                f"[dim]infer chat · {escape(model)} at {escape(self.session.base_url)} · "
                "/help for commands · Ctrl-D to leave[/]",
                soft_wrap=True,
            )
        while True:
            try:
                line = input("› " if self.interactive else "")
            except EOFError:
                if self.interactive:
                    print()
                return
            except KeyboardInterrupt:
                print("\n(Ctrl-D leaves)" if self.interactive else "")
                continue
            line = line.strip()
            if not line:
                continue
            if line.startswith("/"):
                if self._command(line) == "exit":
                    return
                continue
            self._turn(line)

    def _turn(self, text: str) -> None:
        from infer.client.terminal import sanitise

        def write(piece: str) -> None:
            safe = sanitise(piece)
            if self.console is not None and self.wrap is not None:
                self.wrap.width = self.console.width
                self.console.print(self.wrap.feed(safe), end="", markup=False, style="bold")
            else:
                sys.stdout.write(safe)
                sys.stdout.flush()

        if self.wrap is not None:
            self.wrap.column = 0
        reply = self.session.ask(text, write)
        if reply.text and not reply.text.endswith("\n"):
            sys.stdout.write("\n")
            sys.stdout.flush()
        _print_stats(reply)

    def _command(self, line: str) -> str | None:
        name, _, rest = line.partition(" ")
        rest = rest.strip()
        session = self.session
        try:
            if name in {"/exit", "/quit"}:
                return "exit"
            if name == "/reset":
                session.reset()
                _note("conversation cleared")
            elif name == "/save":
                if not rest:
                    _note("usage: /save FILE")
                else:
                    count = session.save(Path(rest).expanduser())
                    _note(f"saved {count} message(s) to {rest}")
            elif name == "/system":
                if rest:
                    session.system = None if rest.lower() in {"none", "null"} else rest
                _note(
                    f"system prompt: {session.system!r}" if session.system else "no system prompt"
                )
            elif name == "/params":
                if rest:
                    session.set_params(rest.split())
                shown = " ".join(f"{k}={v!r}" for k, v in session.params.items())
                _note(f"params: {shown}" if shown else "no parameters set (the server's defaults)")
            elif name == "/help":
                stderr.print(escape(HELP), style="dim")
            else:
                _note(f"unknown command {name}; /help lists them")
        except InferError as error:
            report_error(error)
        return None


def _note(text: str) -> None:
    stderr.print(escape(text), style="dim", soft_wrap=True)


def _print_stats(reply: Reply) -> None:
    from infer.client.terminal import sanitise

    numbers = reply.stats()

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f} ms"

    if numbers["tokens"] is not None:
        size = f"{numbers['tokens']} tokens"
        rate = f"{numbers['per_s']:.1f} tokens/s" if numbers["per_s"] else "- tokens/s"
    else:
        size = f"{numbers['chunks']} chunks"
        rate = f"{numbers['per_s']:.1f} chunks/s" if numbers["per_s"] else "- chunks/s"
    ending = {
        "done": "■ done",
        "interrupted": "■ stopped (Ctrl-C)",
        "truncated": "■ the stream ended early",
        "error": "■ error",
    }[reply.ending]
    parts = [
        ending,
        size,
        f"TTFT {ms(numbers['ttft_ms'])}",
        rate,
        f"total {ms(numbers['total_ms'])}",
    ]
    if reply.finish_reason == "length":
        parts.append("cut at the length limit")
    style = "dim" if reply.ending in {"done", "interrupted"} else "red"
    stderr.print(escape("  " + " · ".join(parts)), style=style, soft_wrap=True)
    if reply.error:
        stderr.print(f"[red]error:[/] {escape(sanitise(reply.error))}", soft_wrap=True)
