"""How the worker process is started: which Python, which variables, which device.

Built once by `infer serve` and handed to the supervisor, which spawns every worker with it.
Variable values live here only to be put into the worker's environment; they never appear in
this object's repr, and their names travel to the worker so it can mask the values.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from infer.environment.redaction import SECRET_NAMES_VARIABLE

Device = Literal["auto", "cpu", "gpu"]
DEVICES: tuple[Device, ...] = ("auto", "cpu", "gpu")
# What would let the user's own Python set-up leak into an isolated worker.
PYTHON_SETUP_VARIABLES = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE")


@dataclass(frozen=True)
class WorkerEnvironment:
    """What the worker runs with, and where that came from (for explaining failures)."""

    python: str = field(default_factory=lambda: sys.executable)
    device: Device = "auto"
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    isolated_env: Path | None = None
    python_packages: tuple[str, ...] = ()

    @property
    def isolated(self) -> bool:
        """Whether the worker runs in an environment built from python_packages."""
        return self.isolated_env is not None

    def environ(self, base: Mapping[str, str]) -> dict[str, str]:
        """The worker's environment: ``base`` plus the device, the env and the variables."""
        env = dict(base)
        if self.isolated_env is not None:
            for name in PYTHON_SETUP_VARIABLES:
                env.pop(name, None)
            env["VIRTUAL_ENV"] = str(self.isolated_env)
            bin_dir = str(Path(self.python).parent)
            env["PATH"] = os.pathsep.join(filter(None, (bin_dir, env.get("PATH"))))
        if self.device == "cpu":
            env["CUDA_VISIBLE_DEVICES"] = ""  # CPU runs are honest: the model sees no GPU
        env.update(self.variables)
        env[SECRET_NAMES_VARIABLE] = ",".join(sorted(self.variables))
        return env
