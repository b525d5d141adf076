"""A whole bench run: drive the levels, summarise each, assemble the versioned document."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infer.bench.compare import compare_documents
from infer.bench.document import build_document, warmup_summary
from infer.bench.load import LevelRun, ProgressCallback, run_plan
from infer.bench.plan import BenchPlan
from infer.bench.stats import TokenCounter, summarize_level


def run_bench(
    plan: BenchPlan,
    target: dict[str, Any],
    config: dict[str, Any],
    count_tokens: TokenCounter | None = None,
    on_progress: ProgressCallback | None = None,
    old: dict[str, Any] | None = None,
    on_level: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Run ``plan`` and return the `--json` document (with `compare` when ``old`` is given).

    ``on_level`` receives each level's summary as soon as the level is over.
    """
    levels: list[dict[str, Any]] = []

    def level_done(run: LevelRun) -> None:
        levels.append(summarize_level(run, plan.slo, count_tokens))
        if on_level is not None:
            on_level(levels[-1])

    warmup_run, _ = run_plan(plan, on_progress, level_done)
    warmup = warmup_summary(summarize_level(warmup_run, plan.slo)) if warmup_run else None
    document = build_document(target, config, warmup, levels)
    if old is not None:
        document["compare"] = compare_documents(document, old)
    return document
