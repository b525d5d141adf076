"""What a bench run will do: the levels to drive, how long each lasts, the SLO, the timeouts."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from infer.errors import UsageError

MAX_CONCURRENCY = 4096
MAX_RATE = 10000.0
MAX_REQUESTS = 1_000_000
SLO_KEYS = {"ttft": "ttft_ms", "itl": "itl_ms", "e2e": "e2e_ms"}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$")


@dataclass(frozen=True)
class Level:
    """One load level: a fixed number of streams in flight, or a request rate (per second)."""

    concurrency: int | None = None
    rate: float | None = None

    @property
    def label(self) -> str:
        """How tables and charts name this level."""
        return f"c={self.concurrency}" if self.concurrency is not None else f"{self.rate:g}/s"

    @property
    def x(self) -> float:
        """The level's position on a chart's x axis."""
        return float(self.concurrency if self.concurrency is not None else self.rate or 0.0)

    def default_requests(self) -> int:
        """Requests per level when neither --requests nor --duration is given."""
        if self.concurrency is not None:
            return max(20, 4 * self.concurrency)
        return max(20, math.ceil((self.rate or 1.0) * 10))

    def as_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"concurrency": self.concurrency, "rate": self.rate}


@dataclass(frozen=True)
class Slo:
    """Per-request service-level objective; a request that meets all given bounds is 'good'."""

    ttft_ms: float | None = None
    itl_ms: float | None = None
    e2e_ms: float | None = None

    @property
    def empty(self) -> bool:
        """No bound given."""
        return self.ttft_ms is None and self.itl_ms is None and self.e2e_ms is None

    def met(self, ttft_ms: float | None, itl_ms: float | None, e2e_ms: float) -> bool:
        """Whether one successful request meets every bound (ITL: its mean inter-event gap)."""
        if self.ttft_ms is not None and (ttft_ms is None or ttft_ms > self.ttft_ms):
            return False
        if self.itl_ms is not None and itl_ms is not None and itl_ms > self.itl_ms:
            return False
        return self.e2e_ms is None or e2e_ms <= self.e2e_ms

    def as_dict(self) -> dict[str, float | None]:
        """JSON form."""
        return {"ttft_ms": self.ttft_ms, "itl_ms": self.itl_ms, "e2e_ms": self.e2e_ms}


@dataclass(frozen=True)
class BenchPlan:
    """Everything the load generator needs, built once by the command."""

    infer_url: str
    bodies: list[dict[str, Any]]
    levels: list[Level]
    requests: int | None = None
    duration_s: float | None = None
    warmup: int = 0
    timeout_s: float = 300.0
    connect_timeout_s: float = 10.0
    headers: dict[str, str] = field(default_factory=dict)
    slo: Slo = field(default_factory=Slo)
    keep_text: bool = False
    text_field: str | None = None

    def requests_for(self, level: Level) -> int | None:
        """How many requests this level sends (None: until the duration is up)."""
        if self.duration_s is not None:
            return self.requests
        return self.requests if self.requests is not None else level.default_requests()


def parse_levels(concurrency: str | None, rate: str | None) -> list[Level]:
    """`--concurrency 1,4,16` or `--rate 2,5` as levels (the default: concurrency 1,4,16)."""
    if concurrency is not None and rate is not None:
        raise UsageError(
            "--concurrency and --rate cannot be combined",
            hint="drive a closed loop (--concurrency) or an open one (--rate), one per run",
        )
    if rate is not None:
        return [Level(rate=value) for value in _numbers("--rate", rate, float, MAX_RATE)]
    values = _numbers("--concurrency", concurrency or "1,4,16", int, MAX_CONCURRENCY)
    return [Level(concurrency=int(value)) for value in values]


def _numbers(option: str, text: str, kind: type, limit: float) -> list[Any]:
    values: list[Any] = []
    for piece in text.split(","):
        try:
            value = kind(piece.strip())
        except ValueError:
            raise UsageError(
                f"{option} {text!r}: {piece.strip()!r} is not a number",
                hint=f"e.g. {option} 1,4,16",
            ) from None
        if not 0 < value <= limit:
            raise UsageError(f"{option} {text!r}: each value must be above 0 and at most {limit:g}")
        values.append(value)
    if len(values) != len(set(values)):
        raise UsageError(f"{option} {text!r} repeats a value")
    return values


def parse_duration_ms(text: str, what: str) -> float:
    """`500ms`, `0.5s`, `2m` or a bare number of milliseconds, in milliseconds."""
    match = _DURATION.match(text)
    if not match:
        raise UsageError(f"{what}: {text!r} is not a duration", hint="e.g. 500ms, 1.5s or 2m")
    scale = {"ms": 1.0, "s": 1000.0, "m": 60000.0, None: 1.0}[match.group(2)]
    return float(match.group(1)) * scale


def parse_slo(text: str | None) -> Slo:
    """`ttft=500ms,itl=50ms,e2e=10s` as an Slo."""
    if not text:
        return Slo()
    bounds: dict[str, float] = {}
    for part in text.split(","):
        key, separator, value = part.partition("=")
        key = key.strip().lower()
        if not separator or key not in SLO_KEYS:
            raise UsageError(
                f"--slo {text!r}: {part.strip()!r} is not KEY=DURATION with KEY one of "
                + ", ".join(SLO_KEYS),
                hint="e.g. --slo ttft=500ms,itl=50ms",
            )
        bounds[SLO_KEYS[key]] = parse_duration_ms(value, f"--slo {key}")
    return Slo(**bounds)
