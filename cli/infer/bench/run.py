"""A whole bench run: drive the levels, summarise each, assemble the versioned document."""

from __future__ import annotations

from typing import Any

from infer.bench.compare import compare_documents
from infer.bench.document import build_document, warmup_summary
from infer.bench.load import ProgressCallback, run_plan
from infer.bench.plan import BenchPlan
from infer.bench.stats import TokenCounter, summarize_level


def run_bench(
    plan: BenchPlan,
    target: dict[str, Any],
    config: dict[str, Any],
    count_tokens: TokenCounter | None = None,
    on_progress: ProgressCallback | None = None,
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run ``plan`` and return the `--json` document (with `compare` when ``old`` is given)."""
    warmup_run, runs = run_plan(plan, on_progress)
    levels = [summarize_level(run, plan.slo, count_tokens) for run in runs]
    warmup = warmup_summary(summarize_level(warmup_run, plan.slo)) if warmup_run else None
    document = build_document(target, config, warmup, levels)
    if old is not None:
        document["compare"] = compare_documents(document, old)
    return document
