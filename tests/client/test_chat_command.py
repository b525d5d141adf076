"""`infer chat`: under a real pty (turns, Ctrl-C mid-answer, history), piped, and its parts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pexpect
import pytest

from infer.client.chat_session import base_url, parse_param
from infer.client.terminal import sanitise
from infer.errors import UsageError
from tests.conftest import StartServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


def plain(text: str) -> str:
    """Terminal output without colour codes and carriage returns."""
    return ANSI.sub("", text).replace("\r", "")


def chat_process(url: str, *args: str) -> pexpect.spawn[str]:
    return pexpect.spawn(
        sys.executable,
        ["-m", "infer", "chat", "--url", url, *args],
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 400),
        env={"TERM": "xterm", "PATH": "/usr/bin:/bin", "COLUMNS": "400"},
    )


def test_chat_under_a_pty_keeps_history_and_ctrl_c_stops_only_the_answer(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("openai_chat")
    marker = tmp_path / "cancelled"
    child = chat_process(server.url, "--system", "Be brief.")
    seen: list[str] = []

    def turn(line: str) -> str:
        child.sendline(line)
        child.expect("TTFT")
        answer = child.before
        child.expect("› ")
        assert answer is not None and child.before is not None
        seen.append(answer + child.before)
        # The cause of a failed turn is on the lines after the stats (e.g. a replay that lost
        # events): show it rather than only the answer that is missing.
        assert "■ error" not in plain(answer), f"{line!r} ended in an error:\n{plain(seen[-1])}"
        return plain(answer)

    try:
        child.expect("infer chat · chat at")
        child.expect("› ")
        first = turn("first question")
        assert '"content": "first question"' in first
        second = turn("second question")
        # The second request carried the system prompt and the whole first turn.
        roles = re.findall(r'"role": "(\w+)"', second)
        assert roles == ["system", "user", "assistant", "user", "user"][: len(roles)]
        assert '"content": "Be brief."' in second and '"content": "second question"' in second
        assert "first question" in second
        assert "Be brief." in second

        child.sendline(f"/params delay_ms=40 marker={marker}")
        child.expect("params: delay_ms=40")
        child.expect("› ")
        child.sendline("count 400")
        child.expect("w5 ")
        child.sendcontrol("c")
        child.expect(r"stopped \(Ctrl-C\)")
        child.expect("› ")
        deadline = time.monotonic() + 15
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.read_text() == "cancelled"  # the server stopped generating

        child.sendline("/params delay_ms=none marker=none")
        child.expect("no parameters set")
        child.expect("› ")
        after = turn("after the stop")
        # The partial answer stayed in the history, as the user saw it.
        assert '"content": "w0 w1 w2 w3 w4 w5 ' in after

        saved = tmp_path / "chat.json"
        child.sendline(f"/save {saved}")
        child.expect("saved 9 message")
        child.expect("› ")
        document = json.loads(saved.read_text())
        assert document["model"] == "chat"
        assert [m["role"] for m in document["messages"]] == [
            "system", "user", "assistant", "user", "assistant",
            "user", "assistant", "user", "assistant",
        ]  # fmt: skip
        child.sendline("/reset")
        child.expect("conversation cleared")
        child.expect("› ")
        fresh = turn("fresh start")
        assert "first question" not in fresh

        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    assert "Traceback" not in plain("".join(seen))


def test_piped_chat_reads_turns_from_stdin_and_escapes_terminal_sequences(
    start_server: StartServer,
) -> None:
    server = start_server("echo_stream")
    turns = "hello there\n/params DELAY=1\nclear \x1b[2J screen \x1b]52;c;aGk=\x07 now\n"
    done = subprocess.run(
        [sys.executable, "-m", "infer", "chat", "--url", f"{server.url}/v1"],
        input=turns,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "hello there ",
        # The echo model repeats its TEXT input: the first turn as transcript, then the question.
        "User: hello there Assistant: hello there clear \\x1b[2J screen \\x1b]52;c;aGk=\\x07 now ",
    ]
    assert "\x1b" not in done.stdout
    assert done.stderr.count("TTFT") == 2
    assert "params: DELAY=1" in done.stderr


def test_chat_without_a_server_says_so(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "infer", "chat", "--url", "http://127.0.0.1:9"],
        input="hi\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.splitlines()[0] == "error: cannot connect to http://127.0.0.1:9"
    assert "Traceback" not in done.stderr


def test_server_errors_are_shown_and_the_chat_goes_on(start_server: StartServer) -> None:
    server = start_server("misbehaving")
    done = subprocess.run(
        [sys.executable, "-m", "infer", "chat", "--url", server.url],
        input="raise\nok\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.splitlines()[0] == "onetwo"
    assert "■ error" in done.stderr
    assert "error: ValueError: boom at token 3" in done.stderr
    assert "■ done · 0 chunks" in done.stderr  # the next turn was answered


def test_chat_shows_controls_and_bidi_escaped_but_keeps_text() -> None:
    assert sanitise("plain\ttext\nnext") == "plain\ttext\nnext"
    assert sanitise("a\x1b[31mred") == "a\\x1b[31mred"
    assert sanitise("\x9b2J\x07\x00") == "\\x9b2J\\x07\\x00"
    assert sanitise("over\rwrite") == "over\\x0dwrite"
    assert sanitise("abc\u202edcba") == "abc\\u202edcba"
    assert sanitise("café 🍳 日本") == "café 🍳 日本"


def test_params_and_urls_parse_as_documented() -> None:
    assert parse_param("temperature=0.2") == ("temperature", 0.2)
    assert parse_param('stop=["END"]') == ("stop", ["END"])
    assert parse_param("style=terse") == ("style", "terse")
    assert parse_param("seed=none") == ("seed", None)
    with pytest.raises(UsageError):
        parse_param("temperature")
    assert base_url("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000"
    assert base_url("https://host/prefix/v1") == "https://host/prefix"
    with pytest.raises(UsageError):
        base_url("127.0.0.1:8000")
