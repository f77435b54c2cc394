"""Due sources, claimed so that no source is fetched twice at once anywhere.

Each configured URL source has a row in ``due_sources``: when it is next due, who holds its lease until when,
and an *epoch* bumped by every claim. A claim is ``FOR UPDATE SKIP LOCKED`` (two workers never wait on or take
the same row) plus a lease (a worker that dies loses its sources when the lease runs out, or at once to a retry
of the same job). Everything a claimant does afterwards is fenced by the epoch it got: renewing the lease before
writing, and completing, only succeed while the epoch is still its own -- so a late worker whose lease ran out
and whose sources were claimed again writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg

from ..config import Config
from ..schedules import next_run
from ..sources.web import source_key

LEASE = timedelta(minutes=10)   # longer than any one refresh may take: a fetch try is cut off after 60 s


def host_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or ''}:{parts.port or ''}"


def sync(db: psycopg.Connection[Any], config: Config, now: datetime) -> int:
    """Give every configured URL source a row (due now if new), and drop the rows of sources no longer
    configured; returns how many were added."""
    rows = [(feed.name, source_key(s.url), host_of(s.url), now) for feed in config.feeds for s in feed.web_sources]
    with db.cursor() as cur:
        before = cur.execute("SELECT count(*) FROM due_sources").fetchone()[0]  # type: ignore[index]
        cur.executemany("INSERT INTO due_sources (feed, url, host, due_at) VALUES (%s, %s, %s, %s)"
                        " ON CONFLICT (feed, url) DO NOTHING", rows)
        after = cur.execute("SELECT count(*) FROM due_sources").fetchone()[0]  # type: ignore[index]
        if after > len(rows):
            cur.execute("DELETE FROM due_sources WHERE (feed, url) NOT IN (SELECT * FROM unnest(%s::text[], %s::text[]))",
                        ([r[0] for r in rows], [r[1] for r in rows]))
    db.commit()
    return int(after - before)


def due_feeds(db: psycopg.Connection[Any], now: datetime) -> list[str]:
    """Feeds with at least one due source that nobody holds."""
    rows = db.execute("SELECT DISTINCT feed FROM due_sources WHERE due_at <= %s AND (lease_until IS NULL"
                      " OR lease_until < %s) ORDER BY feed", (now, now)).fetchall()
    db.commit()
    return [r[0] for r in rows]


def claim(db: psycopg.Connection[Any], feed: str, holder: str, now: datetime, limit: int = 1000) -> dict[str, int]:
    """Lease the due sources of ``feed`` that nobody holds (or that ``holder`` -- a retry of the same job --
    held); returns url -> epoch."""
    rows = db.execute(
        "UPDATE due_sources d SET lease_until = %(until)s, holder = %(holder)s, epoch = d.epoch + 1"
        " FROM (SELECT feed, url FROM due_sources WHERE feed = %(feed)s AND due_at <= %(now)s"
        "       AND (lease_until IS NULL OR lease_until < %(now)s OR holder = %(holder)s)"
        "       ORDER BY due_at, url LIMIT %(limit)s FOR UPDATE SKIP LOCKED) c"
        " WHERE d.feed = c.feed AND d.url = c.url RETURNING d.url, d.epoch",
        {"feed": feed, "now": now, "until": now + LEASE, "holder": holder, "limit": limit}).fetchall()
    db.commit()
    return {r[0]: int(r[1]) for r in rows}


def renew(db: psycopg.Connection[Any], feed: str, claimed: dict[str, int], now: datetime) -> set[str]:
    """Extend the leases still ours (same epoch); returns the urls we lost."""
    kept = db.execute(
        "UPDATE due_sources SET lease_until = %s WHERE feed = %s AND (url, epoch) IN"
        " (SELECT * FROM unnest(%s::text[], %s::bigint[])) RETURNING url",
        (now + LEASE, feed, list(claimed), list(claimed.values()))).fetchall()
    db.commit()
    return set(claimed) - {r[0] for r in kept}


def complete(db: psycopg.Connection[Any], config: Config, feed: str, claimed: dict[str, int], now: datetime) -> int:
    """Release the leases still ours and set each source's next due time; returns how many were ours.

    A source the run's fetch budget did not reach (``deferred_since`` in the state) stays due now, so the next
    dispatch queues it again instead of waiting for its next scheduled time."""
    feed_config = next(f for f in config.feeds if f.name == feed)
    sources = {source_key(s.url): s for s in feed_config.web_sources}
    deferred = {r[0] for r in db.execute("SELECT url FROM sources WHERE feed = %s AND deferred_since IS NOT NULL",
                                         (feed,))}
    rows: Iterable[tuple[Any, ...]] = [(now if url in deferred else next_run(sources[url], config, now, now), feed, url,
                                        epoch) for url, epoch in claimed.items() if url in sources]
    done = 0
    with db.cursor() as cur:
        for row in rows:
            cur.execute("UPDATE due_sources SET lease_until = NULL, holder = NULL, due_at = %s, fetches = fetches + 1"
                        " WHERE feed = %s AND url = %s AND epoch = %s", row)
            done += cur.rowcount
    db.commit()
    return done
