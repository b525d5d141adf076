"""`infer serve --engine ray`: the repo on Ray Serve, in the foreground, until Ctrl-C.

Without ``--address`` a local Ray instance is started (and stopped at the end); with one, the
application is added to that cluster and removed again at the end.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

from infer.engines.ray.availability import require_ray
from infer.engines.ray.settings import RayServeSettings
from infer.errors import InferError

log = logging.getLogger("infer.serve")
READY_TIMEOUT_S = 600.0
STOP_STREAMS_TIMEOUT_S = 15.0


class RayServeError(InferError):
    """Ray could not start, or the application could not be deployed."""


def serve_on_ray(settings: RayServeSettings, announce: Callable[[str], None]) -> int:
    """Deploy, announce the URL, wait for Ctrl-C or SIGTERM, then take down what was started."""
    require_ray()
    port = settings.port or _free_port(settings.host)
    settings = _with_port(settings, port)
    with _ray_session(settings) as serve:
        url = f"http://{settings.host}:{port}"
        announce(
            f"infer serve: {settings.model_name} on {url} (Ray Serve, {_replicas(settings)}, "
            f"{settings.concurrency} stream(s) per replica)"
        )
        stop = _stop_event()
        try:
            deploy_application(serve, settings)
            wait_ready(url, stop)
            if stop.is_set():
                return 0
            announce(
                "infer serve: ready (Ray Serve); try: infer stream --url "
                f"{url} --model {settings.model_name}"
            )
            # Short waits: Ray's threads may receive the signal, and the main thread only runs
            # Python signal handlers when it wakes up.
            while not stop.wait(0.2):
                pass
        finally:
            _take_down(serve, settings)
    return 0


def _with_port(settings: RayServeSettings, port: int) -> RayServeSettings:
    from dataclasses import replace

    return replace(settings, port=port)


def _replicas(settings: RayServeSettings) -> str:
    if settings.autoscaling:
        return f"{settings.min_replicas}-{settings.max_replicas} replicas, autoscaling"
    return f"{settings.replicas} replica(s)"


def _free_port(host: str) -> int:
    # Ray's proxy binds the port itself; ask the kernel for one that is free right now.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _ray_session(settings: RayServeSettings) -> Iterator[Any]:
    import ray
    from ray import serve

    started_here = settings.address is None
    if started_here:
        # Read by the raylet and the Serve proxy this call starts (see settings.py for why).
        os.environ.update(settings.cluster_env())
    try:
        ray.init(
            # "local": a new instance even if `ray start` left a cluster address behind (a
            # plain ray.init() would join that cluster, or hang if it is gone).
            address=settings.address or "local",
            include_dashboard=False if started_here else None,
            logging_level=logging.WARNING,
            namespace="infer",
        )
    except Exception as error:
        raise RayServeError(
            f"cannot {'start Ray' if started_here else 'connect to ' + str(settings.address)}: "
            f"{error}",
            hint="check the address (host:port of the head's GCS, or 'auto')",
        ) from None
    try:
        serve.start(proxy_location="HeadOnly", http_options=settings.http_options())
        yield serve
    finally:
        if started_here:
            with contextlib.suppress(Exception):
                serve.shutdown()
        ray.shutdown()


def deploy_application(
    serve: Any, settings: RayServeSettings, repo_on_cluster: str | None = None
) -> None:
    """``serve.run`` the application (returns once its replicas are up); clear errors."""
    from infer.engines.ray.deployments import build_application

    try:
        serve.run(
            build_application(settings, repo_on_cluster),
            name=settings.model_name,
            route_prefix="/",
            blocking=False,
        )
    except Exception as error:
        raise RayServeError(
            f"Ray Serve could not deploy {settings.repo}: {_summary(error)}",
            hint="run `infer serve` without --engine ray to see the model's own error",
        ) from None


def _summary(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return " | ".join(lines[-3:])[:600] if lines else type(error).__name__


def wait_ready(url: str, stop: threading.Event | None) -> bool:
    """Poll the gateway's readiness until 200, ``stop`` is set, or READY_TIMEOUT_S passes."""
    stop = stop or threading.Event()
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/v2/health/ready", timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        stop.wait(0.2)
    return False


def _take_down(serve: Any, settings: RayServeSettings) -> None:
    """End live streams in-band first, so Serve's drain does not wait out the grace."""
    try:
        handle = serve.get_app_handle(settings.model_name)
        ended = handle.stop_streams.remote().result(timeout_s=STOP_STREAMS_TIMEOUT_S)
        log.info("ended %d live stream(s) before stopping", ended)
    except Exception as error:  # the application may already be gone
        log.warning("could not end live streams in-band: %s", _summary(error))
    with contextlib.suppress(Exception):
        serve.delete(settings.model_name)


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    return stop
