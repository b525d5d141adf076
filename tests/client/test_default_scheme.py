"""``--url`` without a scheme means http://, as httpie reads it."""

from __future__ import annotations

import pytest

from infer.client.default_scheme import with_default_scheme


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("localhost:8000", "http://localhost:8000"),
        ("127.0.0.1:8000/v2/models/echo", "http://127.0.0.1:8000/v2/models/echo"),
        (":8000", "http://localhost:8000"),
        ("[::1]:8000", "http://[::1]:8000"),
        ("http://h:1", "http://h:1"),
        ("https://api.example/v2/models/m/infer", "https://api.example/v2/models/m/infer"),
        ("ftp://h/x", "ftp://h/x"),  # kept, so the client can refuse it by name
        ("  localhost:8000 ", "http://localhost:8000"),
    ],
)
def test_a_url_without_a_scheme_gets_http(typed: str, meant: str) -> None:
    assert with_default_scheme(typed) == meant
