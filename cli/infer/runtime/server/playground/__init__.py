"""The browser playground at `GET /`: one self-contained page, shipped inside the wheel.

index.html, style.css and app.js live next to this module as plain files (no build step, no
CDN). They are inlined into one document, once per process, so the page is a single response
that works offline and can be saved as one file.

Runs in the server process.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

STYLE_SLOT = "<!-- style.css -->"
SCRIPT_SLOT = "<!-- app.js -->"


@dataclass(frozen=True)
class Page:
    """The assembled document and the Content-Security-Policy that lets only it run."""

    html: str
    csp: str


@cache
def build_page() -> Page:
    """index.html with style.css and app.js inlined, and a CSP naming their hashes."""
    folder = files(__name__)
    html = folder.joinpath("index.html").read_text(encoding="utf-8")
    style = "\n" + folder.joinpath("style.css").read_text(encoding="utf-8")
    script = "\n" + folder.joinpath("app.js").read_text(encoding="utf-8")
    html = html.replace(STYLE_SLOT, f"<style>{style}</style>")
    html = html.replace(SCRIPT_SLOT, f"<script>{script}</script>")
    # Only these two inline blocks may run or apply, and the page may talk only to this server.
    csp = (
        f"default-src 'none'; script-src '{_sha256(script)}'; style-src '{_sha256(style)}'; "
        "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return Page(html, csp)


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def page_html() -> str:
    """The playground document (for tests and for saving it)."""
    return build_page().html


async def playground_page(request: Request) -> Response:
    """GET /: the playground page (it reads the model's metadata from /v2/models/{name})."""
    page = build_page()
    return HTMLResponse(
        page.html,
        headers={
            "Cache-Control": "no-cache",
            "Content-Security-Policy": page.csp,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
