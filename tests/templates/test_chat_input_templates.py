"""The basic and pydantic templates give an instruct model its chat template, on a tiny model."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

from infer.runtime.worker import inferless_shim
from infer.scaffold.catalog import get_template
from infer.scaffold.render import ScaffoldRequest, write_repo
from tests.conftest import StartServer

pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.templates.tiny_model import build_tiny_model

    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def _scaffold(template: str, model: Path, folder: Path) -> Path:
    write_repo(ScaffoldRequest(folder / "chef", get_template(template), model=str(model)))
    return folder / "chef"


@pytest.fixture
def load_app(tmp_path: Path, tiny_model: Path) -> Iterator[Any]:
    loaded: list[str] = []

    def load(template: str) -> ModuleType:
        inferless_shim.install()
        repo = _scaffold(template, tiny_model, tmp_path)
        name = f"chef_{template}_app"
        spec = importlib.util.spec_from_file_location(name, repo / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # pydantic resolves the annotations through sys.modules
        loaded.append(name)
        spec.loader.exec_module(module)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


def _spy_on_generator(model: Any) -> list[object]:
    seen: list[object] = []
    generate = model.generator

    def spy(prompt: object, **kwargs: object) -> object:
        seen.append(prompt)
        return generate(prompt, **kwargs)

    model.generator = spy
    model.generator.tokenizer = generate.tokenizer
    return seen


def test_basic_template_sends_chat_messages_to_an_instruct_model(load_app: Any) -> None:
    app = load_app("basic")
    model = app.InferlessPythonModel()
    model.initialize()
    seen = _spy_on_generator(model)
    answer = model.infer({"prompt": "egg", "max_new_tokens": 4})
    assert seen == [[{"role": "user", "content": "egg"}]]
    assert isinstance(answer["generated_text"], str) and answer["generated_text"].strip()


def test_basic_template_sends_raw_text_to_a_base_model(load_app: Any) -> None:
    app = load_app("basic")
    model = app.InferlessPythonModel()
    model.initialize()
    model.generator.tokenizer.chat_template = None
    seen = _spy_on_generator(model)
    answer = model.infer({"prompt": "egg", "max_new_tokens": 4})
    assert seen == ["egg"]
    assert isinstance(answer["generated_text"], str)


def test_pydantic_template_sends_chat_messages_to_an_instruct_model(load_app: Any) -> None:
    app = load_app("pydantic")
    model = app.InferlessPythonModel()
    model.initialize()
    seen = _spy_on_generator(model)
    answer = model.infer(app.RequestObjects(prompt="pan", max_new_tokens=4))
    assert seen == [[{"role": "user", "content": "pan"}]]
    assert isinstance(answer.generated_text, str) and answer.generated_text.strip()


def test_basic_template_answers_over_http(
    tmp_path: Path, tiny_model: Path, start_server: StartServer
) -> None:
    server = start_server(_scaffold("basic", tiny_model, tmp_path))
    response = httpx.post(
        f"{server.url}/v2/models/chef/infer",
        json={
            "inputs": [
                {"name": "prompt", "shape": [1], "datatype": "BYTES", "data": ["egg"]},
                {"name": "max_new_tokens", "shape": [1], "datatype": "INT64", "data": [4]},
            ]
        },
        timeout=60,
    )
    assert response.status_code == 200, response.text
    outputs = {o["name"]: o["data"] for o in response.json()["outputs"]}
    assert isinstance(outputs["generated_text"][0], str)
