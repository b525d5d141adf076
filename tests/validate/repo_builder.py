"""Building test repos from a base folder plus a JSON description of what to change.

Files too big or too odd to commit are described and made at test time:
``generate`` (text repeated to a size), ``sparse`` (a file of N bytes that takes no disk),
``symlink`` (a link, relative to the repo), ``outside`` (files beside the repo, for links to
point at), ``fifo`` (named pipes), ``folder`` (a folder where a file is expected), ``files``
(small extra files), ``append`` and ``generate_append`` (text added to a base file) and
``delete``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

# The description files of a case, not part of the repo it builds.
SPEC_FILES = ("expected.json", "case.json")


def build_repo(base: Path, case: Path, target: Path, spec: dict[str, Any]) -> None:
    """Copy ``base`` to ``target``, overlay the case folder's files, then apply ``spec``."""
    shutil.copytree(base, target)
    for source in case.iterdir():
        if source.name not in SPEC_FILES:
            shutil.copy(source, target / source.name)
    for name in spec.get("delete", []):
        (target / str(name)).unlink()
    make_special_files(target, spec)


def make_special_files(target: Path, spec: dict[str, Any]) -> None:
    """Write the generated files, links, pipes and folders a case describes."""
    for name, text in spec.get("outside", {}).items():
        (target.parent / name).write_text(text)
    for name, text in spec.get("files", {}).items():
        (target / name).write_text(text)
    for name, text in spec.get("append", {}).items():
        with (target / name).open("a") as handle:
            handle.write(text)
    for name, how in spec.get("generate", {}).items():
        _clear(target / name)
        text = how.get("prefix", "") + how["repeat"] * how["times"] + how.get("suffix", "")
        (target / name).write_text(text)
    for name, how in spec.get("generate_append", {}).items():
        with (target / name).open("a") as handle:
            handle.write(how["repeat"] * how["times"])
    for name, size in spec.get("sparse", {}).items():
        _clear(target / name)
        with (target / name).open("wb") as handle:
            handle.truncate(size)
    for name, link_to in spec.get("symlink", {}).items():
        _clear(target / name)
        (target / name).symlink_to(link_to)
    for name in spec.get("fifo", []):
        _clear(target / name)
        os.mkfifo(target / name)
    for name in spec.get("folder", []):
        _clear(target / name)
        (target / name).mkdir()


def _clear(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
