"""The Ray Serve application: a gateway deployment in front of the model deployment.

Imports Ray; import it only after ``availability.require_ray()``.
"""

from __future__ import annotations

from typing import Any

from ray import serve

from infer.engines.ray.gateway import Gateway
from infer.engines.ray.replica import ModelReplica
from infer.engines.ray.settings import GATEWAY, MODEL, RayServeSettings

ModelDeployment = serve.deployment(name=MODEL)(ModelReplica)
GatewayDeployment = serve.deployment(name=GATEWAY)(serve.ingress()(Gateway))


def build_application(settings: RayServeSettings, repo_on_cluster: str | None = None) -> Any:
    """The bound application for ``settings``; ``repo_on_cluster`` "" means the working_dir."""
    repo = str(settings.repo) if repo_on_cluster is None else repo_on_cluster
    model = ModelDeployment.options(**settings.model_options()).bind(
        repo, settings.gpu, settings.log_level
    )
    gateway = GatewayDeployment.options(**settings.gateway_options())
    return gateway.bind(model, settings.gateway_config())


def app_builder(args: dict[str, Any]) -> Any:
    """Entry for a Serve config file (``import_path: infer.engines.ray.deployments:app_builder``).

    ``args`` are RayServeSettings fields; the repo is the runtime env's working_dir.
    """
    from pathlib import Path

    fields = dict(args)
    fields["repo"] = Path(str(fields.get("repo", ".")))
    return build_application(RayServeSettings(**fields), repo_on_cluster="")
