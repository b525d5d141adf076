"""The browser playground at `GET /`: one self-contained page, shipped inside the wheel.

index.html, style.css and app.js live next to this module as plain files (no build step, no
CDN). They are inlined into one document, once per process, so the page is a single response
that works offline and can be saved as one file.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

STYLE_SLOT = "<!-- style.css -->"
SCRIPT_SLOT = "<!-- app.js -->"


@cache
def page_html() -> str:
    """index.html with style.css and app.js inlined."""
    folder = files(__name__)
    html = folder.joinpath("index.html").read_text(encoding="utf-8")
    style = folder.joinpath("style.css").read_text(encoding="utf-8")
    script = folder.joinpath("app.js").read_text(encoding="utf-8")
    html = html.replace(STYLE_SLOT, f"<style>\n{style}</style>")
    return html.replace(SCRIPT_SLOT, f"<script>\n{script}</script>")


async def playground_page(request: Request) -> Response:
    """GET /: the playground page (it reads the model's metadata from /v2/models/{name})."""
    return HTMLResponse(
        page_html(),
        headers={
            "Cache-Control": "no-cache",
            # The page talks to its own origin only; nothing else may load or run in it.
            "Content-Security-Policy": "default-src 'none'; connect-src 'self'; "
            "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )
