"""`infer bench`: stream-test a model under load, level by level, and report the numbers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from infer.commands._edge import stderr, user_errors
from infer.errors import UsageError

if TYPE_CHECKING:
    from infer.bench import load
    from infer.bench.plan import BenchPlan

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


def bench(
    url: Annotated[str, typer.Option(help="The server (or a full /v2/models/NAME URL).")] = (
        "http://127.0.0.1:8000"
    ),
    model: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option("--model", "-m", help="Model name (default: the server's only model)."),
    ] = None,
    token: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(
            help="Bearer token for the hosted platform (never printed).", envvar="INFER_TOKEN"
        ),
    ] = None,
    text: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--text", "-t", help="Fills the model's single STRING input (or TEXT)."),
    ] = None,
    inputs: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option("--input", "-i", help="NAME=VALUE, on every request (repeatable)."),
    ] = None,
    input_file: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--input-file", "-f", help="A v2 request JSON, e.g. the repo's input.json."),
    ] = None,
    dataset: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="JSONL, one request per line (v2 body or {NAME: value}); cycled."),
    ] = None,
    concurrency: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--concurrency", "-c", help="Streams in flight per level [default: 1,4,16]."),
    ] = None,
    rate: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Open loop instead: Poisson arrivals per second, per level (e.g. 2,8)."),
    ] = None,
    requests: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(
            "--requests", "-n", min=1, help="Requests per level [default: max(20, 4 x level)]."
        ),
    ] = None,
    duration: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Run each level this long instead (e.g. 30s); in-flight ones finish."),
    ] = None,
    warmup: Annotated[
        int, typer.Option(min=0, help="Requests sent first and left out of the numbers.")
    ] = 0,
    tokenizer: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="A local Hugging Face tokenizer folder, to report tokens/s."),
    ] = None,
    field: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="The event key holding the text (default: the single string one)."),
    ] = None,
    slo: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Goodput objective per request, e.g. ttft=500ms,itl=50ms,e2e=10s."),
    ] = None,
    timeout: Annotated[
        str, typer.Option(help="Per-request limit; past it the request counts as timed out.")
    ] = "300s",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON (schema infer.bench/1).")
    ] = False,
    report: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="Write a self-contained HTML report (charts, no network)."),
    ] = None,
    compare: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(help="A previous --json report: print and plot the changes."),
    ] = None,
) -> None:
    """Drive a streaming model with N concurrent streams (or a request rate), level by level.

    Reports per level: ok / errors / timed out by code, TTFT, inter-event gap and end-to-end
    percentiles, events/s (tokens/s with --tokenizer), goodput under --slo, and the client's own
    CPU per event. Every stream is checked (ids contiguous, one terminal event, nothing twice).

    Exit codes: 0 done, 1 correctness violations or no request succeeded, 2 usage, 130 Ctrl-C.

    [bold]Example:[/] infer bench --text "How to make an omelette" -c 1,4,16 --report bench.html
    """
    from infer.bench.setup import BenchOptions, prepare

    with user_errors():
        options = BenchOptions(
            url=url,
            model=model,
            token=token,
            text=text,
            inputs=inputs or [],
            input_file=input_file,
            dataset=dataset,
            concurrency=concurrency,
            rate=rate,
            requests=requests,
            duration=duration,
            warmup=warmup,
            tokenizer=tokenizer,
            field=field,
            slo=slo,
            timeout=timeout,
        )
        old = None
        if compare is not None:  # read first: a wrong file fails before any load is sent
            from infer.bench.document import load_document

            old = load_document(compare)
        prepared = prepare(options)
        try:
            document, table_shown = _run_live(
                prepared.plan, prepared.target, prepared.config, prepared.counter, old
            )
        except KeyboardInterrupt:
            stderr.print("[yellow]interrupted (Ctrl-C): no report[/]")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        if report is not None:
            _write_report(report, document, old)
    _print_summary(document, table_shown)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
    if document["violations"]:
        stderr.print(
            f"[bold red]✗ {document['violations']} correctness violation(s)[/]: see above",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_FAILED)
    if not any(level["ok"] for level in document["levels"]):
        stderr.print("[bold red]✗ no request succeeded[/]")
        raise typer.Exit(EXIT_FAILED)


def _write_report(path: Path, document: dict[str, Any], old: dict[str, Any] | None) -> None:
    from infer.bench.html_report import render_report

    try:
        path.write_text(render_report(document, old), encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write --report {path}: {error.strerror}") from None
    stderr.print(f"report written to {escape(str(path))}", soft_wrap=True)


def _run_live(
    plan: BenchPlan,
    target: dict[str, Any],
    config: dict[str, Any],
    counter: Any,
    old: dict[str, Any] | None,
) -> tuple[dict[str, Any], bool]:
    """Run the bench; on a terminal the table of finished levels and a progress bar per level
    redraw live. Returns the document and whether the table is already on screen."""
    from infer.bench.run import run_bench

    stderr.print(
        f"infer bench → {escape(target['url'])} · levels "
        + ", ".join(level["label"] for level in config["levels"]),
        soft_wrap=True,
    )
    if not stderr.is_terminal:
        # Piped or logged: no redrawing, one line per finished level.
        return run_bench(plan, target, config, counter, None, old, _log_level), False
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("ok {task.fields[ok]} · failed {task.fields[failed]} · {task.fields[rate]}"),
        TimeElapsedColumn(),
        console=stderr,
    )
    tasks: dict[int, Any] = {}
    finished: list[dict[str, Any]] = []
    tokens, goodput = counter is not None, not plan.slo.empty

    def on_progress(state: load.Progress) -> None:
        task = tasks.get(state.level_index)
        if task is None:
            name = "warm-up" if state.warmup else f"level {state.level.label}"
            task = tasks[state.level_index] = progress.add_task(
                name, total=state.total, ok=0, failed=0, rate=""
            )
        elapsed = state.elapsed_s
        events_per_s = f"{state.events / elapsed:,.0f} events/s" if elapsed > 0 else ""
        progress.update(
            task, completed=state.done, ok=state.ok, failed=state.failed, rate=events_per_s
        )

    with Live(Group(progress), console=stderr, refresh_per_second=4) as live:

        def on_level(level: dict[str, Any]) -> None:
            finished.append(level)
            live.update(Group(_levels_table(finished, tokens, goodput), progress))

        return run_bench(plan, target, config, counter, on_progress, old, on_level), True


def _log_level(level: dict[str, Any]) -> None:
    stderr.print(
        f"level {level['label']}: {level['requests']} requests, ok {level['ok']}, "
        f"failed {level['requests'] - level['ok']}, "
        f"{level['violations']['total']} violation(s), {level['duration_s']:.1f} s",
        soft_wrap=True,
    )


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:,.1f}"


def _levels_table(levels: list[dict[str, Any]], tokens: bool, goodput: bool) -> Table:
    table = Table(title="infer bench (latencies in ms)", title_justify="left")
    columns = ["level", "ok", "errors", "timed out", "TTFT p50", "p90", "p99"]
    columns += ["gap p50", "p90", "p99", "e2e p50", "p99", "events/s"]
    columns += ["tokens/s"] * tokens + ["goodput/s"] * goodput + ["client µs/ev", "violations"]
    for column in columns:
        table.add_column(column, justify="left" if column == "level" else "right")
    for level in levels:
        row = [
            level["label"],
            f"{level['ok']}/{level['requests']}",
            _codes(level["errors"]),
            _codes(level["timed_out"]),
            *(_ms(level["ttft_ms"][key]) for key in ("p50", "p90", "p99")),
            *(_ms(level["gap_ms"][key]) for key in ("p50", "p90", "p99")),
            _ms(level["e2e_ms"]["p50"]),
            _ms(level["e2e_ms"]["p99"]),
            _ms(level["events_per_s"]),
        ]
        if tokens:
            row.append(_ms(level["tokens_per_s"]))
        if goodput:
            row.append(_ms((level["goodput"] or {}).get("requests_per_s")))
        row += [_ms(level["client"]["cpu_us_per_event"]), str(level["violations"]["total"])]
        table.add_row(*(escape(cell) for cell in row))
    return table


def _print_summary(document: dict[str, Any], table_shown: bool) -> None:
    levels = document["levels"]
    if not table_shown:
        tokens = any(level["tokens_per_s"] is not None for level in levels)
        goodput = any(level["goodput"] is not None for level in levels)
        wide = Console(stderr=True, highlight=False, width=max(stderr.width, 160))
        wide.print(_levels_table(levels, tokens, goodput))
    for level in levels:
        for example in level["violations"]["examples"]:
            stderr.print(
                f"[red]violation[/] {escape(level['label'])} request {example['request']}: "
                f"{example['kind']}: {escape(example['detail'])}",
                soft_wrap=True,
            )
    if document.get("compare"):
        _print_compare(document["compare"])


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in counts.items()) or "0"


def _print_compare(compare: dict[str, Any]) -> None:
    table = Table(
        title=f"compared with the run of {compare['old_created_at']}", title_justify="left"
    )
    for column in ("level", "metric", "old", "new", "change"):
        table.add_column(column, justify="left" if column in {"level", "metric"} else "right")
    for level in compare["levels"]:
        for metric in level["metrics"]:
            colour = {"better": "green", "worse": "red"}.get(metric["better"], "")
            percent = "-" if metric["percent"] is None else f"{metric['percent']:+.1f} %"
            table.add_row(
                level["label"],
                metric["metric"],
                f"{metric['old']:,.2f}",
                f"{metric['new']:,.2f}",
                f"[{colour}]{percent}[/]" if colour else percent,
            )
    stderr.print(table)
    if compare["unmatched_levels"]:
        stderr.print("not in the old run: " + ", ".join(compare["unmatched_levels"]))
