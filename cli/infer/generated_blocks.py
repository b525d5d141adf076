"""Markdown blocks generated from data (the README's rule and error-code tables): the text
between two marker comments is rewritten from the catalogue, never edited by hand, and a test
per table fails when the file and its catalogue drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def with_block(text: str, begin: str, end: str, block: str) -> str:
    """``text`` with everything between the ``begin`` and ``end`` markers replaced by ``block``."""
    start, stop = text.index(begin), text.index(end)
    return text[: start + len(begin)] + "\n" + block + "\n" + text[stop:]


def rewrite_files(paths: list[str], transform: Callable[[str], str]) -> int:
    """Apply ``transform`` to each file named (a ``python -m`` entry point); returns 0."""
    for name in paths:
        path = Path(name)
        path.write_text(transform(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0
