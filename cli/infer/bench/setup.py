"""From the command line's options to a BenchPlan: parse the levels and the SLO, ask the server
for the model's metadata when the request needs it, build the request bodies, load the
tokenizer. Every mistake is a UsageError (or ClientError) before any load is sent."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infer.bench.plan import BenchPlan, parse_duration_ms, parse_levels, parse_slo
from infer.bench.stats import TokenCounter
from infer.errors import UsageError

MAX_DURATION_S = 24 * 3600.0


@dataclass
class BenchOptions:
    """The command line, as given."""

    url: str = "http://127.0.0.1:8000"
    model: str | None = None
    token: str | None = None
    text: str | None = None
    inputs: list[str] = field(default_factory=list)
    input_file: Path | None = None
    dataset: Path | None = None
    concurrency: str | None = None
    rate: str | None = None
    requests: int | None = None
    duration: str | None = None
    warmup: int = 0
    tokenizer: str | None = None
    field: str | None = None
    slo: str | None = None
    timeout: str = "300s"


@dataclass
class Prepared:
    """What the run needs: the plan, and what the report says about the target and the run."""

    plan: BenchPlan
    target: dict[str, Any]
    config: dict[str, Any]
    counter: TokenCounter | None


def prepare(options: BenchOptions) -> Prepared:
    """Validate ``options`` and build the plan (talks to the server only for metadata)."""
    from infer.client.plan import model_metadata
    from infer.client.request import Endpoint, build_body
    from infer.client.session import StreamSession

    levels = parse_levels(options.concurrency, options.rate)
    slo = parse_slo(options.slo)
    timeout_s = _seconds(options.timeout, "--timeout")
    duration_s = _seconds(options.duration, "--duration") if options.duration else None
    if options.dataset is not None and (options.text is not None or options.input_file):
        raise UsageError("--dataset cannot be combined with --text or --input-file")
    counter = None
    if options.tokenizer:
        from infer.bench.tokens import load_token_counter

        counter = load_token_counter(options.tokenizer)
    endpoint = Endpoint.parse(options.url, options.model)
    needs_meta = options.text is not None or options.inputs or options.dataset is not None
    meta: dict[str, Any] = {}
    session = StreamSession(options.url, token=options.token)
    try:
        if needs_meta or options.input_file is None or endpoint.model is None:
            endpoint, meta = model_metadata(session, endpoint)
    finally:
        session.close()
    if meta.get("streaming") is False:
        raise UsageError(
            f"model {endpoint.model!r} is not a streaming model (IS_STREAMING_OUTPUT is False)",
            hint="infer bench measures streamed answers",
        )
    inputs_meta = list(meta.get("inputs", []))
    if options.dataset is not None:
        from infer.bench.dataset import load_dataset

        dataset = load_dataset(options.dataset, inputs_meta)
        bodies = _with_overrides(dataset, options.inputs, inputs_meta)
    else:
        bodies = [build_body(inputs_meta, options.text, options.inputs, options.input_file)]
    headers = {"Authorization": f"Bearer {options.token}"} if options.token else {}
    plan = BenchPlan(
        infer_url=endpoint.model_url("/infer"),
        bodies=bodies,
        levels=levels,
        requests=options.requests,
        duration_s=duration_s,
        warmup=options.warmup,
        timeout_s=timeout_s,
        headers=headers,
        slo=slo,
        keep_text=counter is not None,
        text_field=options.field,
    )
    target = {"url": plan.infer_url, "model": endpoint.model, "streaming": meta.get("streaming")}
    config = {
        "mode": "rate" if options.rate is not None else "concurrency",
        "levels": [{**level.as_dict(), "label": level.label} for level in levels],
        "requests": options.requests,
        "duration_s": duration_s,
        "warmup": options.warmup,
        "timeout_s": timeout_s,
        "slo": slo.as_dict(),
        "tokenizer": options.tokenizer,
        "dataset": str(options.dataset) if options.dataset else None,
        "distinct_requests": len(bodies),
    }
    return Prepared(plan, target, config, counter)


def _with_overrides(
    bodies: list[dict[str, Any]], pairs: list[str], inputs_meta: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`--input NAME=VALUE` applied on top of every dataset line."""
    if not pairs:
        return bodies
    from infer.client.request import build_body

    extra = build_body(inputs_meta, None, pairs, None)["inputs"]
    names = {entry["name"] for entry in extra}
    return [
        {"inputs": [e for e in body["inputs"] if e["name"] not in names] + extra} for body in bodies
    ]


def _seconds(text: str, option: str) -> float:
    seconds = parse_duration_ms(text, option) / 1000
    if not 0 < seconds <= MAX_DURATION_S:
        raise UsageError(f"{option} {text!r}: must be above 0 and at most 24 hours")
    return seconds
