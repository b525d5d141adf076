"""Follow-up URLs a server sends (``X-Resume-Url``, ``Location``): resolved as RFC 3986 says,
and used only when they stay on the origin the user asked for, so a token given for one host
is never sent to another."""

from __future__ import annotations

import httpx

_DEFAULT_PORTS = {"http": 80, "https": 443}


def origin_of(url: httpx.URL) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in."""
    return url.scheme, url.host.lower(), url.port or _DEFAULT_PORTS.get(url.scheme)


def resolve_same_origin(
    base: str | httpx.URL, reference: str, origin: str | httpx.URL
) -> str | None:
    """``reference`` resolved against ``base``; None when it is invalid or leaves ``origin``."""
    try:
        target = httpx.URL(base).join(reference)
    except (httpx.InvalidURL, ValueError, TypeError):
        return None
    if target.scheme not in _DEFAULT_PORTS or not target.host:
        return None
    if origin_of(target) != origin_of(httpx.URL(origin)):
        return None
    return str(target)
