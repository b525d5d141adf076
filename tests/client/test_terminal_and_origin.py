"""Terminal sanitising and same-origin resolution of follow-up URLs, in process."""

from __future__ import annotations

import json

import pytest

from infer.client.origin import resolve_same_origin
from infer.client.terminal import escape_json_line, sanitise

BASE = "http://127.0.0.1:8000/v2/models/m/infer"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain text\n\twith tab", "plain text\n\twith tab"),
        ("\x1b[2Jclear", "\\x1b[2Jclear"),
        ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),
        ("\x1b]0;title\x1b\\", "\\x1b]0;title\\x1b\\"),
        ("\x9b31mC1 CSI", "\\x9b31mC1 CSI"),
        ("\x9d0;osc\x9c", "\\x9d0;osc\\x9c"),
        ("back\rspace\x08\x7f", "back\\x0dspace\\x08\\x7f"),
        ("\u202eevil\u202c \u2066iso\u2069", "\\u202eevil\\u202c \\u2066iso\\u2069"),
        ("nul\x00", "nul\\x00"),
        ("crème 🍳 中文", "crème 🍳 中文"),
    ],
)
def test_sanitise_shows_controls_escaped_and_keeps_text(text: str, shown: str) -> None:
    assert sanitise(text) == shown


def test_json_lines_stay_valid_json_with_the_same_value() -> None:
    value = {"OUT": "a\x9b31m\u202eb é"}
    line = escape_json_line(json.dumps(value, ensure_ascii=False))
    assert "\x9b" not in line and "\u202e" not in line and "é" in line
    assert json.loads(line) == value


@pytest.mark.parametrize(
    ("reference", "resolved"),
    [
        ("/v2/models/m/streams/s1", "http://127.0.0.1:8000/v2/models/m/streams/s1"),
        ("streams/s1", "http://127.0.0.1:8000/v2/models/m/streams/s1"),
        ("../x", "http://127.0.0.1:8000/v2/models/x"),
        ("1:18063/steal", "http://127.0.0.1:8000/v2/models/m/1:18063/steal"),
        ("http://127.0.0.1:8000/ok", "http://127.0.0.1:8000/ok"),
        ("//127.0.0.1:8000/ok", "http://127.0.0.1:8000/ok"),
        ("//evil.example/x", None),
        ("http://127.0.0.1:18063/steal", None),
        ("https://127.0.0.1:8000/x", None),
        ("http://127.0.0.1:8000@evil.example/", None),
        ("ftp://127.0.0.1:8000/x", None),
    ],
)
def test_follow_up_urls_resolve_per_rfc3986_and_stay_on_the_origin(
    reference: str, resolved: str | None
) -> None:
    assert resolve_same_origin(BASE, reference, BASE) == resolved


def test_default_ports_are_the_same_origin() -> None:
    assert resolve_same_origin("https://h/a", "https://h:443/b", "https://h") == "https://h/b"
