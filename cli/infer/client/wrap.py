"""Word wrapping for text that arrives a few characters at a time.

The terminal would break a line mid-word; this inserts the line break before a word that would
not fit instead, without holding any text back (so nothing arrives late).
"""

from __future__ import annotations

import re
import unicodedata

_PIECES = re.compile(r"(\s+)")


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes (wide East Asian characters and emoji take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class WordWrap:
    """Feeds text through, adding a newline before each word that would cross ``width``."""

    def __init__(self, width: int) -> None:
        self.width = max(width, 8)
        self.column = 0
        self._mid_word = False  # the last piece ended inside a word (more of it may follow)

    def feed(self, text: str) -> str:
        """``text`` with the needed line breaks; call with each piece as it arrives."""
        out: list[str] = []
        for piece in _PIECES.split(text):
            if not piece:
                continue
            if piece.isspace():
                self._mid_word = False
                if "\n" in piece:
                    self.column = cell_width(piece[piece.rfind("\n") + 1 :])
                    out.append(piece)
                elif self.column + cell_width(piece) >= self.width:
                    out.append("\n")  # the spaces would end the line anyway
                    self.column = 0
                else:
                    out.append(piece)
                    self.column += cell_width(piece)
                continue
            width = cell_width(piece)
            if not self._mid_word and self.column and self.column + width > self.width:
                out.append("\n")
                self.column = 0
            out.append(piece)
            self.column = (
                (self.column + width) % self.width if width > self.width else self.column + width
            )
            self._mid_word = True
        return "".join(out)
