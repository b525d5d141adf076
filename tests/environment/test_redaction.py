"""Masking the values of given variables in the worker's output."""

from __future__ import annotations

import io

from infer.environment.launch import WorkerEnvironment
from infer.environment.redaction import RedactingStream, redact, secret_values

MARKER = "marker-7f3a9c-secret"


def test_only_named_values_of_useful_length_are_masked() -> None:
    environ = {
        "INFER_SECRET_NAMES": "HF_TOKEN,SHORT,LONGER",
        "HF_TOKEN": MARKER,
        "SHORT": "cpu",
        "LONGER": f"{MARKER}-and-more",
        "NOT_NAMED": "not-a-given-value",
    }
    values = secret_values(environ)
    assert values == (f"{MARKER}-and-more", MARKER)
    text = f"a {MARKER}-and-more b {MARKER} cpu not-a-given-value"
    assert redact(text, values) == "a *** b *** cpu not-a-given-value"


def test_redacting_stream_masks_writes() -> None:
    inner = io.StringIO()
    stream = RedactingStream(inner, (MARKER,))
    assert stream.write(f"token={MARKER}\n") == len(f"token={MARKER}\n")
    stream.flush()
    assert inner.getvalue() == "token=***\n"


def test_worker_environment_carries_names_and_hides_values(tmp_path: object) -> None:
    worker = WorkerEnvironment(device="cpu", variables={"HF_TOKEN": MARKER, "A": "1"})
    env = worker.environ({"PATH": "/bin", "PYTHONPATH": "/elsewhere"})
    assert env["HF_TOKEN"] == MARKER and env["CUDA_VISIBLE_DEVICES"] == ""
    assert env["INFER_SECRET_NAMES"] == "A,HF_TOKEN"
    assert env["PYTHONPATH"] == "/elsewhere"  # only an isolated worker drops it
    assert MARKER not in repr(worker)
    auto = WorkerEnvironment(device="auto").environ({"CUDA_VISIBLE_DEVICES": "1"})
    assert auto["CUDA_VISIBLE_DEVICES"] == "1"
