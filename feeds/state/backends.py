"""Which store a configuration means: the SQLite file (the embedded default) or PostgreSQL (``--state
postgresql://...``). The PostgreSQL driver is imported only when a database URL is given, so the embedded
default needs none of the hosted-mode packages.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from ..config import Config
from ..errors import OutputError, SeedfeedError
from .base import Store
from .store import Store as SqliteStore


def _pg(config: Config):  # type: ignore[no-untyped-def]
    try:
        from . import postgres
    except ImportError:
        raise OutputError(f"--state {config.state_url}: PostgreSQL support is not installed",
                          "pip install 'seedfeed[hosted]' (psycopg 3), or use a state file") from None
    return postgres


@contextlib.contextmanager
def database_errors(url: str | None) -> Iterator[None]:
    """Around a command's body: a PostgreSQL failure anywhere in it (server down, login refused, no such database,
    connection lost mid-run; raised by psycopg, or wrapped by procrastinate) becomes a state error naming the
    server (password redacted) and saying what to do -- exit 3 (README) instead of a traceback."""
    try:
        yield
    except SeedfeedError:
        raise
    except Exception as exc:
        if not url:
            raise
        from .pg_schema import find_database_error, state_error

        cause = find_database_error(exc)
        if cause is None:
            raise
        raise state_error(url, cause) from exc


def check_state(config: Config) -> None:
    """With the state in PostgreSQL, fail now with the state error (exit 3) if its database cannot be reached: a
    long-running command (``daemon``) says so at once instead of starting without it."""
    if config.state_url:
        with database_errors(config.state_url):
            _pg(config).connect(config.state_url).close()


def open_store(config: Config, feeds: Iterable[str] | None = None) -> Store:
    """The state, open for writing (migrated to the current schema first). ``feeds``: the run writes only these
    feeds, and PostgreSQL lets runs of other feeds write at the same time (the SQLite file has one writer)."""
    if config.state_url:
        return _pg(config).PgStore(config.state_url, config.state, feeds=feeds)
    return SqliteStore(config.state)


def scratch_store(config: Config) -> Store:
    """A copy of the state that a dry run may change and that is never written back."""
    if config.state_url:
        return _pg(config).PgStore(config.state_url, config.state, scratch=True)
    return SqliteStore.scratch(config.state)


def peek_store(config: Config) -> Store | None:
    """A read-only view of the state, or ``None`` when there is none yet."""
    if config.state_url:
        return _pg(config).PgStore.peek(config.state_url, config.state)
    return SqliteStore.peek(config.state)


def init_store(config: Config) -> tuple[int, int]:
    """Create or upgrade the state's schema; returns (version before, version after)."""
    if config.state_url:
        return _pg(config).migrate(config.state_url)
    import sqlite3

    from .store import SCHEMA_VERSION
    before = 0
    if config.state.is_file():
        db = sqlite3.connect(config.state)
        try:
            before = db.execute("PRAGMA user_version").fetchone()[0]
        finally:
            db.close()
    SqliteStore(config.state).close()
    return before, SCHEMA_VERSION
