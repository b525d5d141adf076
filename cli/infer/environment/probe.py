"""What a Python interpreter has installed: run inside the worker's Python, prints JSON.

Run by path (``python probe.py [--modules]``) so it needs nothing importable; standard library
only. torch's CUDA build is read from its version.py, never by importing torch (seconds).
"""

from __future__ import annotations

import json
import platform
import re
import sys
import sysconfig
from importlib import metadata
from typing import Any

TORCH_CUDA = re.compile(r"^cuda\b[^=\n]*=\s*(?:['\"]([^'\"]+)['\"]|None)", re.MULTILINE)


def canonical(name: str) -> str:
    """A distribution name as PEP 503 compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def describe_interpreter(with_modules: bool = False) -> dict[str, Any]:
    """The interpreter, its distributions, torch's CUDA build, optionally module owners."""
    distributions: dict[str, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            distributions.setdefault(canonical(name), dist.version)
    facts: dict[str, Any] = {
        "executable": sys.executable,
        "version": platform.python_version(),
        "implementation": sys.implementation.name,
        "platform": sysconfig.get_platform(),
        "purelib": sysconfig.get_paths()["purelib"],
        "distributions": distributions,
        "torch_cuda": _torch_cuda() if "torch" in distributions else None,
    }
    if with_modules:
        facts["modules"] = {
            module: sorted({canonical(name) for name in names})
            for module, names in metadata.packages_distributions().items()
        }
    return facts


def _torch_cuda() -> str:
    """torch's CUDA version, ``cpu`` for a CPU build, ``unknown`` when it cannot be read."""
    try:
        text = metadata.distribution("torch").locate_file("torch/version.py").read_text()
    except (OSError, metadata.PackageNotFoundError):
        return "unknown"
    match = TORCH_CUDA.search(str(text))
    if match is None:
        return "unknown"
    return match.group(1) or "cpu"


if __name__ == "__main__":
    json.dump(describe_interpreter("--modules" in sys.argv), sys.stdout)
