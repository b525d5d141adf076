"""Who holds a busy port: another `infer serve` answers its v2 endpoints in a known shape.

Used only after a bind failed, to turn "port in use" into "your other `infer serve` of model X
holds it". Bounded: one short-timeout request, at most 64 KiB read, and any failure means
"unknown owner".

Runs in the server process.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

PROBE_TIMEOUT_S = 1.0
MAX_BODY_BYTES = 64 * 1024


def _get_json(url: str) -> object:
    # No proxies: the probe is for a port on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=PROBE_TIMEOUT_S) as response:
        if "uvicorn" not in response.headers.get("server", ""):
            return None
        return json.loads(response.read(MAX_BODY_BYTES))


def infer_serve_model(host: str, port: int) -> str | None:
    """The model name if an `infer serve` listens on host:port, else None."""
    connect_host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    base = (
        f"http://[{connect_host}]:{port}"
        if ":" in connect_host
        else f"http://{connect_host}:{port}"
    )
    try:
        live = _get_json(f"{base}/v2/health/live")
        models = _get_json(f"{base}/v2/models")
    except (OSError, ValueError, urllib.error.URLError):
        return None
    if live != {"live": True} or not isinstance(models, dict):
        return None
    entries = models.get("models")
    if not (isinstance(entries, list) and len(entries) == 1 and isinstance(entries[0], dict)):
        return None
    name = entries[0].get("name")
    return name if isinstance(name, str) and entries[0].get("versions") == ["1"] else None
