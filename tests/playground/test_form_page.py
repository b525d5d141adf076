"""The playground's form: built from the metadata, 422s at the field, copy-as, history, themes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.conftest import StartServer
from tests.playground.test_streaming_page import fill, output_text, wait_ending
from tests.servers import MODELS, ServerProcess

ROOT = Path(__file__).resolve().parents[2]
README_SCREENSHOT = ROOT / "docs" / "playground.png"


def field_error(page: Any, name: str) -> str:
    return str(page.inner_text(f'[data-input="{name}"] .field-error'))


def test_form_has_one_labelled_field_per_input_with_examples_and_required_marks(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/")
    assert page.eval_on_selector_all(
        "#fields .field", "fields => fields.map(f => f.dataset.input)"
    ) == ["TEXT", "DELAY", "COUNT", "MARKER"]
    text = page.get_by_label("TEXT", exact=True)
    assert text.evaluate("e => e.tagName") == "TEXTAREA"
    assert text.input_value() == "hello world"  # the schema's example
    assert text.get_attribute("aria-required") == "true"
    assert page.locator('[data-input="TEXT"] .req').count() == 1
    assert page.locator('[data-input="DELAY"] .req').count() == 0
    delay = page.get_by_label("DELAY", exact=True)
    assert delay.get_attribute("type") == "number" and delay.get_attribute("step") == "1"
    assert delay.input_value() == "0"
    assert page.inner_text('[data-input="MARKER"] .dtype') == "STRING [1] · optional"
    text.fill("changed")
    page.click("#reset")
    assert page.get_by_label("TEXT", exact=True).input_value() == "hello world"
    assert page.inner_text("#model-name") == "echo"
    assert page.inner_text("#model-kind") == "streaming"


def test_list_bool_and_float_inputs_and_a_non_streaming_answer_with_its_time(
    start_server: StartServer, new_page: Any
) -> None:
    server = start_server("basic_model")
    page = new_page(server.url + "/")
    assert page.get_by_label("temperature", exact=True).get_attribute("step") == "any"
    flags = page.locator('[data-input="flags"] input[type="checkbox"]')
    assert [flags.nth(i).is_checked() for i in range(flags.count())] == [True, False]
    page.click('[data-input="flags"] .list-add')
    assert flags.count() == 3
    page.get_by_label("flags item 3", exact=True).check()
    assert page.is_hidden("#chart")
    fill(page, prompt="make it loud")
    page.click("#send")
    ending = wait_ending(page, "answered in")
    assert re.fullmatch(r"✓ 200 · answered in \d+(\.\d)? ms", ending)
    assert '"data": [\n        "MAKE IT LOUD!"' in output_text(page)
    request = page.evaluate("() => window.inferPlayground.page.run.body")
    assert {"name": "flags", "shape": [3], "datatype": "BOOL", "data": [True, False, True]} in (
        request["inputs"]
    )


def test_a_422_is_shown_next_to_the_field_it_concerns(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/")
    fill(page, DELAY="2.5")
    page.click("#send")
    ending = wait_ending(page, "422")
    assert ending.startswith("✕ 422 invalid_inputs: input 'DELAY': data[0] is a number")
    assert field_error(page, "DELAY") == "input 'DELAY': data[0] is a number, expected INT"
    delay = page.get_by_label("DELAY", exact=True)
    assert delay.get_attribute("aria-invalid") == "true"
    assert delay.evaluate("e => e === document.activeElement")  # focus goes to the problem
    assert field_error(page, "TEXT") == ""
    # The server's "did you mean" for a misspelt name, sent from the JSON editor.
    page.click("#tab-json")
    body = '{"inputs": [{"name": "TXET", "shape": [1], "datatype": "BYTES", "data": ["hi"]}]}'
    page.fill("#json-body", body)
    page.click("#send")
    wait_ending(page, "422")
    assert page.inner_text("#json-body-error") == ("unknown input 'TXET' (did you mean 'TEXT'?)")
    assert field_error(page, "TEXT") == "unknown input 'TXET' (did you mean 'TEXT'?)"


def test_copy_as_curl_and_infer_stream_give_commands_that_work(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/", permissions=["clipboard-read", "clipboard-write"])
    fill(page, TEXT="it's copied")
    page.click("#copy-cli")
    command = page.inner_text("#copy-preview")
    assert command == (
        f"infer stream --url {echo_server.url} --model echo -i 'TEXT=it'\\''s copied' "
        "-i DELAY=0 -i COUNT=0"
    )
    assert page.evaluate("() => navigator.clipboard.readText()") == command
    assert page.inner_text("#copy-status").startswith("Copied to the clipboard")
    shell = command.replace("infer stream", f"{sys.executable} -m infer stream", 1)
    ran = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "it's copied \n"
    page.click("#copy-curl")
    curl = page.inner_text("#copy-preview")
    assert curl.startswith(f"curl -N {echo_server.url}/v2/models/echo/infer \\\n")
    if shutil.which("curl"):
        ran = subprocess.run(["bash", "-c", curl], capture_output=True, text=True, timeout=60)
        assert 'data: {"OUT":"it\'s "}' in ran.stdout and "event: done" in ran.stdout


def test_history_lists_requests_and_loads_one_back(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/")
    for text in ("first request", "second request"):
        fill(page, TEXT=text)
        page.click("#send")
        wait_ending(page, "done")
    rows = page.locator("#history-rows tr")
    assert rows.count() == 2
    newest = rows.nth(0).locator("td")
    assert newest.nth(1).inner_text() == 'TEXT="second request" DELAY=0 COUNT=0'
    assert re.fullmatch(r"\d+(\.\d)? ms", newest.nth(2).inner_text())
    assert newest.nth(3).inner_text().endswith("ev/s") or newest.nth(3).inner_text() == "—"
    assert newest.nth(4).inner_text() == "done"
    rows.nth(1).get_by_role("button", name="Load").click()
    assert page.get_by_label("TEXT", exact=True).input_value() == "first request"
    page.reload()
    page.wait_for_selector("#model-state.ok")
    assert page.locator("#history-rows tr").count() == 2  # kept for the browser tab's session


def test_keyboard_order_follows_the_form_and_tabs_use_arrow_keys(
    echo_server: ServerProcess, new_page: Any
) -> None:
    page = new_page(echo_server.url + "/")
    page.focus('[data-input="TEXT"] textarea')
    order = []
    for _ in range(5):
        page.keyboard.press("Tab")
        order.append(page.evaluate("() => document.activeElement.id"))
    # Stop is disabled while nothing runs, so Send is followed by the copy buttons.
    assert order == ["in-1", "in-2", "in-3", "send", "copy-curl"]
    page.focus("#tab-text")
    page.keyboard.press("ArrowRight")
    assert page.is_visible("#raw-pane") and page.evaluate("() => document.activeElement.id") == (
        "tab-raw"
    )
    page.focus('[data-input="COUNT"] input')
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # Enter in a one-line field sends, as in any form
    assert wait_ending(page, "done").startswith("■ done · 3 events")


def test_themes_follow_the_os_and_the_page_fits_a_phone(
    echo_server: ServerProcess, new_page: Any, artifacts: Path
) -> None:
    long_text = (
        "Whisk two eggs with a pinch of salt. Melt butter in a pan over medium heat, pour in "
        "the eggs, and stir gently until they begin to set. Fold the omelette in half and "
        "slide it onto a plate."
    )
    shots = {}
    for scheme in ("light", "dark"):
        page = new_page(echo_server.url + "/", color_scheme=scheme)
        fill(page, TEXT="How to make an omelette", COUNT=0)
        page.click("#send")
        wait_ending(page, "done")
        fill(page, TEXT=long_text, DELAY=15)
        page.click("#send")
        wait_ending(page, "done")
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        channels = [int(c) for c in re.findall(r"\d+", background)[:3]]
        assert (sum(channels) / 3 < 60) == (scheme == "dark"), background
        shots[scheme] = artifacts / f"playground-{scheme}.png"
        page.screenshot(path=str(shots[scheme]), full_page=True)
    phone = new_page(echo_server.url + "/", viewport={"width": 390, "height": 844})
    fill(phone, TEXT=long_text)
    phone.click("#send")
    wait_ending(phone, "done")
    widths = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {widths}"
    send_box = phone.locator("#send").bounding_box()
    assert send_box is not None and send_box["x"] + send_box["width"] <= 390
    phone.screenshot(path=str(artifacts / "playground-phone.png"), full_page=True)
    assert README_SCREENSHOT.is_file(), "the README shows docs/playground.png"


def test_the_platform_reference_datatypes_get_the_same_controls(
    start_server: StartServer, new_page: Any, tmp_path: Path
) -> None:
    repo = tmp_path / "reference"
    shutil.copytree(MODELS / "basic_model", repo)
    entries = {
        "prompt": ("STRING", True, [1], ["hi"]),
        "temperature": ("FP64", False, [1], [0.5]),
        "steps": ("INT32", False, [1], [4]),
        "flags": ("BOOL", False, [2], [True, False]),
    }
    schema = {
        name: {"datatype": datatype, "required": required, "shape": shape, "example": example}
        for name, (datatype, required, shape, example) in entries.items()
    }
    (repo / "input_schema.py").write_text(
        f"INPUT_SCHEMA = {schema!r}\nIS_STREAMING_OUTPUT = False\n"
    )
    server = start_server(repo)
    page = new_page(server.url + "/")
    assert page.get_by_label("temperature", exact=True).get_attribute("step") == "any"
    assert page.get_by_label("steps", exact=True).get_attribute("step") == "1"
    flags = page.locator('[data-input="flags"] input[type="checkbox"]')
    assert flags.count() == 2  # a fixed shape [2]: two rows, no add or remove
    assert page.locator('[data-input="flags"] button').count() == 0
    page.click("#send")
    assert wait_ending(page, "answered in").startswith("✓ 200")
    request = page.evaluate("() => window.inferPlayground.page.run.body")
    assert request["inputs"] == [
        {"name": "prompt", "shape": [1], "datatype": "BYTES", "data": ["hi"]},
        {"name": "temperature", "shape": [1], "datatype": "FP64", "data": [0.5]},
        {"name": "steps", "shape": [1], "datatype": "INT32", "data": [4]},
        {"name": "flags", "shape": [2], "datatype": "BOOL", "data": [True, False]},
    ]
