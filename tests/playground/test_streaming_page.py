"""The playground in a real chromium against `infer serve`: streaming, Stop, and a dropped link."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import StartServer
from tests.playground.proxy import CuttingProxy
from tests.servers import ServerProcess, v2_body

# Records the output's length at every DOM change, and whether the run had ended by then.
WATCH_OUTPUT = """() => {
  window.__updates = [];
  const output = document.getElementById("output");
  new MutationObserver(() => window.__updates.push({
    length: output.textContent.length,
    done: document.getElementById("ending").textContent.includes("done"),
  })).observe(output, {childList: true, characterData: true, subtree: true});
}"""


def fill(page: Any, **values: object) -> None:
    """Type values into the generated form's fields, by input name."""
    for name, value in values.items():
        page.locator(f'[data-input="{name}"] :is(textarea, input)').first.fill(str(value))


def wait_events(page: Any, at_least: int) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('stat-events').textContent) >= n", arg=at_least
    )


def wait_ending(page: Any, word: str, timeout: float = 30_000) -> str:
    page.wait_for_function(
        "word => document.getElementById('ending').textContent.includes(word)",
        arg=word,
        timeout=timeout,
    )
    return str(page.inner_text("#ending"))


def output_text(page: Any) -> str:
    # textContent leaves out the gap marker (its label is CSS-generated), as copying does.
    return str(page.evaluate("() => document.getElementById('output').textContent"))


def raw_ids(page: Any) -> list[int]:
    ids = page.eval_on_selector_all("#raw li[data-id]", "items => items.map(i => i.dataset.id)")
    return [int(value) for value in ids]  # the page keys each row by the n of "<stream>:<n>"


def test_text_streams_in_event_by_event_with_stats_chart_and_raw_ids(
    echo_server: ServerProcess, new_page: Any, artifacts: Path
) -> None:
    page = new_page(echo_server.url + "/")
    page.evaluate(WATCH_OUTPUT)
    # 100 ms apart: with parallel tests and a browser on two cores, a stall of a few hundred ms
    # can bunch 40 ms events into one read, and the gap caption then shows "p50 0.2 ms".
    fill(page, COUNT=30, DELAY=100)
    page.click("#send")
    ending = wait_ending(page, "done")
    assert ending.startswith("■ done · 30 events")
    assert output_text(page) == "".join(f"w{i} " for i in range(30))
    updates = page.evaluate("() => window.__updates")
    growing = {u["length"] for u in updates if not u["done"] and u["length"]}
    assert len(growing) >= 5, f"the text arrived in {len(growing)} DOM update(s): {updates}"
    assert re.fullmatch(r"\d+(\.\d)? ms", page.inner_text("#stat-ttft"))
    assert page.inner_text("#stat-events") == "30"
    assert float(page.inner_text("#stat-eps")) > 0
    assert re.fullmatch(r"\d+ ms|\d\.\d\d s", page.inner_text("#stat-elapsed"))
    assert re.search(r"p50 \d+ ms · p95 \d+ ms", page.inner_text("#gap-caption"))
    page.click("#tab-raw")
    assert page.is_visible("#raw") and not page.is_visible("#output")
    assert raw_ids(page) == list(range(1, 32))
    assert page.inner_text("#raw li[data-id='1'] .data") == '{"OUT":"w0 "}'
    assert page.inner_text("#raw li[data-id='31'] .name") == "done"
    page.click("#tab-text")
    page.screenshot(path=str(artifacts / "streamed-light.png"), full_page=True)


def test_stop_cancels_the_generation_on_the_server(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/")
    fill(page, COUNT=500, DELAY=40)
    page.click("#send")
    wait_events(page, 3)
    stream_id = page.evaluate("() => window.inferPlayground.page.run.streamId")
    page.click("#stop")
    ending = wait_ending(page, "cancelled")
    assert ending == "■ cancelled · cancelled by the client"
    events = int(page.inner_text("#stat-events"))
    assert 3 <= events < 500
    log = echo_server.wait_for_line(rf"stream {stream_id}  200  events=\d+ .* end=cancelled")
    assert log.string
    assert page.is_enabled("#send") and not page.is_enabled("#stop")


def test_escape_stops_and_ctrl_enter_sends(echo_server: ServerProcess, new_page: Any) -> None:
    page = new_page(echo_server.url + "/")
    fill(page, COUNT=500, DELAY=40)
    page.focus('[data-input="TEXT"] textarea')
    page.keyboard.press("Control+Enter")
    wait_events(page, 2)
    page.keyboard.press("Escape")
    assert "cancelled" in wait_ending(page, "cancelled")


def test_a_dropped_connection_resumes_with_last_event_id_and_loses_nothing(
    echo_server: ServerProcess, new_page: Any, artifacts: Path
) -> None:
    inputs = {"TEXT": "unused", "COUNT": 80, "DELAY": 60}
    undropped = httpx.post(
        f"{echo_server.url}/v2/models/echo/infer", json=v2_body(**inputs), timeout=30
    )
    expected = "".join(
        json.loads(line[len("data: ") :])["OUT"]
        for line in undropped.text.splitlines()
        if line.startswith('data: {"OUT"')
    )
    assert expected == "".join(f"w{i} " for i in range(80))
    proxy = CuttingProxy(int(echo_server.url.rsplit(":", 1)[1]))
    try:
        page = new_page(proxy.url + "/")
        fill(page, COUNT=80, DELAY=60)
        page.click("#send")
        wait_events(page, 8)
        assert proxy.cut() >= 1
        wait_ending(page, "connection lost")
        page.screenshot(path=str(artifacts / "reconnecting-light.png"), full_page=True)
        ending = wait_ending(page, "done")
    finally:
        proxy.close()
    assert "resumed 1×" in ending
    assert output_text(page) == expected
    assert page.locator("#output .gap").count() == 1
    gap_label = page.get_attribute("#output .gap", "aria-label")
    assert re.fullmatch(r"connection dropped after event \d+; resumed", gap_label or "")
    assert raw_ids(page) == list(range(1, 82))
    notes = page.eval_on_selector_all("#raw li.note", "items => items.map(i => i.textContent)")
    assert notes[0].startswith("⟲ connection dropped after event")
    assert re.fullmatch(
        r"⟲ reconnected: GET /v2/models/echo/streams/([0-9a-f]+) with Last-Event-ID: \1:\d+",
        notes[1],
    )
    page.screenshot(path=str(artifacts / "resumed-light.png"), full_page=True)


def test_an_error_event_shows_its_code_and_message(
    start_server: StartServer, new_page: Any
) -> None:
    server = start_server("misbehaving")
    page = new_page(server.url + "/")
    assert page.get_by_label("MODE", exact=True).input_value() == "raise"
    page.click("#send")
    assert wait_ending(page, "model_error") == "✕ model_error: ValueError: boom at token 3"
    assert output_text(page) != ""  # the events before the failure stay on screen
    page.click("#tab-raw")
    assert page.get_attribute("#raw li.terminal", "class") == "terminal error"


def test_the_page_waits_for_a_loading_model(start_server: StartServer, new_page: Any) -> None:
    server = start_server("slow_init", ready=False, env={"SLOW_INIT_SECONDS": "8"})
    page = new_page(server.url + "/", wait_ready=False)
    # The form appears once the model is imported; initialize() then runs for 8 s.
    page.wait_for_function(
        "() => document.getElementById('model-state').textContent.includes('initialize()')"
    )
    page.click("#send")  # too early: the server's 503 is shown as it is
    assert wait_ending(page, "503") == (
        "✕ 503 model_loading: the model is loading (initialize() is running) (retry after 1 s)"
    )
    page.wait_for_selector("#model-state.ok", timeout=60_000)
    assert page.inner_text("#model-kind") == "non-streaming"
    page.click("#send")
    assert wait_ending(page, "answered in").startswith("✓ 200")
