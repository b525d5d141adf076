"""Datatypes and shapes by the platform's reference: no false alarms, and the streaming limits."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from infer.repo.datatypes import REFERENCE_DATATYPES, value_matches
from infer.validate.engine import validate_repo

BASE = Path(__file__).parent / "corpus" / "_base"

# The reference page's own example schema, verbatim in substance: INT8 with shape [2].
REFERENCE_EXAMPLE = """
INPUT_SCHEMA = {
    "prompt": {"datatype": "STRING", "required": True, "shape": [1], "example": ["a cat"]},
    "num_inference_steps": {"datatype": "INT8", "required": False, "shape": [2], "example": [4, 8]},
}
"""

NON_STREAMING_APP = """
class InferlessPythonModel:
    def initialize(self):
        self.ready = True

    def infer(self, inputs):
        return {"echo": [inputs[name] for name in inputs]}

    def finalize(self, *args):
        self.ready = False
"""


def _repo(tmp_path: Path, schema: str, app: str = NON_STREAMING_APP) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    (repo / "input_schema.py").write_text(schema)
    (repo / "app.py").write_text(app)
    (repo / "input.json").unlink()
    (repo / "inferless.yaml").write_text("name: repo\nconfiguration:\n  inference_time: 60\n")
    return repo


def test_the_reference_example_schema_validates_clean(tmp_path: Path) -> None:
    # Non-streaming by omission: no IS_STREAMING_OUTPUT, and no warning for leaving it out.
    assert validate_repo(_repo(tmp_path, REFERENCE_EXAMPLE)).findings == []


def test_a_non_streaming_schema_with_fp32_bool_and_any_length_is_clean(tmp_path: Path) -> None:
    schema = """
INPUT_SCHEMA = {
    "temperature": {"datatype": "FP32", "required": True, "shape": [1], "example": [0.7]},
    "sample": {"datatype": "BOOL", "required": False, "shape": [1], "example": [True]},
    "ids": {"datatype": "INT64", "required": False, "shape": [-1], "example": [1, 2, 3]},
    "grid": {"datatype": "UINT8", "required": False, "shape": [2, 2], "example": [0, 1, 2, 255]},
}
IS_STREAMING_OUTPUT = False
"""
    assert validate_repo(_repo(tmp_path, schema)).findings == []


@pytest.mark.parametrize("datatype", REFERENCE_DATATYPES)
def test_every_reference_datatype_is_accepted_without_streaming(
    tmp_path: Path, datatype: str
) -> None:
    example = {"STRING": '"x"', "BYTES": '"x"', "BOOL": "True"}.get(datatype, "1")
    schema = (
        f'INPUT_SCHEMA = {{"X": {{"datatype": "{datatype}", "required": True, "shape": [1], '
        f'"example": [{example}]}}}}\n'
    )
    assert validate_repo(_repo(tmp_path, schema)).findings == []


@pytest.mark.parametrize(
    ("example", "message"),
    [
        ('["true"]', "INPUT_SCHEMA['X']['example'] holds a string 'true', not BOOL"),
        ("[True, False]", "INPUT_SCHEMA['X']['example'] has 2 value(s) but the shape is [1]"),
    ],
)
def test_an_example_is_checked_against_datatype_and_shape(
    tmp_path: Path, example: str, message: str
) -> None:
    schema = (
        'INPUT_SCHEMA = {"X": {"datatype": "BOOL", "required": True, "shape": [1], '
        f'"example": {example}}}}}\n'
    )
    findings = validate_repo(_repo(tmp_path, schema)).findings
    assert [(f.code, f.message) for f in findings] == [("INF109", message)]


@pytest.mark.parametrize("shape", ["[0]", "[-2]", "[2, -1]", "[]"])
def test_shapes_other_than_positive_dims_or_minus_one_are_refused(
    tmp_path: Path, shape: str
) -> None:
    schema = (
        'INPUT_SCHEMA = {"X": {"datatype": "INT32", "required": True, "shape": '
        f'{shape}, "example": [1]}}}}\n'
    )
    findings = validate_repo(_repo(tmp_path, schema)).findings
    assert [f.code for f in findings] == ["INF108"]


def test_sized_integer_examples_must_fit_their_type(tmp_path: Path) -> None:
    assert value_matches("INT8", 127) and not value_matches("INT8", 128)
    assert value_matches("UINT8", 255) and not value_matches("UINT8", -1)
    assert value_matches("INT", 10**20)  # the streaming page's INT has no stated width


STREAMING_APP = """
class InferlessPythonModel:
    def initialize(self):
        self.ready = True

    def infer(self, inputs, stream_output_handler):
        try:
            stream_output_handler.send_streamed_output({"OUT": str(inputs)})
        finally:
            stream_output_handler.finalise_streamed_output()

    def finalize(self, *args):
        self.ready = False
"""


def test_streaming_accepts_integer_string_and_bool_names_from_both_pages(tmp_path: Path) -> None:
    schema = """
INPUT_SCHEMA = {
    "A": {"datatype": "INT", "required": False, "shape": [1], "example": [1]},
    "B": {"datatype": "INT32", "required": False, "shape": [1], "example": [1]},
    "C": {"datatype": "BOOLEAN", "required": False, "shape": [1], "example": [True]},
    "D": {"datatype": "BOOL", "required": False, "shape": [1], "example": [False]},
    "E": {"datatype": "STRING", "required": False, "shape": [1], "example": ["x"]},
}
IS_STREAMING_OUTPUT = True
"""
    assert validate_repo(_repo(tmp_path, schema, STREAMING_APP)).findings == []


@pytest.mark.parametrize(
    ("datatype", "example", "hint"),
    [
        (
            "FP32",
            "[0.7]",
            'declare it as "datatype": "STRING" with a string example such as ["0.7"], '
            "and convert it in infer(): float(inputs['X'])",
        ),
        (
            "BYTES",
            '["x"]',
            'declare it as "datatype": "STRING" (the example as a string too); send binary '
            "data base64-encoded and decode it in infer()",
        ),
    ],
)
def test_a_streaming_float_or_bytes_input_is_an_error_whose_fix_validates(
    tmp_path: Path, datatype: str, example: str, hint: str
) -> None:
    entry = '{"datatype": "%s", "required": False, "shape": [1], "example": %s}'
    schema = f'INPUT_SCHEMA = {{"X": {entry % (datatype, example)}}}\nIS_STREAMING_OUTPUT = True\n'
    repo = _repo(tmp_path, schema, STREAMING_APP)
    findings = validate_repo(repo).findings
    assert [(f.code, f.hint) for f in findings] == [("INF105", hint)]
    # Following the hint leads to a clean repo, not to the next error.
    fixed = schema.replace(datatype, "STRING").replace("[0.7]", '["0.7"]')
    (repo / "input_schema.py").write_text(fixed)
    assert validate_repo(repo).findings == []


def test_non_streaming_repo_that_omits_the_flag_gets_no_warning(tmp_path: Path) -> None:
    schema = 'INPUT_SCHEMA = {"X": {"datatype": "STRING", "required": True, "shape": [1], '
    schema += '"example": ["x"]}}\n'
    report = validate_repo(_repo(tmp_path, schema))
    assert report.findings == []
    assert report.streaming is False


def test_openai_flag_is_recognised_and_must_be_a_literal(tmp_path: Path) -> None:
    schema = (
        'INPUT_SCHEMA = {"X": {"datatype": "STRING", "required": True, "shape": [1], '
        '"example": ["x"]}}\nIS_STREAMING_OUTPUT = True\nOPENAI_CLIENT_COMPATIBLITY = True\n'
    )
    repo = _repo(tmp_path, schema, STREAMING_APP)
    assert validate_repo(repo).findings == []
    flag = "OPENAI_CLIENT_COMPATIBLITY = "
    (repo / "input_schema.py").write_text(schema.replace(f"{flag}True", f'{flag}"yes"'))
    findings = validate_repo(repo).findings
    assert [(f.code, f.message) for f in findings] == [
        ("INF110", "OPENAI_CLIENT_COMPATIBLITY is `'yes'`, not the literal True or False")
    ]


def test_pydantic_style_follows_the_same_rules(tmp_path: Path) -> None:
    app = """
import inferless
from pydantic import BaseModel

IS_STREAMING_OUTPUT = False


@inferless.request
class Request(BaseModel):
    prompt: str
    temperature: float = 0.7
    ids: list[int] = []


class InferlessPythonModel:
    def initialize(self):
        self.ready = True

    def infer(self, request):
        return {"out": [request.prompt, request.temperature, request.ids, request.promt]}

    def finalize(self, *args):
        self.ready = False
"""
    repo = _repo(tmp_path, "", app)
    (repo / "input_schema.py").unlink()
    findings = validate_repo(repo).findings
    # Floats and lists are fine without streaming; a misspelt field is not.
    assert [(f.code, f.message) for f in findings] == [
        (
            "INF314",
            "infer() reads request.promt, which the input schema does not declare "
            "(did you mean 'prompt'?)",
        )
    ]
    (repo / "app.py").write_text(app.replace("= False", "= True").replace(", request.promt", ""))
    codes = [(f.code, f.line) for f in validate_repo(repo).findings]
    assert ("INF105", 11) in codes and ("INF106", 12) in codes
