"""`infer validate`: static checks of a model repo, rendered as text, JSON or annotations."""

from __future__ import annotations

from enum import Enum
from itertools import groupby
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infer.commands._edge import user_errors
from infer.errors import UsageError


class OutputFormat(str, Enum):
    """The renderers of a report."""

    text = "text"
    json = "json"
    github = "github"
    sarif = "sarif"


def _codes(values: list[str] | None) -> list[str]:
    return [code.strip().upper() for value in values or [] for code in value.split(",") if code]


def validate(
    path: Annotated[Path, typer.Argument(help="The model repo to check, or a file in it.")] = Path(
        "."
    ),
    output_format: Annotated[
        OutputFormat,
        typer.Option("--format", help="text, json, github annotations or sarif (2.1.0)."),
    ] = OutputFormat.text,
    select: Annotated[
        Optional[list[str]],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option("--select", help="Only these codes or prefixes (INF1, INF205,...)."),
    ] = None,
    ignore: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--ignore", help="Skip these codes or prefixes."),
    ] = None,
    list_rules: Annotated[
        bool, typer.Option("--list-rules", help="Print every rule and exit.")
    ] = False,
    explain_code: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--explain", help="Print a rule's rationale, an example and the fix."),
    ] = None,
) -> None:
    """Find every mistake that would break a deploy, without running any of the repo's code.

    Exit codes: 0 clean (warnings allowed), 1 errors found, 2 not a model repo.
    Silence one line with a comment on it: # infer: ignore[INF308] (or # infer: ignore).

    [bold]Example:[/] infer validate my-model --format github --ignore INF208
    """
    console = Console(soft_wrap=True, highlight=False)
    if list_rules:
        _print_rules(console)
        return
    if explain_code is not None:
        with user_errors():
            _print_explanation(console, explain_code)
        return
    from infer.validate.engine import check_rule_codes, find_repo, validate_repo

    with user_errors():
        unknown = check_rule_codes(_codes(select) + _codes(ignore))
        if unknown:
            raise UsageError(
                f"unknown rule code(s): {', '.join(unknown)}",
                hint="see `infer validate --list-rules`",
            )
        report = validate_repo(find_repo(path), _codes(select), _codes(ignore))
    if output_format is OutputFormat.json:
        from infer.validate.formats import to_json

        typer.echo(to_json(report))
    elif output_format is OutputFormat.github:
        from infer.validate.formats import to_github

        text = to_github(report)
        if text:
            typer.echo(text)
    elif output_format is OutputFormat.sarif:
        from infer.validate.formats import to_sarif

        typer.echo(to_sarif(report))
    else:
        _print_text(console, report)
    raise typer.Exit(1 if report.errors else 0)


def _print_rules(console: Console) -> None:
    from infer.validate.rules import RULES

    table = Table(box=None, pad_edge=False, show_header=True, header_style="bold")
    table.add_column("code")
    table.add_column("severity")
    table.add_column("rule")
    for rule in RULES.values():
        colour = "red" if rule.severity.value == "error" else "yellow"
        table.add_row(rule.code, f"[{colour}]{rule.severity.value}[/]", escape(rule.summary))
    console.print(table)


def _print_explanation(console: Console, code: str) -> None:
    from infer.validate.explanations import explain
    from infer.validate.rules import RULES

    rule = RULES.get(code.strip().upper())
    explanation = explain(code.strip())
    if rule is None or explanation is None:
        raise UsageError(f"unknown rule code {code!r}", hint="see `infer validate --list-rules`")
    console.print(f"[bold]{rule.code}[/] ({rule.severity.value}): {escape(rule.summary)}\n")
    console.print(f"[bold]Why[/]\n  {escape(explanation.why)}\n")
    console.print("[bold]Example[/]\n" + _indented(explanation.example) + "\n")
    console.print("[bold]Fix[/]\n" + _indented(explanation.fix) + "\n")
    console.print(f"Silence one line with: # infer: ignore[{rule.code}]")


def _indented(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + escape(line) for line in text.splitlines())


def _print_text(console: Console, report: object) -> None:
    from infer.validate.engine import Report

    assert isinstance(report, Report)
    for file_name, group in groupby(report.findings, key=lambda f: f.path):
        console.print(f"[bold underline]{escape(file_name)}[/]")
        for finding in group:
            colour = "red" if finding.severity.value == "error" else "yellow"
            location = f"{file_name}:{finding.line}:{finding.col}"
            console.print(
                f"  [dim]{escape(location)}[/]  [bold]{finding.code}[/]  "
                f"[{colour}]{finding.severity.value}[/]  {escape(finding.message)}"
            )
            if finding.hint:
                first, *rest = finding.hint.splitlines()
                console.print(f"      [dim]hint: {escape(first)}[/]")
                for line in rest:
                    console.print(f"[dim]{_indented(line, ' ' * 12)}[/]")
        console.print()
    suppressed = f", {report.suppressed} suppressed" if report.suppressed else ""
    summary = f"{report.errors} error(s), {report.warnings} warning(s){suppressed} in {report.repo}"
    if report.errors:
        console.print(f"[bold red]✗[/] {escape(summary)}")
    elif report.warnings:
        console.print(f"[bold yellow]![/] {escape(summary)}: deployable")
    else:
        console.print(f"[bold green]✓[/] {escape(summary)}: ready to deploy")
