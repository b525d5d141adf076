"""The Typer app: wires the commands together, nothing else.

Command modules import their heavy machinery lazily, so ``infer --help`` stays fast.
"""

from __future__ import annotations

from typing import Annotated

import typer

from infer import __version__
from infer.commands import bench as bench_command
from infer.commands import chat as chat_command
from infer.commands import deploy as deploy_command
from infer.commands import env as env_command
from infer.commands import init as init_command
from infer.commands import serve as serve_command
from infer.commands import stream as stream_command
from infer.commands import validate as validate_command

app = typer.Typer(
    name="infer",
    help=(
        "Take an InferlessPythonModel repo from an empty folder to a stream you have watched "
        "work.\n\n"
        "[bold]infer init[/] scaffolds it, [bold]infer validate[/] checks it statically, "
        "[bold]infer serve[/] runs it locally behind the platform's HTTP + SSE contract, "
        "[bold]infer stream[/] watches its tokens arrive, [bold]infer chat[/] talks to it."
    ),
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"infer {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Scaffold, validate, serve and stream InferlessPythonModel repos."""


app.command("init")(init_command.init)
app.command("validate")(validate_command.validate)
app.command("serve")(serve_command.serve)
app.command("stream")(stream_command.stream)
app.command("bench")(bench_command.bench)
app.command("chat")(chat_command.chat)
app.add_typer(env_command.app, name="env")
app.command("deploy")(deploy_command.deploy)


def main() -> None:
    """Console-script entry point."""
    app()
