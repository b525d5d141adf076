"""Input values written as text (`--input NAME=VALUE`, a query string) read as their datatype."""

from __future__ import annotations

TRUE_WORDS = {"true", "1", "yes", "y", "on"}
FALSE_WORDS = {"false", "0", "no", "n", "off"}


class TextValueError(ValueError):
    """The text is not a value of the datatype; the message says why, for the user."""


def parse_text_value(datatype: str, text: str) -> object:
    """``text`` as a value of the schema ``datatype`` (STRING, INT, FLOAT, BOOLEAN)."""
    if datatype == "INT":
        try:
            return int(text)
        except ValueError:
            raise TextValueError(f"{text!r} is not an integer") from None
    if datatype == "FLOAT":
        try:
            return float(text)
        except ValueError:
            raise TextValueError(f"{text!r} is not a number") from None
    if datatype == "BOOLEAN":
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise TextValueError(f"{text!r} is not a boolean; use true or false")
    return text
