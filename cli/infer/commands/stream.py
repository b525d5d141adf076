"""`infer stream` (not implemented yet)."""

from __future__ import annotations

import typer


def stream() -> None:
    """Not implemented yet."""
    typer.echo("infer stream: not implemented yet", err=True)
    raise typer.Exit(2)
