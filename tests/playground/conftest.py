"""Fixtures for the playground's browser tests: Debian's chromium driven by playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers import MODELS, ServerProcess

CHROMIUM = Path(os.environ.get("INFER_CHROMIUM", "/usr/bin/chromium"))
ROOT = Path(__file__).resolve().parents[2]
# Screenshots land here for a person (or CI) to look at; the folder is git-ignored.
ARTIFACTS = Path(os.environ.get("INFER_TEST_ARTIFACTS", ROOT / "test-artifacts")) / "playground"


# Package scope, not session: playwright's sync API keeps an event loop running in this thread
# while it is open, and later tests (asyncio.run) must not find one.
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless chromium for these tests (the system one: nothing is downloaded)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (scripts/test installs it when run as root)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless=new", "--no-sandbox"]
        )
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """``new_page(url, **context_options)``: a page in a fresh context, closed afterwards.

    Page errors (uncaught exceptions) fail the test.
    """
    contexts: list[Any] = []
    errors: list[str] = []

    def open_page(url: str, *, wait_ready: bool = True, **options: Any) -> Any:
        options.setdefault("viewport", {"width": 1280, "height": 900})
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        if wait_ready:
            page.wait_for_selector("#model-state.ok")
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not errors, f"the page raised: {errors}"


@pytest.fixture(scope="module")
def echo_server() -> Iterator[ServerProcess]:
    """The echo streaming model; a generous resume grace, so a dropped page can come back."""
    server = ServerProcess(MODELS / "echo_stream", "--resume-grace", "60")
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture
def artifacts() -> Path:
    """The folder screenshots are written to."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
