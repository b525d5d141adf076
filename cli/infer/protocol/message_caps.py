"""How long a message may be: error messages and log lines are cut the same way in the server
and the worker, saying how much was left out, so no client or model can flood either.
"""

from __future__ import annotations

import logging

# An error body or a log line longer than this is cut, saying how much was left out.
MAX_MESSAGE_CHARS = 8 * 1024


def cap_text(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text``, cut to about ``limit`` characters with a count of what was left out."""
    if len(text) <= limit:
        return text
    omitted = len(text) - limit
    return f"{text[:limit]}… [{omitted} more characters omitted]"


class CappedLogFilter(logging.Filter):
    """Cuts every log record's message to MAX_MESSAGE_CHARS (a client can't flood the log)."""

    def __init__(self, limit: int = MAX_MESSAGE_CHARS) -> None:
        super().__init__()
        self.limit = limit

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keep the record; shorten it if needed."""
        message = record.getMessage()
        if len(message) > self.limit:
            record.msg = cap_text(message, self.limit)
            record.args = None
        return True


def cap_log_lines(limit: int = MAX_MESSAGE_CHARS) -> None:
    """Install CappedLogFilter on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, CappedLogFilter) for f in handler.filters):
            handler.addFilter(CappedLogFilter(limit))
