"""Placing rendered files on disk safely: honour the umask, never follow a link, never clobber.

`infer init --force` adds the template's files to an existing folder. A file already there with
the same content is left alone; one whose content differs is replaced only with ``--overwrite``;
a symbolic link (or anything not a regular file) on the way is never written through.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from infer.errors import ScaffoldError


@dataclass
class Placement:
    """What writing the files did (or would do) to each path, relative to the destination."""

    created: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def current_umask() -> int:
    """The process umask (read by setting and restoring it: there is no getter)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def plan_into_existing(destination: Path, files: dict[str, str]) -> Placement:
    """Classify each file against what is on disk; raises for links and non-regular files."""
    if destination.is_symlink():
        raise ScaffoldError(
            f"{destination} is a symbolic link; infer init never writes through a link, "
            "so nothing was written",
            hint="give the real folder's path instead",
        )
    placement = Placement()
    for relative, text in files.items():
        blocker = _link_or_special_on_the_way(destination, relative)
        if blocker is not None:
            raise ScaffoldError(
                f"{blocker} is {_describe(blocker)}; infer init never writes through it, "
                "so nothing was written",
                hint="move it away, or scaffold into another folder",
            )
        path = destination / relative
        if not os.path.lexists(path):
            placement.created.append(relative)
        elif _same_content(path, text):
            placement.unchanged.append(relative)
        else:
            placement.replaced.append(relative)
    return placement


def write_into_existing(destination: Path, files: dict[str, str], overwrite: bool) -> Placement:
    """Write the files into an existing folder; refuses to replace differing files without
    ``overwrite``, listing every one of them, and then writes nothing."""
    placement = plan_into_existing(destination, files)
    if placement.replaced and not overwrite:
        listed = ", ".join(placement.replaced)
        raise ScaffoldError(
            f"--force would replace {len(placement.replaced)} file(s) whose content differs "
            f"from the template: {listed}; nothing was written",
            hint="pass --overwrite as well to replace them (commit or back them up first), "
            "or move them away",
        )
    for relative in [*placement.created, *placement.replaced]:
        _write_file_safely(destination, relative, files[relative])
    return placement


def write_new(destination: Path, files: dict[str, str]) -> Placement:
    """Create ``destination`` with the files, all or nothing, with the user's umask."""
    # Build in a sibling temporary folder and rename it into place, so an error half-way
    # (a full disk, a permission) never leaves a half-written repo behind.
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{destination.name}-", dir=destination.parent))
    try:
        # mkdtemp makes a private (0700) folder; the repo is an ordinary folder of the user's.
        os.chmod(staging, 0o777 & ~current_umask())
        for relative, text in files.items():
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        staging.rename(destination)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Placement(created=list(files))


def _write_file_safely(destination: Path, relative: str, text: str) -> None:
    """Write via a new temporary file renamed over the target: a link there is replaced,
    never followed, and a reader never sees half a file."""
    path = destination / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.infer-init-{os.getpid()}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, 0o666)  # the umask applies, as for any new file
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _link_or_special_on_the_way(destination: Path, relative: str) -> Path | None:
    path = destination
    for part in Path(relative).parts:
        path = path / part
        if not os.path.lexists(path):
            return None
        mode = path.lstat().st_mode
        is_last = path == destination / relative
        if stat.S_ISLNK(mode) or not (stat.S_ISREG(mode) if is_last else stat.S_ISDIR(mode)):
            return path
    return None


def _describe(path: Path) -> str:
    mode = path.lstat().st_mode
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISREG(mode):
        return "a file"
    return "not a regular file"


def _same_content(path: Path, text: str) -> bool:
    try:
        return path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False
