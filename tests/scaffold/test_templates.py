"""Every template renders into a repo whose files compile, parse and obey the platform's rules."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
import yaml

from infer.scaffold.catalog import get_template, list_templates
from infer.scaffold.render import ScaffoldRequest, render_files, write_repo
from tests.conftest import TEMPLATE_NAMES

STREAMING_DATATYPES = {"INT", "STRING", "BOOLEAN"}


def _literal(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{name} not assigned at module level")


def test_catalog_lists_the_four_templates_with_streaming_first() -> None:
    names = [info.name for info in list_templates()]
    assert names == ["streaming", "streaming-cpu", "basic", "pydantic"]
    assert all(info.summary for info in list_templates())


@pytest.mark.parametrize("template", TEMPLATE_NAMES)
def test_template_renders_files_that_compile_and_parse(template: str, tmp_path: Path) -> None:
    written = write_repo(ScaffoldRequest(tmp_path / "my-model", get_template(template)))
    names = {path.name for path in written}
    assert {"app.py", "inferless-runtime-config.yaml", "inferless.yaml", "input.json"} <= names
    assert {".gitignore", "README.md"} <= names
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert "{{" not in text and "{%" not in text, f"unrendered Jinja in {path.name}"
        if path.suffix == ".py":
            compile(text, str(path), "exec")
        elif path.suffix in {".yaml", ".yml"}:
            yaml.safe_load(text)
        elif path.suffix == ".json":
            json.loads(text)
    config = yaml.safe_load((tmp_path / "my-model" / "inferless.yaml").read_text())
    assert config["name"] == "my-model"
    runtime = yaml.safe_load((tmp_path / "my-model" / "inferless-runtime-config.yaml").read_text())
    assert runtime["build"]["cuda_version"] == "12.4.1"


@pytest.mark.parametrize("template", ["streaming", "streaming-cpu", "basic"])
def test_input_schema_obeys_the_streaming_limits(template: str) -> None:
    files = render_files(ScaffoldRequest(Path("m"), get_template(template)))
    tree = ast.parse(files["input_schema.py"])
    schema = _literal(tree, "INPUT_SCHEMA")
    streaming = _literal(tree, "IS_STREAMING_OUTPUT")
    assert streaming is get_template(template).streaming
    assert isinstance(schema, dict) and schema
    for spec in schema.values():
        assert set(spec) == {"datatype", "required", "shape", "example"}
        if streaming:
            assert spec["datatype"] in STREAMING_DATATYPES
            assert spec["shape"] == [1]


def test_streaming_template_fixes_the_public_templates_defects() -> None:
    app = render_files(ScaffoldRequest(Path("m"), get_template("streaming")))["app.py"]
    assert "TheBloke/zephyr-7B-beta-AWQ" in app
    assert ".cuda()" not in app
    assert "self.streamer" not in app
    tree = ast.parse(app)
    finally_calls = [
        call.func.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Try)
        for stmt in node.finalbody
        for call in ast.walk(stmt)
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
    ]
    assert "finalise_streamed_output" in finally_calls
    runtime = render_files(ScaffoldRequest(Path("m"), get_template("streaming")))
    build = yaml.safe_load(runtime["inferless-runtime-config.yaml"])["build"]
    assert build["system_packages"] == ["libssl-dev"]
    assert build["python_packages"] == [
        "transformers==4.41.1",
        "torch==2.1.2",
        "autoawq==0.1.8",
    ]


def test_pydantic_template_declares_schema_and_streaming_flag_in_app() -> None:
    files = render_files(ScaffoldRequest(Path("m"), get_template("pydantic")))
    assert "input_schema.py" not in files
    tree = ast.parse(files["app.py"])
    assert _literal(tree, "IS_STREAMING_OUTPUT") is False
    decorators = {
        ast.unparse(decorator)
        for node in tree.body
        if isinstance(node, ast.ClassDef)
        for decorator in node.decorator_list
    }
    assert decorators == {"inferless.request", "inferless.response"}


def test_model_option_reaches_app(tmp_path: Path) -> None:
    request = ScaffoldRequest(tmp_path / "m", get_template("basic"), model="org/other-model")
    assert 'MODEL_NAME = "org/other-model"' in render_files(request)["app.py"]
