"""Text from the network made safe to print on a terminal.

A model (or a server) can send escape sequences that clear the screen, retitle the window, write
the clipboard (OSC 52) or reorder what the reader sees (bidi overrides). Every such character is
shown escaped instead (`\\x1b`), one character at a time, so a sequence split across two chunks
is as harmless as a whole one. Newlines and tabs pass; carriage returns are dropped, as they
would let text overwrite the line it is on.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f{_BIDI}]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_safe(text: str) -> str:
    """``text`` with every control, escape and bidi-override character shown escaped."""
    return _UNSAFE.sub(_escaped, text.replace("\r", ""))
