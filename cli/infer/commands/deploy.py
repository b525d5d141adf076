"""`infer deploy --ray`: the model repo on an existing Ray cluster, with a Serve config to keep."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from infer.commands._edge import stderr, user_errors
from infer.errors import UsageError
from infer.runtime.server.config import ServeConfig  # its defaults are the CLI's


def deploy(
    path: Annotated[Path, typer.Argument(help="The model repo to deploy.")] = Path("."),
    ray: Annotated[
        bool, typer.Option("--ray", help="Deploy on Ray Serve (pip install 'infer-cli\\[ray]').")
    ] = False,
    address: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(help="The cluster's head, HOST:PORT (default: auto)."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Interface Serve's HTTP proxy binds.")
    ] = ServeConfig.host,
    port: Annotated[int, typer.Option(min=1, help="Serve's HTTP port.")] = ServeConfig.port,
    replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="A fixed replica count."),
    ] = None,
    min_replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="Autoscale from."),
    ] = None,
    max_replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="Autoscale to."),
    ] = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Streams one replica runs.")
    ] = ServeConfig.concurrency,
    replicas_per_node: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="At most this many replicas on one node."),
    ] = None,
    gpu: Annotated[bool, typer.Option("--gpu", help="One GPU per replica.")] = False,
    config: Annotated[
        Optional[Path],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(help="Where to write the Serve config (default ./serve-NAME.yaml)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Write the config; do not apply it.")
    ] = False,
) -> None:
    """Write a Ray Serve config for the repo and apply it to a running cluster.

    [bold]Example:[/] infer deploy --ray my-model --address 10.0.0.5:6379 --max-replicas 4
    --min-replicas 1
    """
    with user_errors():
        if not ray:
            raise UsageError(
                "infer deploy needs a target", hint="pass --ray (Ray Serve is the one supported)"
            )
        from infer.engines.ray.deploy import deploy_to_cluster, write_config
        from infer.engines.ray.settings import RayServeSettings, replica_counts
        from infer.runtime.server.repo_settings import read_repo_settings

        repo_settings = read_repo_settings(path)
        fixed, low, high = replica_counts(replicas, min_replicas, max_replicas)
        settings = RayServeSettings(
            repo=path.resolve(),
            model_name=repo_settings.name,
            inference_time_s=repo_settings.inference_time_s,
            host=host,
            port=port,
            address=address,
            replicas=fixed,
            min_replicas=low,
            max_replicas=high,
            concurrency=concurrency,
            gpu=gpu,
            max_replicas_per_node=replicas_per_node,
        )
        written = write_config(settings, config or Path(f"serve-{settings.model_name}.yaml"))
        stderr.print(f"infer deploy: wrote {written}", soft_wrap=True)
        if dry_run:
            return
        url = deploy_to_cluster(
            settings, lambda line: print(line, file=sys.stderr, flush=True), written
        )
    print(url)
    stderr.print(
        f"infer deploy: {settings.model_name} is ready at {url}; `serve status` on the head "
        "shows its replicas",
        soft_wrap=True,
    )
