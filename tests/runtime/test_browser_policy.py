"""The browser policy's rules, in process: Host names, origins, CORS values."""

from __future__ import annotations

import pytest

from infer.runtime.server.browser_security import (
    BrowserPolicy,
    InvalidOriginError,
    normalise_origin,
)
from infer.runtime.server.sse.event_ids import (
    InvalidLastEventIdError,
    LastEventId,
    parse_last_event_id,
)


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8000", True),
        ("127.1.2.3", True),
        ("localhost:8000", True),
        ("LOCALHOST", True),
        ("app.localhost:3000", True),
        ("[::1]:8000", True),
        ("evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("localhost.evil.example", False),
        ("", False),
        ("10.0.0.5:8000", False),
    ],
)
def test_host_names(host: str, allowed: bool) -> None:
    assert BrowserPolicy().host_allowed(host) is allowed


def test_bound_address_and_allow_host() -> None:
    policy = BrowserPolicy.build("10.0.0.5", ("devbox.lan",), ())
    assert policy.host_allowed("10.0.0.5:8000")
    assert policy.host_allowed("DEVBOX.lan:8000")
    assert not policy.host_allowed("other.lan")
    assert not BrowserPolicy.build("0.0.0.0", (), ()).host_allowed("0.0.0.0")
    assert BrowserPolicy.build("127.0.0.1", ("*",), ()).host_allowed("anything")


def test_origins_are_normalised_and_checked() -> None:
    assert normalise_origin("HTTP://LocalHost:80/") == "http://localhost"
    assert normalise_origin("https://a.example:8443") == "https://a.example:8443"
    for bad in ("evil", "http://a/path", "file:///x", "http://u@a", "http://a:99999"):
        with pytest.raises(InvalidOriginError):
            normalise_origin(bad)
    policy = BrowserPolicy.build("127.0.0.1", (), ("http://localhost:3000",))
    assert policy.cors_origin("http://localhost:3000") == "http://localhost:3000"
    assert policy.cors_origin("http://localhost:3001") is None
    assert policy.cors_origin("null") is None
    assert BrowserPolicy.build("127.0.0.1", (), ("*",)).cors_origin("null") == "*"


def test_last_event_ids() -> None:
    assert parse_last_event_id("ab12:7") == LastEventId("ab12", 7)
    assert parse_last_event_id("7") == LastEventId(None, 7)
    for bad in ("²", "9" * 65, "x:1", "1:", ":1", "-1", "1.5", "ab12:7:8"):
        with pytest.raises(InvalidLastEventIdError):
            parse_last_event_id(bad)
