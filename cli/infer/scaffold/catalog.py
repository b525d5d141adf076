"""Finding the shipped templates and reading what each one is."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from infer.errors import ScaffoldError

META_FILE = "template.yaml"
COMMON_DIR = "_common"


@dataclass(frozen=True)
class TemplateInfo:
    """One template: its name, a one-line description and its defaults."""

    name: str
    summary: str
    streaming: bool
    default_model: str | None
    path: Path


def templates_root() -> Path:
    """The templates folder: inside the installed package, or beside `cli/` in a checkout."""
    packaged = Path(str(resources.files("infer"))) / "templates"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[3] / "templates"
    if checkout.is_dir():
        return checkout
    raise ScaffoldError(
        "the template files are missing from this installation",
        hint="reinstall infer-cli (pip install --force-reinstall infer-cli)",
    )


def list_templates() -> list[TemplateInfo]:
    """Every template, in the order they should be offered."""
    root = templates_root()
    found: list[tuple[int, TemplateInfo]] = []
    for folder in sorted(root.iterdir()):
        meta_path = folder / META_FILE
        if folder.name == COMMON_DIR or not meta_path.is_file():
            continue
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
        info = TemplateInfo(
            name=folder.name,
            summary=str(meta.get("summary", "")),
            streaming=bool(meta.get("streaming", False)),
            default_model=meta.get("default_model"),
            path=folder,
        )
        found.append((int(meta.get("order", 100)), info))
    return [info for _, info in sorted(found, key=lambda pair: (pair[0], pair[1].name))]


def get_template(name: str) -> TemplateInfo:
    """The template called ``name``, or an error listing the valid ones."""
    templates = list_templates()
    for info in templates:
        if info.name == name:
            return info
    valid = ", ".join(info.name for info in templates)
    raise ScaffoldError(
        f"unknown template {name!r}",
        hint=f"choose one of: {valid} (see `infer init --list-templates`)",
    )
