"""The parity report: the runtime config the platform builds from, against the worker's side.

Pure comparison over facts gathered elsewhere (the interpreter probe, dpkg, the variables
given, the variables the repo reads), so every rule is testable without processes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from infer.environment.build_config import BuildConfig, PackagePin
from infer.environment.env_reads import VariableRead
from infer.environment.interpreter import InterpreterFacts
from infer.environment.system_packages import package_name
from infer.environment.variables import ModelVariables

# Statuses that are mismatches: warnings, fatal under --strict-env.
MISMATCHES = frozenset({"different", "missing"})
# Variables every process has; reading them says nothing about the model's configuration.
STANDARD_VARIABLES = frozenset(
    {"PATH", "HOME", "USER", "PWD", "TMPDIR", "TEMP", "TMP", "LANG", "LC_ALL", "HOSTNAME"}
    | {"CUDA_VISIBLE_DEVICES", "PYTHONPATH", "SHELL", "TERM"}
)


@dataclass(frozen=True)
class ParityRow:
    """One line of the table: what the config wants, what the worker has, and the verdict."""

    section: str  # python, system, cuda, env
    name: str
    wanted: str
    found: str
    status: str  # match, different, missing, unknown, skipped, set, shell, default, note

    @property
    def mismatch(self) -> bool:
        """Whether this row is a warning."""
        return self.status in MISMATCHES


@dataclass(frozen=True)
class ParityReport:
    """The table, the warnings it leads to, and notes on what could not be compared."""

    interpreter: str
    rows: tuple[ParityRow, ...]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def mismatches(self) -> list[ParityRow]:
        """The rows that are warnings."""
        return [row for row in self.rows if row.mismatch]


def compare_python_packages(pins: Sequence[PackagePin], facts: InterpreterFacts) -> list[ParityRow]:
    """Each pin against the interpreter's installed distributions."""
    rows = []
    for pin in pins:
        try:
            requirement = Requirement(pin.text)
        except InvalidRequirement:
            rows.append(ParityRow("python", pin.text, pin.text, "-", "unknown"))
            continue
        installed = facts.distributions.get(canonicalize_name(requirement.name))
        found = installed or "-"
        if requirement.marker is not None and not requirement.marker.evaluate():
            status = "skipped"  # not for this platform or Python
        elif installed is None:
            status = "missing"
        elif requirement.url or not requirement.specifier:
            status = "match"
        else:
            status = _version_status(requirement, installed)
        rows.append(ParityRow("python", requirement.name, pin.text, found, status))
    return rows


def _version_status(requirement: Requirement, installed: str) -> str:
    try:
        ok = requirement.specifier.contains(Version(installed), prereleases=True)
    except InvalidVersion:
        return "unknown"
    return "match" if ok else "different"


def compare_system_packages(
    entries: Sequence[str], installed: Mapping[str, str | None] | None
) -> list[ParityRow]:
    """Each system package against dpkg's answer (None: no dpkg here)."""
    rows = []
    for entry in entries:
        name = package_name(entry)
        if installed is None:
            rows.append(ParityRow("system", name, entry, "no dpkg-query", "unknown"))
            continue
        version = installed.get(name)
        wanted_version = entry.split("=", 1)[1] if "=" in entry else None
        if version is None:
            status = "missing"
        elif wanted_version and not version.startswith(wanted_version):
            status = "different"
        else:
            status = "match"
        rows.append(ParityRow("system", name, entry, version or "-", status))
    return rows


def compare_cuda(cuda_version: str | None, facts: InterpreterFacts, device: str) -> ParityRow:
    """The CUDA torch was built for against the image's cuda_version."""
    wanted = cuda_version or "(not set)"
    torch = facts.distributions.get("torch")
    if torch is None:
        return ParityRow("cuda", "torch", wanted, "torch not installed", "note")
    built = facts.torch_cuda or "unknown"
    if built == "cpu":
        # A CPU build is what a CPU run needs; it is a mismatch only when a GPU was asked for.
        status = "different" if device == "gpu" else "note"
        return ParityRow("cuda", "torch", wanted, f"torch {torch}, CPU build", status)
    if built == "unknown" or cuda_version is None:
        return ParityRow("cuda", "torch", wanted, f"torch {torch}, CUDA {built}", "unknown")
    same = cuda_version.split(".")[:2] == built.split(".")[:2]
    status = "match" if same else "different"
    return ParityRow("cuda", "torch", wanted, f"torch {torch}, CUDA {built}", status)


def compare_variables(
    reads: Sequence[VariableRead], variables: ModelVariables, shell: Mapping[str, str]
) -> list[ParityRow]:
    """Variables given (by name and origin), and those the repo reads that nobody gave."""
    rows = [
        ParityRow("env", name, variables.origins[name], "set", "set") for name in variables.names
    ]
    seen = set(variables.names) | STANDARD_VARIABLES
    for read in reads:
        if read.name in seen:
            continue
        seen.add(read.name)
        if read.name in shell:
            rows.append(ParityRow("env", read.name, read.where, "from your shell", "shell"))
        elif read.has_default:
            rows.append(ParityRow("env", read.name, read.where, "not set", "default"))
        else:
            rows.append(ParityRow("env", read.name, read.where, "not set", "missing"))
    return rows


def build_report(
    interpreter: str,
    build: BuildConfig,
    facts: InterpreterFacts,
    system: Mapping[str, str | None] | None,
    device: str,
    variables: ModelVariables,
    reads: Sequence[VariableRead],
    shell: Mapping[str, str],
    isolated: bool,
) -> ParityReport:
    """The whole report, with one warning per kind of mismatch."""
    python_rows = compare_python_packages(build.python_packages, facts)
    system_rows = compare_system_packages(build.system_packages, system)
    cuda_rows = [compare_cuda(build.cuda_version, facts, device)] if build.present else []
    env_rows = compare_variables(reads, variables, shell)
    warnings = _warnings(python_rows, system_rows, cuda_rows, env_rows, isolated)
    notes = list(build.notes) + list(variables.notes)
    if not build.present:
        notes.append("no inferless-runtime-config.yaml: nothing to compare packages against")
    return ParityReport(
        interpreter,
        tuple(python_rows + system_rows + cuda_rows + env_rows),
        tuple(warnings),
        tuple(notes),
    )


def _warnings(
    python_rows: list[ParityRow],
    system_rows: list[ParityRow],
    cuda_rows: list[ParityRow],
    env_rows: list[ParityRow],
    isolated: bool,
) -> list[str]:
    warnings = []
    off = [row.wanted for row in python_rows if row.mismatch]
    if off:
        fix = (
            "rebuild it with `infer env build`"
            if isolated
            else "`infer serve --isolated` runs the model with exactly these pins"
        )
        warnings.append(
            f"{len(off)} of {len(python_rows)} python_packages differ from the worker's "
            f"Python ({', '.join(off)}); {fix}"
        )
    absent = [row.name for row in system_rows if row.mismatch]
    if absent:
        warnings.append(
            f"system_packages not installed here as pinned: {', '.join(absent)} (the platform "
            f"installs them into its image; here: sudo apt-get install {' '.join(absent)})"
        )
    for row in cuda_rows:
        if row.mismatch:
            warnings.append(
                f"the worker's {row.found} does not match the platform's CUDA {row.wanted}"
            )
    for row in env_rows:
        if row.mismatch:
            warnings.append(
                f"{row.wanted} reads {row.name}, which is not set: pass --env {row.name}=VALUE "
                "or --env-file FILE (the platform needs it as an environment variable or secret)"
            )
    return warnings
