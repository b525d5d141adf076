"""Which of the runtime config's system_packages are installed, asked of dpkg where there is one."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

DPKG_TIMEOUT_S = 10.0


def package_name(entry: str) -> str:
    """``libssl-dev`` from ``libssl-dev``, ``libssl-dev=3.0.2`` or ``libssl-dev:amd64``."""
    return entry.split("=", 1)[0].split(":", 1)[0].strip()


def installed_system_packages(entries: Sequence[str]) -> dict[str, str | None] | None:
    """Installed version (or None) per package name; None when dpkg-query is not available."""
    dpkg = shutil.which("dpkg-query")
    if dpkg is None or not entries:
        return None if dpkg is None else {}
    names = sorted({package_name(entry) for entry in entries})
    try:
        done = subprocess.run(
            [dpkg, "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n", *names],
            capture_output=True,
            text=True,
            timeout=DPKG_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found: dict[str, str | None] = dict.fromkeys(names)
    for line in done.stdout.splitlines():
        parts = line.split("\t")
        # "ii " is installed; "un"/"rc" are known to dpkg but not installed.
        if len(parts) == 3 and parts[0] in found and parts[2].startswith("ii"):
            found[parts[0]] = parts[1]
    return found
