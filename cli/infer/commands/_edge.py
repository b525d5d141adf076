"""The CLI edge: where an InferError becomes a message on stderr and an exit code."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape

from infer.errors import InferError

stderr = Console(stderr=True, highlight=False)


def report_error(error: InferError) -> None:
    """Print an error (and its hint) the way every command does."""
    stderr.print(f"[bold red]error:[/] {escape(error.message)}", soft_wrap=True)
    if error.hint:
        stderr.print(f"  [dim]hint:[/] {escape(error.hint)}", soft_wrap=True)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn an InferError raised inside the block into a clean message and exit code."""
    try:
        yield
    except InferError as error:
        report_error(error)
        raise typer.Exit(error.exit_code) from None
