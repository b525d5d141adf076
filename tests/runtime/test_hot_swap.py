"""`infer serve --reload` swaps an app.py edit into the running worker when initialize() is
unchanged (weights kept), and restarts the worker when it is not: decided from the source,
checked with real processes."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import httpx

from infer.runtime.server.hot_swap import decide_swap
from tests.conftest import StartServer
from tests.servers import ServerProcess, v2_body

APP = """import pathlib
import time

HERE = pathlib.Path(__file__).parent


class InferlessPythonModel:
    def initialize(self):
        self.weights = {"scale": 2}
        with (HERE / "initialized.txt").open("a") as counter:
            counter.write("x")

    def infer(self, inputs):
        if inputs.get("WAIT"):
            (HERE / "started.txt").write_text("started")
            deadline = time.monotonic() + 60
            while not (HERE / "release.txt").exists() and time.monotonic() < deadline:
                time.sleep(0.05)
        return {"OUT": "v1 " + inputs["TEXT"] * self.weights["scale"]}
"""
SCHEMA = """INPUT_SCHEMA = {
    "TEXT": {"datatype": "STRING", "required": True, "shape": [1], "example": ["a"]},
    "WAIT": {"datatype": "BOOLEAN", "required": False, "shape": [1], "example": [False]},
}
IS_STREAMING_OUTPUT = False
"""
PLATFORM = 'version: 1.0.0\nname: counter\nconfiguration:\n  inference_time: "30"\n'


def counter_model(tmp_path: Path) -> Path:
    """A model whose initialize() appends an "x" to initialized.txt (not a watched file)."""
    repo = tmp_path / "counter"
    repo.mkdir()
    (repo / "app.py").write_text(APP)
    (repo / "input_schema.py").write_text(SCHEMA)
    (repo / "inferless.yaml").write_text(PLATFORM)
    return repo


def ask(server: ServerProcess, text: str = "ab", wait: bool = False) -> str:
    """The OUT the model answers for TEXT."""
    inputs: dict[str, object] = {"TEXT": text}
    if wait:
        inputs["WAIT"] = True
    response = httpx.post(
        f"{server.url}/v2/models/counter/infer", json=v2_body(**inputs), timeout=90
    )
    assert response.status_code == 200, response.text
    outputs = {entry["name"]: entry["data"][0] for entry in response.json()["outputs"]}
    return str(outputs["OUT"])


def edit(repo: Path, *replacements: tuple[str, str]) -> None:
    """Replace text in app.py in one write (so the watcher sees one change); each must apply."""
    app = repo / "app.py"
    source = app.read_text()
    for old, new in replacements:
        assert old in source
        source = source.replace(old, new)
    app.write_text(source)


def wait_for_count(server: ServerProcess, pattern: str, count: int, timeout: float = 60) -> str:
    """The ``count``-th output line matching ``pattern``, waiting for it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [line for line in list(server.lines) if re.search(pattern, line)]
        if len(found) >= count:
            return found[count - 1]
        time.sleep(0.1)
    raise AssertionError(f"{count} line(s) matching {pattern!r} never came:\n{server.output}")


# -- the decision, from the source -----------------------------------------------------------


def test_an_infer_only_edit_is_swapped() -> None:
    decision = decide_swap(APP, APP.replace('"v1 "', '"v2 "'))
    assert decision.swap and decision.reason == "infer() only"


def test_comments_and_formatting_are_not_changes() -> None:
    decision = decide_swap(APP, APP.replace("import time\n", "import time  # clock\n\n"))
    assert decision.swap and decision.reason == "comments or formatting only"


def test_module_code_and_other_methods_are_named() -> None:
    new = APP.replace('"v1 "', '"v2 "') + "\nLIMIT = 3\n"
    new = new.replace("    def infer(", "    def finalize(self):\n        pass\n\n    def infer(")
    decision = decide_swap(APP, new)
    assert decision.swap and decision.reason == "finalize(), infer(), module code"


def test_an_initialize_or_init_edit_needs_a_restart() -> None:
    decision = decide_swap(APP, APP.replace('{"scale": 2}', '{"scale": 3}'))
    assert not decision.swap and not decision.broken
    assert decision.reason == "initialize() changed"
    added_init = APP.replace(
        "    def initialize(", "    def __init__(self):\n        self.x = 1\n\n    def initialize("
    )
    assert decide_swap(APP, added_init).reason == "__init__() changed"


def test_a_missing_model_class_needs_a_restart() -> None:
    decision = decide_swap(APP, APP.replace("class InferlessPythonModel", "class Model"))
    assert not decision.swap and "class InferlessPythonModel not found" in decision.reason


def test_a_syntax_error_is_reported_with_its_line() -> None:
    decision = decide_swap(APP, APP.replace("def infer(self, inputs):", "def infer(self, inputs)"))
    assert decision.broken and not decision.swap
    assert "(line 13)" in decision.reason


# -- real processes ---------------------------------------------------------------------------


def test_an_infer_edit_is_swapped_in_and_initialize_does_not_run_again(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = counter_model(tmp_path)
    counter = repo / "initialized.txt"
    server = start_server(repo, "--reload")
    assert ask(server) == "v1 abab"
    assert counter.read_text() == "x"

    edit(repo, ('"v1 "', '"v2 "'))
    line = wait_for_count(server, r"reload: app\.py changed", 1)
    assert re.search(
        r"reload: app\.py changed \(infer\(\) only\); swapped the code in \d+ ms, "
        r"weights kept \(initialize\(\) not re-run\)",
        line,
    ), line
    # The weights set by the first initialize() carry over to the new class's instance.
    assert ask(server) == "v2 abab"
    assert counter.read_text() == "x"
    assert "restarting the worker" not in server.output

    edit(repo, ('{"scale": 2}', '{"scale": 3}'))
    line = wait_for_count(server, r"reload: app\.py changed", 2)
    assert re.search(
        r"restarted the worker, ready again in \d+\.\d s \(initialize\(\) changed\)", line
    ), line
    assert ask(server) == "v2 ababab"
    assert counter.read_text() == "xx"


def test_a_request_in_flight_finishes_on_the_old_code(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = counter_model(tmp_path)
    server = start_server(repo, "--reload", "--concurrency", "4")
    answers: list[str] = []
    slow = threading.Thread(target=lambda: answers.append(ask(server, "s", wait=True)))
    slow.start()
    try:
        deadline = time.monotonic() + 30
        while not (repo / "started.txt").exists():
            assert time.monotonic() < deadline, server.output
            time.sleep(0.05)
        edit(repo, ('"v1 "', '"v2 "'))
        wait_for_count(server, r"swapped the code", 1)
        assert ask(server) == "v2 abab"
    finally:
        (repo / "release.txt").write_text("go")
        slow.join(timeout=90)
    assert answers == ["v1 ss"]
    assert (repo / "initialized.txt").read_text() == "x"


def test_a_broken_edit_is_reported_and_the_old_code_keeps_answering(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = counter_model(tmp_path)
    server = start_server(repo, "--reload")
    assert ask(server) == "v1 abab"

    edit(repo, ("def infer(self, inputs):", "def infer(self, inputs)"))
    line = wait_for_count(server, r"reload: app\.py changed", 1)
    assert "does not parse (expected ':' (line 13)); still serving the previous code" in line
    assert ask(server) == "v1 abab"

    # Parses, but fails when imported: the worker reports it and keeps the old code.
    edit(
        repo,
        ("def infer(self, inputs)", "def infer(self, inputs):"),
        ("HERE = pathlib", "MISSING_NAME\nHERE = pathlib"),
    )
    line = wait_for_count(server, r"reload: app\.py changed", 2)
    assert (
        "importing the new app.py raised NameError: name 'MISSING_NAME' is not defined; "
        "still serving the previous code" in line
    ), line
    assert ask(server) == "v1 abab"

    edit(repo, ("MISSING_NAME\n", ""), ('"v1 "', '"v3 "'))
    wait_for_count(server, r"swapped the code", 1)
    assert ask(server) == "v3 abab"
    assert (repo / "initialized.txt").read_text() == "x"


def test_a_worker_that_dies_while_swapping_is_restarted(
    start_server: StartServer, tmp_path: Path
) -> None:
    repo = counter_model(tmp_path)
    server = start_server(repo, "--reload")
    assert ask(server) == "v1 abab"
    # Module code that ends the process: the swap gets no answer, a full restart follows
    # (which fails the same way, and says so), then a fixed save brings the model back.
    edit(repo, ("HERE = pathlib", "import os\nos._exit(3)\nHERE = pathlib"))
    line = wait_for_count(server, r"reload: app\.py changed", 1)
    assert "the worker restarted but failed to load" in line and "(the worker died)" in line
    edit(repo, ("import os\nos._exit(3)\n", ""), ('"v1 "', '"v4 "'))
    wait_for_count(server, r"restarted the worker, ready again", 1)
    assert ask(server) == "v4 abab"
    assert (repo / "initialized.txt").read_text() == "xx"
