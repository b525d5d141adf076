"""The Typer app: wires the commands together, nothing else.

Command modules import their heavy machinery lazily, so ``infer --help`` stays fast.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from infer import __version__
from infer.commands import bench as bench_command
from infer.commands import chat as chat_command
from infer.commands import deploy as deploy_command
from infer.commands import doctor as doctor_command
from infer.commands import env as env_command
from infer.commands import init as init_command
from infer.commands import serve as serve_command
from infer.commands import stream as stream_command
from infer.commands import validate as validate_command
from infer.commands._click import InferCommand, InferGroup

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
    cls=InferGroup,
    # `infer --install-completion` / `--show-completion` for bash, zsh, fish and PowerShell.
    add_completion=True,
    pretty_exceptions_enable=False,
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


app.command("init", cls=InferCommand)(init_command.init)
app.command("validate", cls=InferCommand)(validate_command.validate)
app.command("serve", cls=InferCommand)(serve_command.serve)
app.command("stream", cls=InferCommand)(stream_command.stream)
app.command("bench", cls=InferCommand)(bench_command.bench)
app.command("chat", cls=InferCommand)(chat_command.chat)
app.command("doctor", cls=InferCommand)(doctor_command.doctor)
app.add_typer(env_command.app, name="env", cls=InferGroup)
app.command("deploy", cls=InferCommand)(deploy_command.deploy)


def main() -> None:
    """Console-script entry point."""
    app(args=stream_command.with_default_wait(sys.argv[1:]))
