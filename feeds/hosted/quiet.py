"""A worker whose database is lost says so in a few lines, not in procrastinate's and psycopg's tracebacks.

When PostgreSQL goes away under a worker, procrastinate's listener and heartbeat log their exceptions with
tracebacks (the chain of a psycopg error wrapped in a ``ConnectorException``), and psycopg's pool logs "error
connecting" every time it retries, until the watchdog stops the worker with the one-line state error. This
filter, on the worker's log handlers, keeps those records to one line each -- the message and the database's own
error -- and lets each distinct line through once a minute.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..state.pg_schema import find_database_error

_NOISY = ("procrastinate", "psycopg")


class DatabaseLost(logging.Filter):
    """Records of procrastinate and psycopg about a lost database: one line each, and a line already shown in the
    last :attr:`AGAIN` seconds is dropped. Everything else passes unchanged (a real bug keeps its traceback)."""

    AGAIN = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.shown: dict[str, float] = {}
        self.clock = clock

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(_NOISY) or record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[1] if record.exc_info else None
        cause = find_database_error(exc) if exc is not None else None
        text = record.getMessage().splitlines()[0].strip()
        if cause is None and not (exc is None and text.startswith("error connecting")):
            return True
        if cause is not None:
            text = f"{text.split('(')[0].rstrip(': ')}: {' '.join(str(cause).split())}"
        now = self.clock()
        if now - self.shown.get(text, float("-inf")) < self.AGAIN:
            return False
        self.shown[text] = now
        record.msg, record.args, record.exc_info, record.exc_text, record.stack_info = text, (), None, None, None
        return True


def install() -> None:
    """On every handler of the root logger (the worker's stderr)."""
    quiet = DatabaseLost()
    for handler in logging.getLogger().handlers:
        handler.addFilter(quiet)
