"""`infer serve --engine ray`: the options that only Ray Serve uses, checked, then the core."""

from __future__ import annotations

import sys

from infer.errors import UsageError
from infer.runtime.server.config import ServeConfig

ENGINES = ("local", "ray")


def serve_ray(
    engine: str,
    config: ServeConfig,
    address: str | None,
    counts: tuple[int | None, int | None, int | None],
) -> int:
    """Serve ``config``'s repo on Ray Serve; returns the exit code."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}", hint="--engine local or --engine ray")
    if config.reload:
        raise UsageError(
            "--reload works with the local engine only",
            hint="drop --reload; Ray Serve redeploys with `infer deploy --ray`",
        )
    from infer.engines.ray.availability import require_ray
    from infer.engines.ray.settings import RayServeSettings, replica_counts

    replicas, min_replicas, max_replicas = replica_counts(*counts)
    require_ray()
    from infer.engines.ray.local import serve_on_ray

    settings = RayServeSettings(
        repo=config.repo,
        model_name=config.model_name,
        inference_time_s=config.inference_time_s,
        host=config.host,
        port=config.port,
        address=address,
        replicas=replicas,
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        concurrency=config.concurrency,
        queue_size=config.queue_size,
        gpu=config.gpu,
        heartbeat_s=config.heartbeat_s,
        resume_grace_s=config.resume_grace_s,
        replay_capacity=config.replay_capacity,
        log_level=config.log_level,
    )
    return serve_on_ray(settings, announce=lambda line: print(line, file=sys.stderr, flush=True))
