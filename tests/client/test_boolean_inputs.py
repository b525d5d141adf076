"""BOOLEAN inputs written as text (`infer stream -i FLAG=VALUE`, a GET's query string) become JSON
true and false, never the other way round; any other word is a clear error."""

from __future__ import annotations

import json
import subprocess

import pytest

from infer.client.request import build_body
from infer.errors import UsageError
from infer.repo.datatypes import InputSpec
from infer.repo.text_values import TextValueError, parse_text_value
from infer.runtime.server.query_inputs import query_to_v2_body
from tests.conftest import infer_command
from tests.scripted_server import ScriptedServer, json_script, sse_script

# Written out here, not imported, so a swapped or edited word list in the code cannot pass.
TRUE_SPELLINGS = ["true", "True", "TRUE", "1", "yes", "YES", "y", "Y", "on", "On"]
FALSE_SPELLINGS = ["false", "False", "FALSE", "0", "no", "NO", "n", "N", "off", "Off"]
FLAG_META = [{"name": "FLAG", "datatype": "BOOLEAN", "shape": [-1], "required": False}]


@pytest.mark.parametrize(
    ("text", "expected"),
    [*((t, True) for t in TRUE_SPELLINGS), *((f, False) for f in FALSE_SPELLINGS)],
)
def test_every_accepted_spelling_reads_as_its_boolean(text: str, expected: bool) -> None:
    value = parse_text_value("BOOLEAN", text)
    assert value is expected, f"{text!r} read as {value!r}, expected {expected!r}"


@pytest.mark.parametrize("text", ["maybe", "", "2", "truthy", "yess", " true"])
def test_any_other_word_is_not_a_boolean(text: str) -> None:
    with pytest.raises(TextValueError) as caught:
        parse_text_value("BOOLEAN", text)
    assert str(caught.value) == f"{text!r} is not a boolean; use true or false"


def test_input_pairs_become_json_true_and_false_in_order() -> None:
    pairs = [f"FLAG={word}" for word in [*TRUE_SPELLINGS, *FALSE_SPELLINGS]]
    body = build_body(FLAG_META, None, pairs, None)
    expected = [True] * len(TRUE_SPELLINGS) + [False] * len(FALSE_SPELLINGS)
    assert body == {
        "inputs": [{"name": "FLAG", "shape": [20], "datatype": "BOOL", "data": expected}]
    }
    # JSON booleans on the wire, not the strings "true"/"false" nor 1/0.
    assert '"data": [true, true' in json.dumps(body) and "false, false]" in json.dumps(body)


def test_a_bad_boolean_input_is_a_usage_error_naming_the_input() -> None:
    with pytest.raises(UsageError) as caught:
        build_body(FLAG_META, None, ["FLAG=maybe"], None)
    assert caught.value.message == "--input FLAG=maybe: FLAG is BOOLEAN; use true or false"


def test_a_query_string_reads_booleans_the_same_way() -> None:
    specs = [InputSpec("FLAG", "BOOLEAN", False, (-1,))]
    pairs = [("FLAG", word) for word in ["true", "0", "Yes", "off"]]
    body, problems = query_to_v2_body(pairs, specs)
    assert problems == []
    assert body["inputs"][0]["data"] == [True, False, True, False]
    _, bad = query_to_v2_body([("FLAG", "maybe")], specs)
    assert [(p.name, p.message) for p in bad] == [
        ("FLAG", "input 'FLAG' is BOOLEAN: 'maybe' is not a boolean; use true or false")
    ]


def test_infer_stream_sends_what_the_user_typed_as_json_booleans() -> None:
    meta = {"name": "m", "streaming": True, "inputs": FLAG_META}
    done = b'id: 1\nevent: done\ndata: {"events": 0}\n\n'
    server = ScriptedServer(
        {
            ("GET", "/v2/models/m"): json_script(200, meta),
            ("POST", "/v2/models/m/infer"): sse_script(done, headers={"x-stream-id": "s1"}),
        }
    )
    try:
        args = ["-i", "FLAG=true", "-i", "FLAG=false", "-i", "FLAG=1", "-i", "FLAG=no"]
        ran = subprocess.run(
            infer_command("stream", "--url", server.url, *args),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert ran.returncode == 0, ran.stderr
        posts = [
            body
            for (method, *_), body in zip(server.requests, server.bodies, strict=True)
            if method == "POST"
        ]
        assert [json.loads(body) for body in posts] == [
            {
                "inputs": [
                    {
                        "name": "FLAG",
                        "shape": [4],
                        "datatype": "BOOL",
                        "data": [True, False, True, False],
                    }
                ]
            }
        ]
        bad = subprocess.run(
            infer_command("stream", "--url", server.url, "-i", "FLAG=maybe"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert bad.returncode == 2
        assert (
            bad.stderr.splitlines()[0]
            == "error: --input FLAG=maybe: FLAG is BOOLEAN; use true or false"
        )
    finally:
        server.close()
