"""Which device the model got: the worker's answer for the ready line.

Standard library only (torch is consulted only if the model already imported it): this module
runs inside isolated environments.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

NVIDIA_GPUS = Path("/proc/driver/nvidia/gpus")


def gpus_on_machine() -> int:
    """How many NVIDIA GPUs the driver knows of (0 without a driver); never imports torch."""
    try:
        return sum(1 for _ in NVIDIA_GPUS.iterdir())
    except OSError:
        return 0


def model_device() -> str:
    """``gpu (NAME)``, ``gpu`` or ``cpu``, with why when a visible GPU went unused."""
    torch = sys.modules.get("torch")
    if torch is not None:
        return _torch_device(torch)
    if os.environ.get("CUDA_VISIBLE_DEVICES") == "" or not gpus_on_machine():
        return "cpu"
    return "gpu"


def _torch_device(torch: object) -> str:
    cuda = getattr(torch, "cuda", None)
    try:
        if cuda is not None and cuda.is_initialized():
            return f"gpu ({cuda.get_device_name(cuda.current_device())})"
        if cuda is not None and cuda.is_available():
            return "cpu (a GPU is visible, but the model did not use it)"
    except Exception:  # a broken CUDA set-up must not stop the model from serving
        return "cpu"
    return "cpu"
