"""The `--json` document: one stable, versioned shape that `--compare` reads back.

Schema `infer.bench/1` (documented field by field in the README). A change that renames or
removes a field, or changes its meaning, bumps SCHEMA_VERSION; adding a field does not.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from infer import __version__
from infer.errors import UsageError

SCHEMA = "infer.bench"
SCHEMA_VERSION = 1
MAX_REPORT_BYTES = 64 * 1024 * 1024

# The keys every level carries; tests pin them so the schema cannot drift unnoticed.
LEVEL_KEYS = (
    "level",
    "label",
    "requests",
    "ok",
    "errors",
    "timed_out",
    "duration_s",
    "requests_per_s",
    "events",
    "events_per_s",
    "tokens",
    "tokens_per_s",
    "ttft_ms",
    "gap_ms",
    "itl_ms",
    "e2e_ms",
    "goodput",
    "violations",
    "client",
    "ttft_quantiles_ms",
    "e2e_quantiles_ms",
    "gap_histogram",
)


def build_document(
    target: dict[str, Any],
    config: dict[str, Any],
    warmup: dict[str, Any] | None,
    levels: list[dict[str, Any]],
) -> dict[str, Any]:
    """The whole run as one JSON-ready dict."""
    violations = sum(level["violations"]["total"] for level in levels)
    if warmup is not None:
        violations += warmup["violations"]
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "infer_version": __version__,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "target": target,
        "config": config,
        "warmup": warmup,
        "levels": levels,
        "violations": violations,
        "passed": violations == 0,
    }


def warmup_summary(level: dict[str, Any]) -> dict[str, Any]:
    """What the report keeps of the warm-up: counts only (its timings are not measured)."""
    return {
        "requests": level["requests"],
        "ok": level["ok"],
        "violations": level["violations"]["total"],
    }


def load_document(path: Path) -> dict[str, Any]:
    """Read a previous `--json` file for `--compare`, with a clear error when it is not one."""
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            raise UsageError(f"--compare {path}: {size} bytes is too large for a bench report")
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise UsageError(f"cannot read --compare {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UsageError(f"--compare {path} is not JSON ({error})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(
            f"--compare {path} is not an `infer bench --json` report",
            hint="write one with: infer bench ... --json > old.json",
        )
    if data.get("schema_version") != SCHEMA_VERSION:
        raise UsageError(
            f"--compare {path} has schema version {data.get('schema_version')!r}; "
            f"this infer reads version {SCHEMA_VERSION}",
            hint="re-run the old benchmark with this version of infer",
        )
    levels = data.get("levels")
    if not isinstance(levels, list) or not all(
        isinstance(level, dict) and isinstance(level.get("level"), dict) for level in levels
    ):
        raise UsageError(f"--compare {path}: `levels` is not a list of level reports")
    return data
