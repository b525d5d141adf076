"""`infer init`: scaffold a model repo from a template."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt
from rich.table import Table

from infer.commands._edge import user_errors

if TYPE_CHECKING:
    from infer.scaffold.catalog import TemplateInfo
    from infer.scaffold.placement import Placement
    from infer.scaffold.render import ScaffoldRequest

DEFAULT_TEMPLATE = "streaming"


def init(
    name: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Argument(help="Folder to create; its name becomes the model name."),
    ] = None,
    template: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--template", help="Template to use (see --list-templates)."),
    ] = None,
    model: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--model", "-m", help="Hugging Face model id, for templates that take one."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Add the template's files to an existing non-empty folder (files that differ "
            "are listed and kept unless --overwrite).",
        ),
    ] = False,
    overwrite: Annotated[
        bool,
        typer.Option("--overwrite", help="With --force: replace files whose content differs."),
    ] = False,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt; use flags and defaults.")
    ] = False,
    list_only: Annotated[
        bool, typer.Option("--list-templates", help="List the templates and exit.")
    ] = False,
) -> None:
    """Scaffold a model repo: app.py, input_schema.py, runtime config, inferless.yaml, input.json.

    [bold]Example:[/] infer init my-model --template streaming-cpu
    """
    # Imported here, not at module level: Jinja2 and YAML are not needed for `infer --help`.
    from infer.scaffold.catalog import get_template, list_templates
    from infer.scaffold.render import ScaffoldRequest, check_model_name, scaffold

    console = Console(soft_wrap=True, highlight=False)
    with user_errors():
        if list_only:
            _print_templates(console, list_templates())
            return
        interactive = sys.stdin.isatty() and not no_input
        if name is None:
            if not interactive:
                raise typer.BadParameter("give the folder to create, e.g. `infer init my-model`")
            name = Prompt.ask("Model repo name", default="my-model")
        destination = Path(name)
        check_model_name(destination.resolve().name)
        chosen = get_template(template or _ask_template(interactive))
        model_id = model or _ask_model(chosen, interactive)
        if overwrite and not force:
            raise typer.BadParameter("--overwrite only makes sense with --force")
        request = ScaffoldRequest(
            destination, chosen, model=model_id, force=force, overwrite=overwrite
        )
        placement = scaffold(request)
    _print_summary(console, request, placement)


def _ask_template(interactive: bool) -> str:
    from infer.scaffold.catalog import list_templates

    if not interactive:
        return DEFAULT_TEMPLATE
    names = [info.name for info in list_templates()]
    _print_templates(Console(), list_templates())
    return Prompt.ask("Template", choices=names, default=DEFAULT_TEMPLATE)


def _ask_model(template: TemplateInfo, interactive: bool) -> str | None:
    if template.default_model is None or not interactive:
        return None
    return Prompt.ask("Hugging Face model id", default=template.default_model)


def _print_templates(console: Console, templates: list[TemplateInfo]) -> None:
    table = Table(box=None, show_header=False, pad_edge=False)
    for info in templates:
        marker = " (default)" if info.name == DEFAULT_TEMPLATE else ""
        table.add_row(f"[bold cyan]{info.name}[/]{marker}", info.summary)
    console.print(table)


def _print_summary(console: Console, request: ScaffoldRequest, placement: Placement) -> None:
    console.print(
        f"[green]Created[/] [bold]{request.destination}[/] from the "
        f"[cyan]{request.template.name}[/] template:"
    )
    if not (placement.replaced or placement.unchanged):
        for name in sorted(placement.created):
            console.print(f"  {name}")
    for label, names in (
        ("created", placement.created if placement.replaced or placement.unchanged else []),
        ("replaced", placement.replaced),
        ("unchanged", placement.unchanged),
    ):
        for name in sorted(names):
            console.print(f"  {escape(name)}  [dim]({label})[/]")
    gpu = " --gpu" if request.template.name == "streaming" else ""
    console.print("\nNext:")
    if request.destination.resolve() != Path.cwd().resolve():
        console.print(f"  cd {request.destination}")
    console.print("  infer validate .")
    console.print(f"  infer serve .{gpu}")
    console.print("  infer stream --input-file input.json")
