"""Keeping the values of variables given to `infer serve` out of what the worker writes.

The server passes the worker the *names* of the variables it set (never the values, which
reach the worker through its environment). The worker masks those values in its log output
and in the failure messages it sends. Values shorter than MIN_MASKED_LENGTH are left alone:
masking "1" or "cpu" everywhere would garble logs, and secrets are longer than that.
Standard library only: this module runs inside isolated environments.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from typing import Any, TextIO

SECRET_NAMES_VARIABLE = "INFER_SECRET_NAMES"
MASK = "***"
MIN_MASKED_LENGTH = 8


def secret_values(environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """The values to mask, longest first (so a value containing another is masked whole)."""
    environ = os.environ if environ is None else environ
    names = [name for name in environ.get(SECRET_NAMES_VARIABLE, "").split(",") if name]
    values = {environ[name] for name in names if len(environ.get(name, "")) >= MIN_MASKED_LENGTH}
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, values: tuple[str, ...] | None = None) -> str:
    """``text`` with every secret value replaced by ``***``."""
    for value in secret_values() if values is None else values:
        if value in text:
            text = text.replace(value, MASK)
    return text


class RedactingStream:
    """A text stream that masks secret values in everything written to it."""

    def __init__(self, inner: TextIO, values: tuple[str, ...]) -> None:
        self._inner = inner
        self._values = values

    def write(self, text: str) -> int:
        """Write ``text`` masked; returns the length the caller asked to write."""
        self._inner.write(redact(text, self._values))
        return len(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def install_redaction() -> None:
    """Mask secret values on the worker's stdout, stderr and logging handlers."""
    values = secret_values()
    if not values:
        return
    stdout, stderr = sys.stdout, sys.stderr
    wrapped = {
        id(stdout): RedactingStream(stdout, values),
        id(stderr): RedactingStream(stderr, values),
    }
    sys.stdout = wrapped[id(stdout)]
    sys.stderr = wrapped[id(stderr)]
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler) and id(handler.stream) in wrapped:
            handler.setStream(wrapped[id(handler.stream)])
