"""What the platform builds the model's image from: inferless-runtime-config.yaml's `build`.

Read leniently: `infer validate` reports what is malformed; here a malformed part is skipped
with a note, so `infer serve` can still compare and run what it can.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infer.repo.sources import RUNTIME_CONFIG_FILE, ParseFailure, parse_yaml


@dataclass(frozen=True)
class PackagePin:
    """One `python_packages` entry and the line it is on."""

    text: str
    line: int

    @property
    def where(self) -> str:
        """``inferless-runtime-config.yaml:LINE``."""
        return f"{RUNTIME_CONFIG_FILE}:{self.line}"


@dataclass(frozen=True)
class BuildConfig:
    """The runtime config's build section, as far as it could be read."""

    present: bool
    cuda_version: str | None = None
    system_packages: tuple[str, ...] = ()
    python_packages: tuple[PackagePin, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def requirements(self) -> tuple[str, ...]:
        """The python_packages entries as written."""
        return tuple(pin.text for pin in self.python_packages)


def read_build_config(repo: Path) -> BuildConfig:
    """The build section of the repo's runtime config (absent: an empty, not-present config)."""
    path = repo / RUNTIME_CONFIG_FILE
    if not path.is_file():
        return BuildConfig(present=False)
    document = parse_yaml(path)
    if isinstance(document, ParseFailure):
        note = f"{RUNTIME_CONFIG_FILE}:{document.line}: {document.message} (run `infer validate`)"
        return BuildConfig(present=True, notes=(note,))
    data = document.data
    build = data.get("build") if isinstance(data, dict) else None
    if not isinstance(build, dict):
        return BuildConfig(present=True, notes=(f"{RUNTIME_CONFIG_FILE} has no `build` mapping",))
    notes: list[str] = []
    cuda = build.get("cuda_version")
    if cuda is not None and not isinstance(cuda, str):
        notes.append(f"build.cuda_version {cuda!r} is not a string (quote it)")
        cuda = str(cuda)
    system = _strings(build.get("system_packages"), "system_packages", notes)
    python = _strings(build.get("python_packages"), "python_packages", notes)
    pins = tuple(
        PackagePin(text, document.item_position(index, "build", "python_packages")[0])
        for index, text in enumerate(python)
    )
    return BuildConfig(True, cuda, system, pins, tuple(notes))


def _strings(value: object, key: str, notes: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        notes.append(f"build.{key} is not a list; ignored")
        return ()
    kept = tuple(item.strip() for item in value if isinstance(item, str) and item.strip())
    if len(kept) != len(value):
        notes.append(f"build.{key} has entries that are not strings; they are ignored")
    return kept
