"""`infer serve` (not implemented yet)."""

from __future__ import annotations

import typer


def serve() -> None:
    """Not implemented yet."""
    typer.echo("infer serve: not implemented yet", err=True)
    raise typer.Exit(2)
