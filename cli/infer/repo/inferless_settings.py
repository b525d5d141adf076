"""What inferless.yaml's ``configuration.inference_time`` means, shared by the validator (which
checks it) and `infer serve` (which enforces it), so both read it the same way.
"""

from __future__ import annotations

# The platform's default when inferless.yaml sets no inference_time: seconds a request may take.
DEFAULT_INFERENCE_TIME_S = 180.0


def inference_time_seconds(value: object) -> float | None:
    """configuration.inference_time as seconds, or None when it is not a positive number."""
    if isinstance(value, bool):
        return None
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None
