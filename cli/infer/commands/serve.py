"""`infer serve`: run a model repo locally behind the platform's HTTP + SSE contract."""

from __future__ import annotations

import logging
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from infer.commands._edge import stderr, user_errors
from infer.environment.launch import Device
from infer.errors import UsageError
from infer.runtime.server.config import ServeConfig  # its defaults are the CLI's


class DeviceChoice(str, Enum):
    """--device values."""

    auto = "auto"
    cpu = "cpu"
    gpu = "gpu"


def resolve_device(device: DeviceChoice, gpu: bool) -> Device:
    """--gpu is --device gpu; asking for both gpu and cpu is a mistake."""
    if gpu and device == DeviceChoice.cpu:
        raise UsageError("--gpu and --device cpu contradict each other", hint="pick one")
    return "gpu" if gpu else device.value


def serve(
    path: Annotated[Path, typer.Argument(help="The model repo to serve.")] = Path("."),
    host: Annotated[
        str, typer.Option(help="Interface to bind; loopback unless you mean otherwise.")
    ] = ServeConfig.host,
    port: Annotated[
        int, typer.Option(help="Port to listen on (0 picks a free one).")
    ] = ServeConfig.port,
    gpu: Annotated[bool, typer.Option("--gpu", help="Same as --device gpu.")] = False,
    reload: Annotated[
        bool,
        typer.Option(
            "--reload",
            help="Reload on edits (an app.py edit outside initialize() keeps the weights).",
        ),
    ] = False,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Requests run at once (models are rarely thread-safe).")
    ] = ServeConfig.concurrency,
    queue_size: Annotated[
        int, typer.Option(min=0, help="Requests that may wait for a slot before 503.")
    ] = ServeConfig.queue_size,
    heartbeat: Annotated[
        float, typer.Option(min=0.05, help="Seconds between `: ping` comments on idle streams.")
    ] = ServeConfig.heartbeat_s,
    resume_grace: Annotated[
        float,
        typer.Option(min=0, help="Seconds a disconnected stream keeps generating for a resume."),
    ] = ServeConfig.resume_grace_s,
    replay_buffer: Annotated[
        int, typer.Option(min=16, help="Events per stream kept for resuming and slow readers.")
    ] = ServeConfig.replay_capacity,
    shutdown_grace: Annotated[
        float,
        typer.Option(
            min=0.5,
            help="Seconds from Ctrl-C/SIGTERM to exit, finalize() included; "
            "a second Ctrl-C exits at once.",
        ),
    ] = ServeConfig.shutdown_grace_s,
    max_connections: Annotated[
        int,
        typer.Option(
            min=1,
            help="Open connections at most (kept below the file limit); "
            "idle ones are closed first to make room.",
        ),
    ] = ServeConfig.max_connections,
    keep_alive_timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds an idle keep-alive connection stays open.")
    ] = ServeConfig.keep_alive_timeout_s,
    header_timeout: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds a client has to send its request headers (408)."),
    ] = ServeConfig.header_timeout_s,
    log_level: Annotated[
        str, typer.Option(help="debug, info, warning or error.")
    ] = ServeConfig.log_level,
    tokenizer: Annotated[
        Optional[Path],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(
            exists=True,
            file_okay=False,
            help="The model's Hugging Face tokenizer folder: /v1 answers then count usage.",
        ),
    ] = None,
    device: Annotated[
        DeviceChoice,
        typer.Option(help="auto: the GPU if there is one; cpu: hide it; gpu: require one."),
    ] = DeviceChoice.auto,
    isolated: Annotated[
        bool,
        typer.Option(
            "--isolated", help="Run in a uv-built environment of python_packages (reused)."
        ),
    ] = False,
    strict_env: Annotated[
        bool, typer.Option("--strict-env", help="Refuse to start when the parity report warns.")
    ] = False,
    env: Annotated[
        Optional[list[str]],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(
            "--env", help="KEY=VALUE (or KEY: from your shell) for the model; repeatable."
        ),
    ] = None,
    env_file: Annotated[
        Optional[list[Path]],  # noqa: UP045
        typer.Option("--env-file", help="A dotenv file of variables; repeatable."),
    ] = None,
    allow_host: Annotated[
        Optional[list[str]],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(help="Also answer requests whose Host is NAME (repeatable; * for any)."),
    ] = None,
    cors: Annotated[
        Optional[list[str]],  # noqa: UP045
        typer.Option(
            help="Let pages on ORIGIN (scheme://host:port) call the server (repeatable; * for "
            "any origin, without credentials). Off by default."
        ),
    ] = None,
    engine: Annotated[
        str, typer.Option(help="local (a worker process) or ray (Ray Serve: infer-cli\\[ray]).")
    ] = "local",
    address: Annotated[
        Optional[str],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(help="--engine ray: the cluster to join (default: a local one)."),
    ] = None,
    replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="--engine ray: replicas."),
    ] = None,
    min_replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="--engine ray: autoscale."),
    ] = None,
    max_replicas: Annotated[
        Optional[int],  # noqa: UP045 - Typer needs Optional on Python 3.10
        typer.Option(min=1, help="--engine ray: autoscale."),
    ] = None,
) -> None:
    """Run the model: app.py in a worker process, the v2 HTTP API and SSE in front of it.

    [bold]Example:[/] infer serve my-model --port 8000 --reload
    """
    from infer.commands._environment_view import prepare_and_report
    from infer.runtime.server.repo_settings import read_repo_settings
    from infer.runtime.server.runner import run_server

    level = log_level.lower()
    if level not in {"debug", "info", "warning", "error"}:
        with user_errors():
            raise UsageError(f"unknown log level {log_level!r}", hint="debug, info, warning, error")
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)-7s %(name)-12s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )
    with user_errors():
        from infer.runtime.server.browser_security import BrowserPolicy, InvalidOriginError

        try:
            BrowserPolicy.build(host, tuple(allow_host or ()), tuple(cors or ()))
        except InvalidOriginError as error:
            raise UsageError(f"--cors {error}") from None
        local_only = {
            "--isolated": isolated,
            "--env": bool(env),
            "--env-file": bool(env_file),
            "--tokenizer": tokenizer is not None,
        }
        given = [name for name, value in local_only.items() if value]
        if engine != "local" and given:
            raise UsageError(
                f"{', '.join(given)} work with the local engine only, not --engine {engine}",
                hint="drop them, or serve with the default --engine local",
            )
        settings = read_repo_settings(path)
        chosen = resolve_device(device, gpu)
        worker = prepare_and_report(
            path.resolve(), chosen, isolated, strict_env, env or [], env_file or []
        )
        config = ServeConfig(
            repo=path.resolve(),
            model_name=settings.name,
            host=host,
            port=port,
            gpu=chosen == "gpu",
            worker=worker,
            reload=reload,
            concurrency=concurrency,
            queue_size=queue_size,
            inference_time_s=settings.inference_time_s,
            heartbeat_s=heartbeat,
            resume_grace_s=resume_grace,
            replay_capacity=replay_buffer,
            log_level=level,
            shutdown_grace_s=shutdown_grace,
            max_connections=max_connections,
            keep_alive_timeout_s=keep_alive_timeout,
            header_timeout_s=header_timeout,
            tokenizer=tokenizer.resolve() if tokenizer else None,
            allow_hosts=tuple(allow_host or ()),
            cors_origins=tuple(cors or ()),
        )
        for warning in settings.warnings:
            stderr.print(f"[yellow]warning:[/] {warning}", soft_wrap=True)
        if not config.is_loopback:
            stderr.print(
                f"[bold yellow]warning:[/] binding to {host}: anyone who can reach this machine "
                "can call the model. Use the default 127.0.0.1 unless you mean it.",
                soft_wrap=True,
            )
        if engine != "local":
            from infer.commands.serve_ray import serve_ray

            ray_counts = (replicas, min_replicas, max_replicas)
            raise typer.Exit(serve_ray(engine, config, address, ray_counts))
        code = run_server(config, announce=lambda line: print(line, file=sys.stderr, flush=True))
    if code:
        raise typer.Exit(code)
