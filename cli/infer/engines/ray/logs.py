"""The runtime's own log lines (`stream … done`, `infer() raised`) inside Ray replicas.

Ray Serve configures its own loggers only; without a handler, the `infer` logger's lines would
be lost. Ray collects each replica's stderr into that replica's log file (and shows it on the
driver), so a stderr handler gives logs per replica.
"""

from __future__ import annotations

import logging
import sys


def show_infer_logs(level: str) -> None:
    """Send the `infer` logger's records to stderr at ``level`` (once per process)."""
    logger = logging.getLogger("infer")
    logger.setLevel(level.upper())
    if not any(getattr(handler, "_infer_ray", False) for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)-7s %(name)-12s %(message)s"))
        handler._infer_ray = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.propagate = False
