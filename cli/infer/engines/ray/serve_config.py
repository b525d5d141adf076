"""The Serve config file `infer deploy --ray` writes: what it applies, in Ray's own format.

The same file works with Ray's CLI (`serve run serve-config.yaml`, which uploads the local
working_dir; `serve deploy` needs working_dir and py_modules as remote URIs instead).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import yaml

import infer
from infer.engines.ray.settings import GATEWAY, MODEL, RayServeSettings
from infer.repo.sources import RUNTIME_CONFIG_FILE, YamlDocument, parse_yaml

IMPORT_PATH = "infer.engines.ray.deployments:app_builder"
# RayServeSettings fields that describe this machine, not the deployment.
LOCAL_ONLY_FIELDS = ("repo", "address")


def builder_args(settings: RayServeSettings) -> dict[str, Any]:
    """The settings as ``args`` of the application builder (plain YAML values)."""
    return {
        field.name: getattr(settings, field.name)
        for field in dataclasses.fields(settings)
        if field.name not in LOCAL_ONLY_FIELDS
    }


def runtime_env(settings: RayServeSettings) -> dict[str, Any]:
    """Ship the repo (as working_dir) and this `infer` package (as a py_module)."""
    env: dict[str, Any] = {
        "working_dir": str(settings.repo),
        "py_modules": [str(Path(infer.__file__).parent)],
        "excludes": [".git", "__pycache__", ".venv", "*.pyc"],
    }
    packages = _python_packages(settings.repo)
    if packages:
        env["pip"] = packages
    return env


def _python_packages(repo: Path) -> list[str]:
    path = repo / RUNTIME_CONFIG_FILE
    document = parse_yaml(path) if path.is_file() else None
    if not isinstance(document, YamlDocument) or not isinstance(document.data, dict):
        return []
    build = document.data.get("build")
    packages = build.get("python_packages") if isinstance(build, dict) else None
    if not isinstance(packages, list):
        return []
    return [str(package) for package in packages if isinstance(package, str)]


def serve_config(
    settings: RayServeSettings, uploaded_env: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A Serve config (``ServeDeploySchema``) for one application, overrides included.

    ``uploaded_env`` is the runtime env once Ray uploaded it (``gcs://`` URIs); without it the
    env names local paths, which `serve run` uploads and `serve deploy` refuses.
    """
    return {
        # The gateway, which holds every stream, runs on the head: a proxy elsewhere only
        # adds a hop (and two proxies on one host would fight over the port).
        "proxy_location": "HeadOnly",
        "http_options": settings.http_options(),
        "applications": [
            {
                "name": settings.model_name,
                "route_prefix": "/",
                "import_path": IMPORT_PATH,
                "args": builder_args(settings),
                "runtime_env": uploaded_env or runtime_env(settings),
                "deployments": [
                    {"name": MODEL, **settings.model_options()},
                    {"name": GATEWAY, **settings.gateway_options()},
                ],
            }
        ],
    }


def render(settings: RayServeSettings, uploaded_env: dict[str, Any] | None = None) -> str:
    """The config as YAML, with the cluster-level settings it cannot carry as comments."""
    lines = [
        f"# Ray Serve config for {settings.model_name}, written by `infer deploy --ray`.",
        "# Cluster-level overrides a config file cannot set: start every node's Ray with",
    ]
    lines += [f"#   {name}={value}" for name, value in settings.cluster_env().items()]
    lines += [
        "# and, for HAProxy ingress (Ray's faster proxy, binds all interfaces), also",
        "#   RAY_SERVE_ENABLE_HA_PROXY=1",
    ]
    if uploaded_env is None:
        lines.append(
            "# runtime_env names local paths: `serve run` uploads them; for `serve deploy`, "
            "use remote URIs."
        )
    else:
        lines.append("# runtime_env names the packages `infer deploy` uploaded to this cluster.")
    lines.append("")
    config = serve_config(settings, uploaded_env)
    body = yaml.safe_dump(config, sort_keys=False, default_flow_style=False)
    return "\n".join(lines) + body
