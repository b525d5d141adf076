"""Whether the optional `ray` extra is installed, and what to tell the user when it is not."""

from __future__ import annotations

import importlib.util

from infer.errors import InferError

INSTALL_HINT = "pip install 'infer-cli[ray]'  (Ray Serve 2.60; about 80 MB)"
SUPPORTED_RAY = "2.60"


class RayNotInstalledError(InferError):
    """The command needs Ray Serve and the `ray` extra is not installed (exit code 2)."""

    exit_code = 2


def require_ray() -> None:
    """Raise RayNotInstalledError unless ``ray[serve]`` can be imported; imports nothing."""
    try:
        found = importlib.util.find_spec("ray") is not None
        found = found and importlib.util.find_spec("ray.serve") is not None
        # Serve's HTTP stack comes with the [serve] extra; plain `pip install ray` lacks it.
        found = found and importlib.util.find_spec("fastapi") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise RayNotInstalledError(
            "--engine ray needs Ray Serve, which is not installed in this environment",
            hint=f"install the optional extra: {INSTALL_HINT}",
        )
