"""INF313-INF316 beyond their corpus case: what counts as installed, read, or quantized."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infer.validate.distributions import dependency_closure, distributions_for_import
from infer.validate.engine import validate_repo

BASE = Path(__file__).parent / "corpus" / "_base"


def _repo(tmp_path: Path, app_head: str = "", packages: tuple[str, ...] | None = None) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    app = repo / "app.py"
    app.write_text(app_head + app.read_text())
    if packages is not None:
        listed = "".join(f'    - "{package}"\n' for package in packages)
        (repo / "inferless-runtime-config.yaml").write_text(
            f'build:\n  cuda_version: "12.4.1"\n  python_packages:\n{listed}'
        )
    return repo


def _found(repo: Path) -> list[tuple[str, str, int, str]]:
    return [(f.code, f.path, f.line, f.message) for f in validate_repo(repo).findings]


@pytest.mark.parametrize(
    ("imports", "packages"),
    [
        ("from PIL import Image\n", ("pillow==10.3.0",)),
        ("import cv2\n", ("opencv-python-headless==4.9.0.80",)),
        ("import sklearn\n", ("scikit-learn==1.5.0",)),
        ("from awq import AutoAWQForCausalLM\n", ("autoawq==0.1.8",)),
        ("import yaml\n", ("PyYAML==6.0.1",)),
        ("import huggingface_hub, numpy, tokenizers\n", ("transformers==4.41.1",)),
        ("import json, os, typing, concurrent.futures\n", ()),
        ("import inferless\nfrom pydantic import BaseModel\n", ()),
        ("try:\n    import flash_attn\nexcept ImportError:\n    flash_attn = None\n", ()),
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import pandas\n", ()),
    ],
)
def test_imports_that_a_package_installs_are_not_reported(
    tmp_path: Path, imports: str, packages: tuple[str, ...]
) -> None:
    repo = _repo(tmp_path, imports, packages)
    assert [f for f in _found(repo) if f[0] == "INF313"] == []


def test_removing_torch_from_python_packages_reports_its_import(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "import torch\nimport transformers\n", ("transformers==4.41.1",))
    assert _found(repo) == [
        ("INF313", "app.py", 1, "app.py imports 'torch', which no python_packages entry installs")
    ]
    finding = validate_repo(repo).findings[0]
    assert finding.hint == (
        'add "torch==X.Y.Z" to build.python_packages in inferless-runtime-config.yaml'
    )


def test_the_hint_names_the_distribution_not_the_import(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "import cv2\n", ("torch==2.1.2",))
    assert validate_repo(repo).findings[0].hint.startswith('add "opencv-python==X.Y.Z"')


def test_repo_modules_are_followed_and_their_imports_checked(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "import helpers\nfrom tools import text\n", ("torch==2.1.2",))
    (repo / "helpers.py").write_text("import os\nimport sentencepiece\n")
    (repo / "tools").mkdir()
    (repo / "tools" / "__init__.py").write_text("from . import text\n")
    (repo / "tools" / "text.py").write_text("from .. import helpers\nimport regex\n")
    assert _found(repo) == [
        (
            "INF313",
            "helpers.py",
            2,
            "helpers.py imports 'sentencepiece', which no python_packages entry installs",
        ),
        (
            "INF313",
            "tools/text.py",
            2,
            "tools/text.py imports 'regex', which no python_packages entry installs",
        ),
    ]


def test_one_finding_per_missing_distribution(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "import scipy\nimport scipy.special\nfrom scipy import stats\n", ())
    assert [f[0] for f in _found(repo)] == ["INF313"]


def test_without_a_runtime_config_imports_are_not_judged(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "import sentencepiece\n")
    (repo / "inferless-runtime-config.yaml").unlink()
    codes = [f[0] for f in _found(repo)]
    assert "INF313" not in codes and codes == ["INF201"]


def test_the_distribution_table_and_closure() -> None:
    assert distributions_for_import("PIL.Image")[0] == "pillow"
    assert distributions_for_import("google.protobuf.message") == ("protobuf",)
    assert distributions_for_import("some_new_lib")[-1] == "some-new-lib"
    closure = dependency_closure(["autoawq"])
    assert {"torch", "transformers", "tokenizers", "huggingface-hub", "numpy"} <= closure


def _app_reading(body: str) -> str:
    return (
        "class InferlessPythonModel:\n"
        "    def initialize(self):\n"
        "        self.ready = True\n\n"
        "    def infer(self, inputs, stream_output_handler):\n"
        "        try:\n"
        f"            {body}\n"
        '            stream_output_handler.send_streamed_output({"OUT": "x"})\n'
        "        finally:\n"
        "            stream_output_handler.finalise_streamed_output()\n\n"
        "    def finalize(self, *args):\n"
        "        self.ready = False\n"
    )


@pytest.mark.parametrize(
    "body",
    [
        'text = inputs.get("TEXT", "")',
        'ok = "TEXT" in inputs',
        "self.handle(inputs)",  # passed on: what is read elsewhere is not known
        "values = dict(**inputs)",
        "names = [key for key in inputs]",
    ],
)
def test_required_inputs_read_or_passed_on_are_not_reported(tmp_path: Path, body: str) -> None:
    repo = _repo(tmp_path)
    (repo / "app.py").write_text(_app_reading(body))
    assert _found(repo) == []


def test_reading_an_undeclared_input_with_get_is_reported(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "app.py").write_text(_app_reading('text = inputs["TEXT"] + inputs.get("MAX_WRODS")'))
    assert _found(repo) == [
        (
            "INF314",
            "app.py",
            7,
            "infer() reads inputs['MAX_WRODS'], which the input schema does not declare "
            "(did you mean 'MAX_WORDS'?)",
        )
    ]


@pytest.mark.parametrize(
    "model_id",
    [
        "TheBloke/zephyr-7B-beta-AWQ",
        "TheBloke/Llama-2-7B-GPTQ",
        "Qwen/Qwen2-7B-Instruct-GPTQ-Int4",
        "/models/local-folder",
    ],
)
def test_quantized_checkpoints_and_local_folders_pass(tmp_path: Path, model_id: str) -> None:
    repo = _repo(
        tmp_path,
        "from awq import AutoAWQForCausalLM\n"
        f"MODEL = AutoAWQForCausalLM.from_quantized({model_id!r})\n",
        ("torch==2.1.2", "autoawq==0.1.8"),
    )
    assert _found(repo) == []


def test_a_gptq_loader_with_a_plain_model_is_reported(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        "from auto_gptq import AutoGPTQForCausalLM\n"
        'MODEL = AutoGPTQForCausalLM.from_quantized(model_name_or_path="meta-llama/Llama-2-7b")\n',
        ("torch==2.1.2", "auto-gptq==0.7.1"),
    )
    assert [(f[0], f[2]) for f in _found(repo)] == [("INF316", 2)]


@pytest.mark.parametrize(
    "entry",
    [
        "git+https://github.com/casper-hansen/AutoAWQ.git@v0.2.5",
        "https://example.org/wheels/autoawq-0.2.5-cp310-cp310-linux_x86_64.whl",
        "autoawq @ https://example.org/wheels/autoawq-0.2.5.tar.gz",
        "git+https://github.com/org/repo.git#egg=autoawq",
    ],
)
def test_packages_installed_from_urls_count_as_installed(tmp_path: Path, entry: str) -> None:
    repo = _repo(tmp_path, "import awq\n", ("torch==2.1.2", entry))
    assert [f for f in _found(repo) if f[0] == "INF313"] == []
