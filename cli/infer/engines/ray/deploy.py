"""`infer deploy --ray`: write the Serve config for a cluster, then apply it there.

The application outlives this command: Serve's controller keeps it running until it is
deleted (`serve shutdown`, or a new deploy under the same name replaces it).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infer.engines.ray.availability import require_ray
from infer.engines.ray.local import RayServeError, deploy_application, wait_ready
from infer.engines.ray.serve_config import render, runtime_env, serve_config
from infer.engines.ray.settings import RayServeSettings


def write_config(
    settings: RayServeSettings, path: Path, uploaded_env: dict[str, Any] | None = None
) -> Path:
    """Write the Serve config YAML for ``settings`` to ``path``."""
    path.write_text(render(settings, uploaded_env), encoding="utf-8")
    return path


def deploy_to_cluster(
    settings: RayServeSettings, announce: Callable[[str], None], config_path: Path | None = None
) -> str:
    """Apply the config to the cluster at ``settings.address``; returns the app's URL.

    With ``config_path``, the config is written again with the uploaded packages' URIs in
    place of local paths, so `serve deploy` on that cluster accepts it as it is.
    """
    require_ray()
    import ray
    from ray import serve

    config = serve_config(settings)
    try:
        # The driver uploads the repo and `infer` once; Serve's replicas inherit them.
        ray.init(
            address=settings.address or "auto",
            runtime_env=runtime_env(settings),
            logging_level=logging.WARNING,
            namespace="infer",
        )
    except Exception as error:
        raise RayServeError(
            f"cannot connect to the Ray cluster at {settings.address or 'auto'}: {error}",
            hint="pass --address HOST:PORT of the head node's GCS (as `ray start` printed)",
        ) from None
    try:
        if config_path is not None:
            uploaded = dict(ray.get_runtime_context().runtime_env)
            write_config(settings, config_path, uploaded)
        serve.start(proxy_location=config["proxy_location"], http_options=config["http_options"])
        deploy_application(serve, settings, repo_on_cluster="")
        url = f"http://{settings.host}:{settings.port}"
        announce(f"infer deploy: {settings.model_name} deployed; waiting for it at {url}")
        if not wait_ready(url, None):
            raise RayServeError(
                f"{settings.model_name} was deployed but {url}/v2/health/ready never answered",
                hint="the cluster's Serve may listen elsewhere: see `serve status` on the head",
            )
        return url
    finally:
        with contextlib.suppress(Exception):
            ray.shutdown()
