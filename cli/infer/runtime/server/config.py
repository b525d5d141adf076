"""The runtime's configuration: one object, built once by `infer serve`, passed down.

Runs in the server process.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from infer.environment.launch import WorkerEnvironment
from infer.repo.inferless_settings import DEFAULT_INFERENCE_TIME_S

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True)
class ServeConfig:
    """Everything the server and its worker need to know."""

    repo: Path
    model_name: str
    host: str = "127.0.0.1"
    port: int = 8000
    gpu: bool = False
    reload: bool = False
    concurrency: int = 1
    queue_size: int = 16
    inference_time_s: float = DEFAULT_INFERENCE_TIME_S  # inferless.yaml's overrides it
    heartbeat_s: float = 15.0
    retry_ms: int = 3000
    # A disconnected stream keeps generating this long, so a client can resume it.
    resume_grace_s: float = 5.0  # the CLI's and README's default too
    keep_finished_s: float = 300.0
    replay_capacity: int = 4096
    max_body_bytes: int = 16 * 1024 * 1024
    # How long a cancelled request may keep running before the worker is restarted.
    cancel_grace_s: float = 5.0
    log_level: str = "info"
    # From the first signal to exit, finalize() included; a second Ctrl-C exits at once.
    shutdown_grace_s: float = 10.0
    # Connection limits (see runtime/connections.py and the README's reliability section).
    max_connections: int = 1024
    keep_alive_timeout_s: float = 5.0
    header_timeout_s: float = 10.0
    body_timeout_s: float = 30.0
    max_header_bytes: int = 64 * 1024
    max_json_depth: int = 64
    max_inputs: int = 256
    # A Hugging Face tokenizer folder: the OpenAI routes count `usage` with it.
    tokenizer: Path | None = None
    # Which Python, variables and device the worker runs with (see infer.environment).
    worker: WorkerEnvironment = field(default_factory=WorkerEnvironment)
    # Browsers (see browser_security.py): extra Host names, and origins allowed by CORS.
    allow_hosts: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()

    @property
    def is_loopback(self) -> bool:
        """Whether only this machine can reach the server."""
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")
