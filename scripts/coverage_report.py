"""scripts/test's coverage summary: combine every process's data, report, and gate.

Reads the data files `coverage run` and its subprocesses wrote (the pytest workers, every
`infer serve` and its worker: `[tool.coverage.run] patch` in pyproject.toml), combines them into
`.coverage`, and prints the total, the server and worker processes' shares, and the
least-covered files. With ``--fail-under`` (the full suite), exits 2 when the total is below
``[tool.coverage.report] fail_under``.
Usage: python scripts/coverage_report.py [--fail-under] [--lowest N]
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "cli" / "infer"
# The two processes `infer serve` runs (README, "Development"), then the rest by package.
AREAS = {
    "server process": "runtime/server/",
    "worker process": "runtime/worker/",
}


@dataclass
class FileCoverage:
    """Statements and missed statements of one source file."""

    path: str  # relative to cli/infer
    statements: int
    missing: int

    @property
    def percent(self) -> float:
        """Covered statements, in percent (100 for a file without statements)."""
        if not self.statements:
            return 100.0
        return 100.0 * (self.statements - self.missing) / self.statements


def measure(cov: coverage.Coverage) -> list[FileCoverage]:
    """Every measured file under cli/infer, with its numbers."""
    data = cov.get_data()
    files = []
    for name in sorted(data.measured_files()):
        path = Path(name)
        if not path.is_relative_to(PACKAGE):
            continue
        _, statements, _, missing, _ = cov.analysis2(name)
        files.append(
            FileCoverage(path.relative_to(PACKAGE).as_posix(), len(statements), len(missing))
        )
    return files


def total(files: list[FileCoverage]) -> FileCoverage:
    """The files' numbers summed."""
    statements = sum(f.statements for f in files)
    return FileCoverage("", statements, sum(f.missing for f in files))


def area_of(path: str) -> str:
    """The named area a file belongs to, else its top-level package."""
    for area, prefix in AREAS.items():
        if path.startswith(prefix):
            return area
    return path.split("/")[0].removesuffix(".py")


def render(files: list[FileCoverage], lowest: int) -> list[str]:
    """The summary lines: total, per area, then the least-covered files."""
    whole = total(files)
    lines = [f"coverage: {whole.percent:.1f}% of {whole.statements} statements in cli/infer"]
    areas: dict[str, list[FileCoverage]] = {}
    for f in files:
        areas.setdefault(area_of(f.path), []).append(f)
    ordered = [*AREAS, *sorted(set(areas) - set(AREAS))]
    for area in ordered:
        if area in areas:
            part = total(areas[area])
            lines.append(f"  {area:<16} {part.percent:5.1f}%  ({part.missing} missed)")
    lines.append(f"least covered ({lowest}):")
    for f in sorted(files, key=lambda f: (f.percent, -f.missing))[:lowest]:
        lines.append(f"  {f.percent:5.1f}%  {f.missing:4d} missed  {f.path}")
    return lines


def main() -> int:
    """Combine, print the summary, and gate on fail_under when asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fail-under", action="store_true", help="gate on fail_under")
    parser.add_argument("--lowest", type=int, default=12, help="least-covered files to list")
    args = parser.parse_args()
    cov = coverage.Coverage(config_file=str(ROOT / "pyproject.toml"))
    cov.combine(keep=False)
    cov.save()
    # What combine could not read (a process killed while saving) would pollute the next run.
    data_file = Path(str(cov.get_option("run:data_file")))
    for leftover in data_file.parent.glob(data_file.name + ".*"):
        leftover.unlink()
    files = measure(cov)
    if not files:
        print("coverage: no data (did the tests run?)", file=sys.stderr)
        return 2
    print("\n".join(render(files, args.lowest)), file=sys.stderr)
    threshold = cov.get_option("report:fail_under")
    assert isinstance(threshold, (int, float))
    percent = total(files).percent
    if args.fail_under and round(percent, 1) < threshold:
        print(f"coverage: {percent:.1f}% is under the {threshold:.0f}% threshold", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
