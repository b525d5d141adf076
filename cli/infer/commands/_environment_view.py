"""Rendering for `infer serve` / `infer env`: the isolated build's progress and the parity table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.markup import escape
from rich.table import Table

from infer.commands._edge import stderr
from infer.environment.launch import Device, WorkerEnvironment
from infer.environment.parity import ParityReport
from infer.environment.prepare import PreparedWorker, prepare_worker
from infer.errors import EnvironmentMismatchError

STATUS_STYLE = {
    "match": "green",
    "different": "yellow",
    "missing": "yellow",
    "set": "green",
    "shell": "cyan",
}
MAX_ROWS = 40


class BuildProgress:
    """A spinner with the elapsed time and uv's latest line; every line is also printed."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self._status = stderr.status("building the isolated environment", spinner="dots")
        self._started = False

    def line(self, text: str) -> None:
        """One line of build output."""
        if not self._started:
            self._status.start()
            self._started = True
        stderr.print(f"  [dim]{escape(text)}[/]", soft_wrap=True)
        elapsed = time.perf_counter() - self.started
        self._status.update(f"building the isolated environment ({elapsed:.0f} s): {escape(text)}")

    def stop(self) -> None:
        """Remove the spinner."""
        if self._started:
            self._status.stop()


@contextmanager
def build_progress() -> Iterator[BuildProgress]:
    """A BuildProgress that is stopped however the build ends."""
    progress = BuildProgress()
    try:
        yield progress
    finally:
        progress.stop()


def prepare_and_report(
    repo: Path,
    device: Device,
    isolated: bool,
    strict: bool,
    env_args: list[str],
    env_files: list[Path],
) -> WorkerEnvironment:
    """Settle the worker's environment, print the parity report, enforce --strict-env."""
    with build_progress() as progress:
        prepared = prepare_worker(repo, device, isolated, env_args, env_files, progress.line)
    if prepared.build is not None:
        print_build_outcome(prepared)
    print_report(prepared.report, prepared.device_summary)
    if strict and prepared.report.warnings:
        count = len(prepared.report.warnings)
        raise EnvironmentMismatchError(
            f"the environment differs from the runtime config ({count} warning"
            f"{'s' if count != 1 else ''} above) and --strict-env makes that fatal",
            hint="--isolated builds python_packages exactly; system packages need apt-get; "
            "variables come from --env / --env-file / inferless.yaml env",
        )
    return prepared.worker


def print_build_outcome(prepared: PreparedWorker) -> None:
    """One line: which isolated environment, reused or built, and how long that took."""
    outcome = prepared.build
    assert outcome is not None
    verb = "reused" if outcome.reused else "built"
    stderr.print(
        f"isolated environment {verb} in {outcome.seconds:.1f} s: {escape(str(outcome.plan.path))}",
        soft_wrap=True,
    )


def print_report(report: ParityReport, device_summary: str) -> None:
    """The parity table, then its warnings and notes."""
    stderr.print(
        f"[bold]environment parity[/] (runtime config vs the worker's Python: "
        f"{escape(report.interpreter)}); device {escape(device_summary)}",
        soft_wrap=True,
    )
    if report.rows:
        table = Table(box=None, show_header=False, pad_edge=False, padding=(0, 2, 0, 2))
        for row in report.rows[:MAX_ROWS]:
            style = STATUS_STYLE.get(row.status, "dim")
            table.add_row(
                row.section,
                escape(row.wanted if row.section != "env" else row.name),
                escape(row.found if row.section != "env" else row.wanted),
                f"[{style}]{row.status}[/]",
            )
        stderr.print(table)
        if len(report.rows) > MAX_ROWS:
            stderr.print(f"  [dim]… {len(report.rows) - MAX_ROWS} more rows[/]")
    for warning in report.warnings:
        stderr.print(f"[yellow]warning:[/] {escape(warning)}", soft_wrap=True)
    for note in report.notes:
        stderr.print(f"[dim]note:[/] {escape(note)}", soft_wrap=True)
