"""`infer stream`'s summary of an error event: the message, and whether a retry may help."""

from __future__ import annotations

import io
from typing import Any

import pytest
from rich.console import Console

from infer.commands import stream_render
from infer.protocol.error_codes import ErrorCode, error_payload


def _summary(terminal: dict[str, Any]) -> dict[str, Any]:
    return {
        "ending": "error",
        "terminal": terminal,
        "events": 2,
        "tokens": None,
        "tokens_per_s": None,
        "events_per_s": 4.0,
        "ttft_ms": 12.0,
        "gap_p50_ms": 5.0,
        "gap_p95_ms": 9.0,
        "total_ms": 500.0,
        "reconnects": 0,
    }


def _shown(monkeypatch: pytest.MonkeyPatch, terminal: dict[str, Any]) -> list[str]:
    out = io.StringIO()
    monkeypatch.setattr(stream_render, "stderr", Console(file=out, width=200))
    stream_render._print_summary(_summary(terminal))
    return out.getvalue().splitlines()


def test_a_retryable_error_says_a_retry_may_succeed(monkeypatch: pytest.MonkeyPatch) -> None:
    payload = error_payload(ErrorCode.WORKER_RESTARTING, "the model's worker is restarting")
    lines = _shown(monkeypatch, payload)
    assert lines[0].startswith("■ error worker_restarting  ·  2 events")
    assert lines[1:] == [
        "error: the model's worker is restarting",
        "retryable: sending the request again may succeed",
    ]


def test_an_error_a_retry_cannot_fix_says_only_what_happened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = _shown(monkeypatch, error_payload(ErrorCode.MODEL_ERROR, "ValueError: boom"))
    assert lines[1:] == ["error: ValueError: boom"]


@pytest.mark.parametrize("extra", [{}, {"retryable": 1}, {"retryable": "yes"}])
def test_only_a_retryable_true_flag_gets_the_retry_line(
    monkeypatch: pytest.MonkeyPatch, extra: dict[str, Any]
) -> None:
    # Another server's error event: its codes are not infer's, only a real true counts.
    lines = _shown(monkeypatch, {"code": "worker_restarting", "message": "later", **extra})
    assert lines[1:] == ["error: later"]
