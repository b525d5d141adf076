"""What the server knows of its worker: its phase, why it failed to load, its inputs.

Runs in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from infer.protocol.error_codes import ErrorCode, known_code
from infer.repo.datatypes import InputSpec


class Phase(str, Enum):
    """Where the worker is in its life."""

    STARTING = "starting"
    LOADING = "loading"  # importing app.py and running initialize()
    READY = "ready"
    FAILED = "failed"  # could not load; ``WorkerState.failure`` says why
    STOPPED = "stopped"


@dataclass(frozen=True)
class LoadFailure:
    """Why the model could not load, as the worker (or its watcher) reported it."""

    code: ErrorCode  # import_failed, initialize_failed, no_gpu, worker_crashed
    message: str
    fatal: bool = False  # the server exits rather than wait for a fix
    traceback: str = ""

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> LoadFailure:
        """An INIT_FAILED frame's ``{"code", "message", "fatal", "traceback"}``."""
        return cls(
            known_code(data.get("code")) or ErrorCode.MODEL_FAILED,
            str(data.get("message")),
            bool(data.get("fatal")),
            str(data.get("traceback") or ""),
        )


@dataclass
class WorkerState:
    """What the server knows of its worker right now."""

    phase: Phase = Phase.STARTING
    failure: LoadFailure | None = None
    streaming: bool = False
    inputs: list[InputSpec] = field(default_factory=list)
    device: str = ""  # what the model got, as the worker says once it is ready
