"""What `infer stream` tells the user at the end: time to first token, rates, gaps, ending."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from infer.client.session import Event, Outcome


def nearest_rank(ordered: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile of an already sorted sequence, None when empty."""
    if not ordered:
        return None
    # ceil(q * n): the smallest value with at least q of the values at or below it.
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered) - 1e-9) - 1))
    return ordered[rank]


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of unsorted values, None for no values."""
    return nearest_rank(sorted(values), fraction)


@dataclass
class StreamStats:
    """Timings of one stream as the client saw them."""

    started: float = field(default_factory=time.perf_counter)
    first_at: float | None = None
    last_at: float | None = None
    events: int = 0
    gaps_ms: list[float] = field(default_factory=list)
    tokens: int | None = None

    def record(self, event: Event) -> None:
        """Count one model event."""
        if self.first_at is None:
            self.first_at = event.at
        elif self.last_at is not None:
            self.gaps_ms.append((event.at - self.last_at) * 1000)
        self.last_at = event.at
        self.events += 1

    def summary(self, outcome: Outcome, ended_at: float | None = None) -> dict[str, Any]:
        """The numbers, as a plain dict (the --json summary and the text summary's source)."""
        end = ended_at or time.perf_counter()
        ttft = (self.first_at - self.started) * 1000 if self.first_at else None
        span = (self.last_at - self.first_at) if self.first_at and self.last_at else 0.0
        # Rates over the streaming span, so the wait for the first token does not dilute them.
        events_per_s = (self.events - 1) / span if span > 0 and self.events > 1 else None
        tokens_per_s = (self.tokens - 1) / span if self.tokens and span > 0 else None
        return {
            "ending": outcome.ending,
            "events": self.events,
            "ttft_ms": _round(ttft),
            "events_per_s": _round(events_per_s),
            "tokens": self.tokens,
            "tokens_per_s": _round(tokens_per_s),
            "gap_p50_ms": _round(percentile(self.gaps_ms, 0.5)),
            "gap_p95_ms": _round(percentile(self.gaps_ms, 0.95)),
            "total_ms": _round((end - self.started) * 1000),
            "reconnects": outcome.reconnects,
            "stream_id": outcome.stream_id,
            "terminal": outcome.terminal or None,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
