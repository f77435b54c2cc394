"""robots.txt shared by every worker: kept in PostgreSQL, fetched once per site per expiry.

Each worker's :class:`~seedfeed.fetch.robots.RobotsCache` would otherwise fetch every site's robots.txt itself,
and two workers could obey two different versions of it. :class:`SharedRobots` keeps the verdict (the rules'
text, or "allow"/"disallow" with the reason) in the ``robots`` table with its expiry (24 hours for rules, 10
minutes when robots.txt could not be read: :mod:`seedfeed.fetch.robots` decides, as RFC 9309 says). A worker
that finds no fresh row takes the site's advisory lock, looks again, and only then fetches: the others wait for
it and read its row. In memory each keeps what it read until the row's expiry.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from ..fetch.robots import RobotsCache, _Entry
from ..state.postgres import feed_lock

ROBOTS_LOCKS = 0x5EED0012   # the space of each site's robots.txt lock (seedfeed.state.postgres.feed_lock)


class SharedRobots(RobotsCache):
    """A :class:`RobotsCache` whose entries live in the ``robots`` table of the state database at ``url``."""

    def __init__(self, url: str, user_agent: str, fetch: Callable[[str], tuple[int, bytes]], **kwargs: object) -> None:
        super().__init__(user_agent, fetch, **kwargs)  # type: ignore[arg-type]
        self.url = url

    def _load(self, robots_url: str) -> _Entry:
        # Its own connection (not the gates' pool): the lock is held while robots.txt is fetched through a gate.
        with psycopg.connect(self.url, autocommit=True) as db, db.transaction():
            db.execute("SELECT pg_advisory_xact_lock(%s)", (feed_lock(robots_url, ROBOTS_LOCKS),))
            row = db.execute("SELECT mode, body, note, extract(epoch FROM expires_at - now())::float8 FROM robots"
                             " WHERE url = %s AND expires_at > now()", (robots_url,)).fetchone()
            if row is not None:   # another worker (or an earlier job) fetched it
                return _Entry.restore(robots_url, row[0], row[1], row[2], self._clock() + row[3])
            entry = super()._load(robots_url)   # fetches; raises (nothing kept) when the run is out of time
            db.execute("INSERT INTO robots (url, mode, body, note, fetched_at, expires_at)"
                       " VALUES (%s, %s, %s, %s, now(), now() + %s * interval '1 second') ON CONFLICT (url) DO UPDATE"
                       " SET mode = excluded.mode, body = excluded.body, note = excluded.note,"
                       " fetched_at = excluded.fetched_at, expires_at = excluded.expires_at",
                       (robots_url, entry.mode, entry.body, entry.note, max(0.0, entry.expires - self._clock())))
            return entry
