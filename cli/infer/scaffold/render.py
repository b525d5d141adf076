"""Rendering a template into a model repo, all in memory first so errors write nothing."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from infer.errors import ScaffoldError
from infer.repo.sources import MODEL_NAME_PATTERN
from infer.scaffold.catalog import COMMON_DIR, META_FILE, TemplateInfo, templates_root
from infer.scaffold.placement import Placement, write_into_existing, write_new

TEMPLATE_SUFFIX = ".j2"
# What a folder may already hold and still count as empty: a fresh `git clone` or `git init`.
IGNORED_WHEN_EMPTY = frozenset({".git"})
# Files whose names cannot be shipped as-is inside a wheel or a template folder.
RENAMED_FILES = {"gitignore": ".gitignore"}


@dataclass(frozen=True)
class ScaffoldRequest:
    """What `infer init` was asked to write."""

    destination: Path
    template: TemplateInfo
    model: str | None = None
    force: bool = False
    # With force: replace files whose content differs from the template (never links).
    overwrite: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The model name: the destination folder's name (``infer init .`` names the cwd)."""
        # abspath, not resolve(): "." and "a/.." get a name, a symbolic link keeps its own.
        return Path(os.path.abspath(self.destination)).name


def check_model_name(name: str) -> None:
    """Refuse a name the platform or the file system would choke on."""
    if not MODEL_NAME_PATTERN.match(name):
        raise ScaffoldError(
            f"{name!r} is not a valid model name",
            hint=(
                "use 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit "
                "(for example: my-model)"
            ),
        )


def check_model_option(request: ScaffoldRequest) -> None:
    """Refuse --model for a template that ships its own model, rather than ignore it."""
    if request.model is not None and request.template.default_model is None:
        raise ScaffoldError(
            f"the {request.template.name} template runs the model it ships with and takes no "
            f"--model; nothing was written",
            hint=f"drop --model, or serve {request.model} with --template streaming (GPU) "
            "or --template basic",
        )


def is_empty_folder(folder: Path) -> bool:
    """True for a folder with nothing in it but what a fresh clone holds (``.git``)."""
    return all(entry.name in IGNORED_WHEN_EMPTY for entry in folder.iterdir())


def render_files(request: ScaffoldRequest) -> dict[str, str]:
    """Every file of the repo as ``{relative path: text}``; raises before anything is written."""
    import jinja2  # here, not at module level: `infer validate` imports this module

    root = templates_root()
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(request.template.path), str(root / COMMON_DIR)]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    context = {
        "name": request.name,
        "template": request.template.name,
        "streaming": request.template.streaming,
        "model": request.model or request.template.default_model or "",
        **request.extra,
    }
    rendered: dict[str, str] = {}
    for folder in (root / COMMON_DIR, request.template.path):
        for source in sorted(folder.rglob("*")):
            relative = source.relative_to(folder)
            if not source.is_file() or relative.name == META_FILE or relative.name.startswith("_"):
                continue
            target = _target_name(relative)
            if source.suffix == TEMPLATE_SUFFIX:
                template = env.get_template(relative.as_posix())
                rendered[target] = template.render(context)
            else:
                rendered[target] = source.read_text(encoding="utf-8")
    return rendered


def _target_name(relative: Path) -> str:
    name = relative.name.removesuffix(TEMPLATE_SUFFIX)
    name = RENAMED_FILES.get(name, name)
    return (relative.parent / name).as_posix()


def write_repo(request: ScaffoldRequest) -> list[Path]:
    """Render and write the repo; returns the files written (created or replaced), in order."""
    placement = scaffold(request)
    return [
        request.destination / relative for relative in [*placement.created, *placement.replaced]
    ]


def scaffold(request: ScaffoldRequest) -> Placement:
    """Render and write the repo; returns what was created, replaced and left unchanged."""
    check_model_name(request.name)
    check_model_option(request)
    destination = request.destination
    if destination.is_symlink():
        raise ScaffoldError(
            f"{destination} is a symbolic link; infer init never writes through a link, "
            "so nothing was written",
            hint="give the real folder's path instead",
        )
    if destination.exists() and not destination.is_dir():
        raise ScaffoldError(
            f"{destination} exists and is not a directory",
            hint="choose another name or remove that file",
        )
    if destination.is_dir() and not is_empty_folder(destination) and not request.force:
        raise ScaffoldError(
            f"{destination} already exists and is not empty; nothing was written",
            hint="choose another name, or pass --force to add the template's files to it "
            "(a file whose content differs is replaced only with --overwrite as well)",
        )
    blocking = next((p for p in destination.parents if p.exists() and not p.is_dir()), None)
    if blocking is not None:
        raise ScaffoldError(
            f"cannot write {destination}: {blocking} is a file, not a folder; nothing was written",
            hint="choose a path whose parent folders exist or can be created",
        )
    files = render_files(request)
    try:
        if destination.is_dir():
            return write_into_existing(destination, files, request.overwrite)
        return write_new(destination, files)
    except OSError as error:
        raise ScaffoldError(
            f"cannot write {destination}: {error.strerror or error}",
            hint="check that the parent is a folder you can write to",
        ) from None
