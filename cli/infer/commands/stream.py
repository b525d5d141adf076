"""`infer stream`: send a request and render the streamed answer live in the terminal."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from infer.commands._edge import report_error
from infer.errors import InferError, UsageError

if TYPE_CHECKING:
    from infer.client.status_line import StatusLine

EXIT_INTERRUPTED = 130
DEFAULT_WAIT_S = 120.0


def with_default_wait(argv: list[str]) -> list[str]:
    """``infer stream ... --wait`` with no number means ``--wait DEFAULT_WAIT_S`` (Typer has no
    options with an optional value)."""
    if not argv or argv[0] != "stream":
        return argv
    out = list(argv)
    for index, arg in enumerate(out):
        if arg == "--wait" and (index + 1 == len(out) or out[index + 1].startswith("-")):
            out[index] = f"--wait={DEFAULT_WAIT_S:g}"
    return out


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
    url: Annotated[
        str,
        typer.Option(
            help="The server, a /v2/models/NAME URL, or any SSE URL to read (e.g. a stream's "
            "resume URL)."
        ),
    ] = "http://127.0.0.1:8000",
    data: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--data", "-d", help="A request body to POST as it is (JSON or text)."),
    ] = None,
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
    raw: Annotated[
        bool,
        typer.Option(
            "--raw",
            help="The SSE bytes exactly as received, unfiltered (escape sequences included).",
        ),
    ] = False,
    wait: Annotated[
        Optional[float],  # noqa: UP045
        typer.Option(
            min=0,
            metavar="[SECONDS]",
            help="Wait for the server to be up and ready (default 120 s when no number given).",
        ),
    ] = None,
    max_reconnects: Annotated[
        int, typer.Option(min=0, help="Reconnection attempts when the connection drops.")
    ] = 5,
    tokenizer: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="A local Hugging Face tokenizer folder, to report real tokens/s."),
    ] = None,
) -> None:
    """Send one request and watch the answer stream in, with TTFT, tokens/s and how it ended.

    With a server URL it sends a v2 request built from --text/--input/--input-file. Any other
    --url is read as an SSE stream as it is: GET, or POST with --data/--input-file. Text from
    the network is shown with control and escape sequences made visible; --raw does not filter.

    Exit codes: 0 done (or a plain stream's clean end), 1 error event or failure, 2 usage,
    3 truncated, 130 interrupted.

    [bold]Example:[/] infer stream --text "How to make an omelette"
    """
    from infer.client.default_scheme import with_default_scheme
    from infer.client.plan import plan_request
    from infer.client.request import parse_target
    from infer.client.session import Handlers, StreamSession
    from infer.commands.stream_render import StreamRenderer

    if as_json and raw:
        _fail(UsageError("--json and --raw cannot be combined"))
    url = with_default_scheme(url)  # `--url localhost:8000` means http://localhost:8000
    try:
        target = parse_target(url, model)
        session = StreamSession(url, token=token, max_reconnects=max_reconnects, wait_s=wait)
    except InferError as error:
        _fail(error)
    status = _status_line()
    renderer = StreamRenderer(
        as_json=as_json, raw=raw, field=field, status=status, counts_tokens=tokenizer is not None
    )
    handlers = Handlers(
        on_event=renderer.on_event,
        on_raw=renderer.on_raw if raw else None,
        on_notice=renderer.notice,
        on_chunk_end=renderer.flush,
        on_status=status.set if status is not None else lambda _: None,
    )
    try:
        try:
            request = plan_request(
                target,
                session,
                handlers,
                text=text,
                pairs=inputs or [],
                input_file=input_file,
                data=data,
            )
            outcome = session.run(request, handlers)
        except KeyboardInterrupt:
            if status is not None:
                status.set(None)
            renderer.flush()
            session.cancel()
            renderer.finish(session.outcome, "interrupted", tokenizer)
            raise typer.Exit(EXIT_INTERRUPTED) from None
        except InferError as error:
            if status is not None:
                status.set(None)  # the message goes on a clean line
            renderer.flush()
            _fail(error)
    finally:
        if status is not None:
            status.close()
        session.close()
    if outcome.result is not None:
        renderer.print_result(outcome.result)
        return
    code = renderer.finish(outcome, outcome.ending, tokenizer)
    if code:
        raise typer.Exit(code)


def _fail(error: InferError) -> None:
    from infer.client.terminal import sanitise

    # Messages may quote the server; show its control characters, never obey them.
    hint = sanitise(error.hint) if error.hint else None
    report_error(type(error)(sanitise(error.message), hint))
    raise typer.Exit(error.exit_code)


def _status_line() -> StatusLine | None:
    """A waiting indicator on stderr, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None
    from infer.client.status_line import StatusLine

    return StatusLine(sys.stderr)
