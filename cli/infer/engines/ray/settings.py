"""What `infer serve --engine ray` and `infer deploy --ray` ask of Ray Serve, as plain data.

Ray Serve's defaults suit short request/response calls, not event streams. Every override
lives here, with the reason, so the local run, the written config and the tests agree:

- ``max_ongoing_requests`` is 5 per replica by default: a sixth stream waits in the router
  (32 streams waited 2.5 s median for their first event). It becomes ``--concurrency``, the
  number of streams a replica's model really runs at once.
- Replicas stop after a 20 s shutdown grace by default, cutting longer streams when Ray scales
  down or redeploys. The grace becomes the repo's ``inference_time`` plus a margin.
- The proxy's request timeout must outlast a stream, so it too follows ``inference_time``.
- Proxies prefer replicas on their own node (on two nodes, all 16 streams went to the head).
  The gateway calls the model through a handle without that preference, and the local cluster
  turns the proxy's preference off.
- Ray starts workers at niceness 15, behind everything else on the machine; the local cluster
  starts them at 0.
- With HAProxy ingress, reloads stop old HAProxy processes after 120 s, cutting longer
  streams; the hard-stop time follows ``inference_time`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infer.errors import UsageError
from infer.runtime.server.config import ServeConfig

# Seconds beyond inference_time that a draining replica or the proxy gives a stream.
GRACE_MARGIN_S = 10.0
GATEWAY = "Gateway"
MODEL = "Model"
# The gateway's own requests beyond streams: health, metadata, resumes.
GATEWAY_SPARE_REQUESTS = 64


@dataclass(frozen=True)
class RayServeSettings:
    """One model repo on Ray Serve: how many replicas, how busy each may be, where to listen."""

    repo: Path
    model_name: str
    inference_time_s: float = ServeConfig.inference_time_s
    host: str = ServeConfig.host
    port: int = ServeConfig.port
    address: str | None = None
    replicas: int = 1
    min_replicas: int | None = None
    max_replicas: int | None = None
    concurrency: int = ServeConfig.concurrency
    queue_size: int = ServeConfig.queue_size
    gpu: bool = ServeConfig.gpu
    cpus_per_replica: float = 1.0
    max_replicas_per_node: int | None = None
    heartbeat_s: float = ServeConfig.heartbeat_s
    resume_grace_s: float = ServeConfig.resume_grace_s
    replay_capacity: int = ServeConfig.replay_capacity
    log_level: str = ServeConfig.log_level

    @property
    def autoscaling(self) -> bool:
        """Whether Ray picks the replica count between min and max."""
        return self.min_replicas is not None

    @property
    def most_replicas(self) -> int:
        """The largest number of model replicas this deployment may run."""
        return self.max_replicas or self.replicas if self.autoscaling else self.replicas

    @property
    def shutdown_grace_s(self) -> float:
        """How long a stopping replica lets its streams finish."""
        return self.inference_time_s + GRACE_MARGIN_S

    def model_options(self) -> dict[str, Any]:
        """Ray Serve deployment options for the model replicas."""
        options: dict[str, Any] = {
            "max_ongoing_requests": self.concurrency,
            "graceful_shutdown_timeout_s": self.shutdown_grace_s,
            "graceful_shutdown_wait_loop_s": 1.0,
            "ray_actor_options": {
                "num_cpus": self.cpus_per_replica,
                "num_gpus": 1 if self.gpu else 0,
            },
        }
        if self.max_replicas_per_node is not None:
            options["max_replicas_per_node"] = self.max_replicas_per_node
        if self.autoscaling:
            options["autoscaling_config"] = {
                "min_replicas": self.min_replicas,
                "initial_replicas": self.min_replicas,
                "max_replicas": self.max_replicas,
                # A replica is "full" at --concurrency streams: scale before streams queue.
                "target_ongoing_requests": max(0.8 * self.concurrency, 0.5),
                "upscale_delay_s": 3.0,
                "downscale_delay_s": 60.0,
            }
        else:
            options["num_replicas"] = self.replicas
        return options

    def gateway_options(self) -> dict[str, Any]:
        """Ray Serve deployment options for the gateway (HTTP, SSE framing, stream buffers).

        One replica on the head node: it holds every stream's replay buffer, so a resume with
        Last-Event-ID always reaches the stream it names.
        """
        return {
            "num_replicas": 1,
            "max_ongoing_requests": self.gateway_config().concurrency
            + self.queue_size
            + GATEWAY_SPARE_REQUESTS,
            "graceful_shutdown_timeout_s": self.shutdown_grace_s,
            "graceful_shutdown_wait_loop_s": 1.0,
            "ray_actor_options": {
                "num_cpus": 0,
                "resources": {"node:__internal_head__": 0.001},
            },
        }

    def http_options(self) -> dict[str, Any]:
        """Options for Serve's HTTP proxy."""
        return {
            "host": self.host,
            "port": self.port,
            "request_timeout_s": self.shutdown_grace_s,
            "keep_alive_timeout_s": 75,
        }

    def cluster_env(self) -> dict[str, str]:
        """Environment for the Ray processes of a cluster that serves streams."""
        return {
            "RAY_worker_niceness": "0",
            "RAY_SERVE_PROXY_PREFER_LOCAL_NODE_ROUTING": "0",
            "RAY_SERVE_PROXY_PREFER_LOCAL_AZ_ROUTING": "0",
            "RAY_SERVE_HAPROXY_HARD_STOP_AFTER_S": str(int(self.shutdown_grace_s) + 1),
        }

    def gateway_config(self) -> ServeConfig:
        """The local runtime's configuration, as the gateway runs it in front of the replicas."""
        return ServeConfig(
            repo=self.repo,
            model_name=self.model_name,
            host=self.host,
            port=self.port,
            gpu=self.gpu,
            concurrency=self.concurrency * self.most_replicas,
            queue_size=self.queue_size,
            inference_time_s=self.inference_time_s,
            heartbeat_s=self.heartbeat_s,
            resume_grace_s=self.resume_grace_s,
            replay_capacity=self.replay_capacity,
            log_level=self.log_level,
        )


def replica_counts(
    replicas: int | None, min_replicas: int | None, max_replicas: int | None
) -> tuple[int, int | None, int | None]:
    """Check --replicas against --min-replicas/--max-replicas; (replicas, min, max)."""
    if replicas is not None and (min_replicas is not None or max_replicas is not None):
        raise UsageError(
            "--replicas fixes the replica count; --min-replicas/--max-replicas autoscale",
            hint="pass either --replicas N or --min-replicas A --max-replicas B, not both",
        )
    if (min_replicas is None) != (max_replicas is None):
        raise UsageError(
            "autoscaling needs both --min-replicas and --max-replicas",
            hint="for example --min-replicas 1 --max-replicas 4",
        )
    if min_replicas is not None and max_replicas is not None and min_replicas > max_replicas:
        raise UsageError(
            f"--min-replicas {min_replicas} is more than --max-replicas {max_replicas}",
            hint="the minimum must not exceed the maximum",
        )
    return replicas or 1, min_replicas, max_replicas
