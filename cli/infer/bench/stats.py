"""Per-level statistics from the raw request results: counts by outcome and code, latency
percentiles, throughput, goodput under the SLO, the client's own CPU per event, and the
distributions the HTML report draws (latency quantiles, gap histogram)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

from infer.bench.checks import VIOLATION_KINDS
from infer.bench.load import LevelRun
from infer.bench.plan import Slo
from infer.bench.probe import RequestResult
from infer.client.stats import nearest_rank as percentile

MAX_GAP_SAMPLES = 1_000_000  # per level; beyond it a uniform sample keeps memory bounded
MAX_VIOLATION_EXAMPLES = 10
HISTOGRAM_BINS = 40
QUANTILE_STEPS = 100  # the CDF is drawn from 101 quantiles: 0 %, 1 %, …, 100 %

TokenCounter = Callable[[str], int]


def distribution(values: list[float]) -> dict[str, float | None]:
    """p50/p90/p99, mean, min and max (milliseconds, rounded to µs)."""
    ordered = sorted(values)
    mean = sum(ordered) / len(ordered) if ordered else None
    return {
        "p50": _r(percentile(ordered, 0.50)),
        "p90": _r(percentile(ordered, 0.90)),
        "p99": _r(percentile(ordered, 0.99)),
        "mean": _r(mean),
        "min": _r(ordered[0] if ordered else None),
        "max": _r(ordered[-1] if ordered else None),
    }


def quantiles(values: list[float]) -> list[float]:
    """The 0 %, 1 %, …, 100 % quantiles (empty list for no values)."""
    ordered = sorted(values)
    if not ordered:
        return []
    last = len(ordered) - 1
    return [_r(ordered[round(step * last / QUANTILE_STEPS)]) or 0.0 for step in range(101)]


def histogram(values: list[float]) -> dict[str, list[float] | list[int]]:
    """Counts in equal bins from 0 to the 99th percentile; the last bin holds the tail."""
    ordered = sorted(values)
    top = percentile(ordered, 0.99) or 0.0
    if not ordered or top <= 0:
        return {"edges_ms": [], "counts": []}
    width = top / (HISTOGRAM_BINS - 1)
    counts = [0] * HISTOGRAM_BINS
    for value in ordered:
        counts[min(HISTOGRAM_BINS - 1, int(value / width))] += 1
    return {
        "edges_ms": [_r(i * width) or 0.0 for i in range(HISTOGRAM_BINS + 1)],
        "counts": counts,
    }


def summarize_level(
    run: LevelRun, slo: Slo, count_tokens: TokenCounter | None = None
) -> dict[str, Any]:
    """One level's report (the `levels[]` entry of the JSON schema)."""
    ok = [r for r in run.results if r.outcome == "ok"]
    errors = Counter(r.code for r in run.results if r.outcome == "error")
    timeouts = Counter(r.code for r in run.results if r.outcome == "timed_out")
    events = sum(r.events for r in ok)
    tokens = sum(count_tokens("".join(r.text)) for r in ok) if count_tokens else None
    wall = run.wall_s
    ttfts = [r.ttft_ms for r in ok if r.ttft_ms is not None]
    itls = [r.itl_ms for r in ok if r.itl_ms is not None]
    all_events = sum(r.events for r in run.results)
    return {
        "level": run.level.as_dict(),
        "label": run.level.label,
        "requests": len(run.results),
        "ok": len(ok),
        "errors": dict(sorted(errors.items())),
        "timed_out": dict(sorted(timeouts.items())),
        "duration_s": _r(wall),
        "requests_per_s": _rate(len(ok), wall),
        "events": events,
        "events_per_s": _rate(events, wall),
        "tokens": tokens,
        "tokens_per_s": _rate(tokens, wall) if tokens is not None else None,
        "ttft_ms": distribution(ttfts),
        "gap_ms": distribution(_gap_sample(ok)),
        "itl_ms": distribution(itls),
        "e2e_ms": distribution([r.e2e_ms for r in ok]),
        "goodput": _goodput(ok, slo, wall),
        "violations": _violations(run.results),
        "client": {
            "cpu_s": _r(run.cpu_s),
            "cpu_us_per_event": _r(run.cpu_s * 1e6 / all_events) if all_events else None,
            "cpu_fraction": _r(run.cpu_s / wall) if wall > 0 else None,
        },
        "ttft_quantiles_ms": quantiles(ttfts),
        "e2e_quantiles_ms": quantiles([r.e2e_ms for r in ok]),
        "gap_histogram": histogram(_gap_sample(ok)),
    }


def _gap_sample(results: list[RequestResult]) -> list[float]:
    gaps = [gap for r in results for gap in r.gaps_ms]
    if len(gaps) > MAX_GAP_SAMPLES:
        gaps = random.Random(0).sample(gaps, MAX_GAP_SAMPLES)
    return gaps


def _goodput(ok: list[RequestResult], slo: Slo, wall: float) -> dict[str, Any] | None:
    if slo.empty:
        return None
    good = sum(slo.met(r.ttft_ms, r.itl_ms, r.e2e_ms) for r in ok)
    return {
        "requests": good,
        "requests_per_s": _rate(good, wall),
        "fraction": _r(good / len(ok)) if ok else None,
    }


def _violations(results: list[RequestResult]) -> dict[str, Any]:
    by_kind: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    streams = 0
    for index, result in enumerate(results):
        if result.checker.violations:
            streams += 1
        for kind, detail in result.checker.violations:
            by_kind[kind] += 1
            if len(examples) < MAX_VIOLATION_EXAMPLES:
                examples.append({"request": index, "kind": kind, "detail": detail})
    return {
        "total": sum(by_kind.values()),
        "streams": streams,
        "by_kind": {kind: by_kind[kind] for kind in VIOLATION_KINDS if by_kind[kind]},
        "examples": examples,
    }


def _rate(count: int | float | None, seconds: float) -> float | None:
    return None if count is None or seconds <= 0 else round(count / seconds, 3)


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
