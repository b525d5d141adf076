"""``--url localhost:8000`` means http://localhost:8000, as httpie and curl read it."""

from __future__ import annotations

import re

# A scheme is letters then "://"; "localhost:8000" has a colon but no "//" after it.
_HAS_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def with_default_scheme(url: str) -> str:
    """Add ``http://`` to a URL typed without a scheme; ``:8000`` means localhost:8000."""
    url = url.strip()
    if not url or _HAS_SCHEME.match(url):
        return url
    if url.startswith(":"):
        return f"http://localhost{url}"
    return f"http://{url}"
