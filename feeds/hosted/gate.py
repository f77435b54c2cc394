"""Politeness across every worker, not per worker: per-host concurrency and spacing, and Retry-After.

The in-process :class:`~seedfeed.fetch.http._HostGate` keeps one process polite; with many workers on many
machines each would allow its own ``per_host_concurrency``. Here the limits live in PostgreSQL:

* **concurrency**: a request holds one of the host's ``per_host_concurrency`` advisory locks (two-key form:
  the host's hash and the slot number) on its own connection, released when it is done -- or by the server when
  a killed worker's connection closes, so a crash never leaks a slot;
* **spacing**: ``host_gates.next_start`` is pushed forward atomically by ``per_host_delay`` for each request
  start, and the caller sleeps until its turn;
* **Retry-After**: a 429 or 503 pushes ``next_start`` to now + Retry-After for every worker, not just this one.
"""

from __future__ import annotations

import contextlib
import time
import zlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from psycopg_pool import ConnectionPool

from ..fetch.fetcher import Fetcher
from ..fetch.http import _Transient
from ..fetch.policy import DEFAULT_USER_AGENT, FetchPolicy
from .claims import host_of
from .robots import SharedRobots


class SharedGate:
    """The gate of one host, backed by the database (same interface as ``_HostGate``: ``slot()``)."""

    def __init__(self, pool: ConnectionPool[Any], host: str, concurrency: int, delay: float) -> None:
        self.pool, self.host, self.concurrency, self.delay = pool, host, max(1, concurrency), delay
        self.key = zlib.crc32(host.encode()) - 2**31   # int4 for the two-key advisory lock

    @contextlib.contextmanager
    def slot(self, until: float | None = None, late: Callable[[], Exception] = TimeoutError) -> Iterator[None]:
        """Wait for a turn. ``until`` (``time.monotonic()``): when no turn starts before it, raise ``late()`` at
        once (as ``_HostGate.slot`` does), without pushing the host's next start for a request never made."""
        with self.pool.connection() as db:
            db.autocommit = True
            slot = self._take_slot(db, until, late)
            try:
                left = None if until is None else max(0.0, until - time.monotonic())
                start = db.execute(
                    "INSERT INTO host_gates (host, next_start) VALUES (%s, now() + %s * interval '1 second')"
                    " ON CONFLICT (host) DO UPDATE SET next_start = greatest(host_gates.next_start, now())"
                    " + %s * interval '1 second'"
                    " WHERE %s::float8 IS NULL OR host_gates.next_start <= now() + %s * interval '1 second'"
                    " RETURNING next_start - %s * interval '1 second', now()",
                    (self.host, self.delay, self.delay, left, left, self.delay)).fetchone()
                if start is None:   # no turn before the deadline
                    raise late()
                wait = (start[0] - start[1]).total_seconds()
                if wait > 0:
                    time.sleep(wait)
                yield
            finally:
                db.execute("SELECT pg_advisory_unlock(%s, %s)", (self.key, slot))

    def _take_slot(self, db: Any, until: float | None = None, late: Callable[[], Exception] = TimeoutError) -> int:
        pause = 0.01
        while True:
            for slot in range(self.concurrency):
                if db.execute("SELECT pg_try_advisory_lock(%s, %s)", (self.key, slot)).fetchone()[0]:
                    return slot
            if until is not None and time.monotonic() + pause > until:
                raise late()
            time.sleep(pause)
            pause = min(pause * 2, 0.2)

    def hold_off(self, seconds: float) -> None:
        """The host asked every client to wait (Retry-After): no worker starts a request there before then."""
        with self.pool.connection() as db:
            db.autocommit = True
            db.execute("INSERT INTO host_gates (host, next_start) VALUES (%s, now() + %s * interval '1 second')"
                       " ON CONFLICT (host) DO UPDATE SET next_start = greatest(host_gates.next_start, excluded.next_start)",
                       (self.host, seconds))


class SharedFetcher(Fetcher):
    """A :class:`Fetcher` whose per-host gates are shared by every worker through PostgreSQL."""

    def __init__(self, policy: FetchPolicy, url: str, *, max_connections: int = 16,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(policy, sleep=sleep)
        self.pool: ConnectionPool[Any] = ConnectionPool(url, min_size=1, max_size=max_connections, open=True)
        self._shared: dict[str, SharedGate] = {}
        # robots.txt too is shared: one copy per site in the database, fetched once per expiry by one worker
        self.robots = self.exchange.robots = SharedRobots(url, policy.user_agent or DEFAULT_USER_AGENT,
                                                          self._fetch_robots, clock=self._clock)

    def _gate(self, url: str) -> SharedGate:  # type: ignore[override]
        host = host_of(url)
        with self._gates_lock:
            gate = self._shared.get(host)
            if gate is None:
                gate = self._shared[host] = SharedGate(self.pool, host, self.policy.per_host_concurrency,
                                                       self.policy.per_host_delay)
            return gate

    def _with_retries(self, url: str, attempt: Callable[[], Any], retries: int | None = None) -> Any:
        def shared_attempt() -> Any:
            try:
                return attempt()
            except _Transient as t:
                if t.retry_after is not None:
                    self._gate(url).hold_off(t.retry_after)
                raise
        return super()._with_retries(url, shared_attempt, retries)

    def close(self) -> None:
        super().close()
        self.pool.close()


def now_utc() -> datetime:
    return datetime.now(UTC)
