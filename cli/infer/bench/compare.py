"""`--compare old.json`: the change of each headline number, level by level."""

from __future__ import annotations

from typing import Any

# (name shown, path into a level report, which direction is better)
METRICS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("TTFT p50 (ms)", ("ttft_ms", "p50"), "lower"),
    ("TTFT p99 (ms)", ("ttft_ms", "p99"), "lower"),
    ("gap p50 (ms)", ("gap_ms", "p50"), "lower"),
    ("gap p99 (ms)", ("gap_ms", "p99"), "lower"),
    ("e2e p50 (ms)", ("e2e_ms", "p50"), "lower"),
    ("e2e p99 (ms)", ("e2e_ms", "p99"), "lower"),
    ("events/s", ("events_per_s",), "higher"),
    ("tokens/s", ("tokens_per_s",), "higher"),
    ("requests ok", ("ok",), "higher"),
    ("goodput req/s", ("goodput", "requests_per_s"), "higher"),
)


def _get(level: dict[str, Any], path: tuple[str, ...]) -> float | None:
    value: Any = level
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def compare_documents(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Per level present in both runs: old, new, change and percent change of each metric."""
    old_levels = {_key(level): level for level in old["levels"]}
    rows = []
    for level in new["levels"]:
        before = old_levels.get(_key(level))
        if before is None:
            continue
        metrics = []
        for name, path, better in METRICS:
            was, now = _get(before, path), _get(level, path)
            if was is None or now is None:
                continue
            delta = now - was
            metrics.append(
                {
                    "metric": name,
                    "old": was,
                    "new": now,
                    "delta": round(delta, 3),
                    "percent": round(delta / was * 100, 1) if was else None,
                    "better": "same" if delta == 0 else _better(delta, better),
                }
            )
        rows.append({"label": level["label"], "level": level["level"], "metrics": metrics})
    return {
        "old_created_at": old.get("created_at"),
        "unmatched_levels": [
            level["label"] for level in new["levels"] if _key(level) not in old_levels
        ],
        "levels": rows,
    }


def _better(delta: float, better: str) -> str:
    improved = delta < 0 if better == "lower" else delta > 0
    return "better" if improved else "worse"


def _key(level: dict[str, Any]) -> tuple[Any, Any]:
    spec = level["level"]
    return (spec.get("concurrency"), spec.get("rate"))
