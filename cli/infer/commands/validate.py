"""`infer validate` (not implemented yet)."""

from __future__ import annotations

import typer


def validate() -> None:
    """Not implemented yet."""
    typer.echo("infer validate: not implemented yet", err=True)
    raise typer.Exit(2)
