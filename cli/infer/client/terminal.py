"""Making text from the network safe to print on a terminal.

A server can put escape sequences in its tokens or error messages: clear the screen, set the
window title, write the clipboard (OSC 52), recolour the prompt, or reorder text with bidi
overrides. In text mode every such character is shown escaped (``\\x1b``, ``\\u202e``), so what
the user sees is what was sent, inert.
"""

from __future__ import annotations

import re

# C0 controls except TAB and LF, DEL, C1 controls, and the bidi embedding/override/isolate
# characters and marks that can make text display in an order other than the one it has.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def sanitise(text: str) -> str:
    """``text`` with every control, escape-sequence and bidi-override character shown escaped."""
    return _UNSAFE.sub(_escape, text)


def escape_json_line(line: str) -> str:
    """A JSON text with the characters above written as ``\\uXXXX`` (same value, inert)."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", line)
