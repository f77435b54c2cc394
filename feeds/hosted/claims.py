"""Due sources, claimed so that no source is fetched twice at once anywhere.

Each configured URL source has a row in ``due_sources``: when it is next due, who holds its lease until when,
and an *epoch* bumped by every claim. A claim is ``FOR UPDATE SKIP LOCKED`` (two workers never wait on or take
the same row) plus a lease (a worker that dies loses its sources when the lease runs out, or at once to a retry
of the same job). Sources are claimed per host, a shard at a time (:func:`claim_host`: a fetch job's share of one host's
due sources). Completing a claim is fenced by the epoch it got: it succeeds only while the epoch is still its own
(:func:`seedfeed.hosted.harvests.commit`, which writes the fetch's results in the same transaction) -- so a late
worker whose lease ran out and whose sources were claimed again writes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import psycopg

from ..config import Config
from ..sources.web import source_key

LEASE = timedelta(minutes=10)   # longer than any one fetch job may take: a fetch try is cut off after 60 s
SHARD = 100   # sources one fetch job claims at most: a host with more due gets several jobs, fetching at once


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


def due_hosts(db: psycopg.Connection[Any], now: datetime) -> dict[str, int]:
    """Hosts with due sources that nobody holds, and how many each has."""
    rows = db.execute("SELECT host, count(*) FROM due_sources WHERE due_at <= %s AND (lease_until IS NULL"
                      " OR lease_until < %s) GROUP BY host ORDER BY host", (now, now)).fetchall()
    db.commit()
    return {r[0]: int(r[1]) for r in rows}


def claim_host(db: psycopg.Connection[Any], host: str, holder: str, now: datetime, limit: int = SHARD
               ) -> dict[tuple[str, str], int]:
    """Lease up to ``limit`` due sources of ``host`` (of any feed) that nobody holds, or that ``holder`` -- a retry
    of the same job -- held; returns (feed, url) -> epoch. Two jobs of one host get disjoint shards."""
    rows = db.execute(
        "UPDATE due_sources d SET lease_until = %(until)s, holder = %(holder)s, epoch = d.epoch + 1"
        " FROM (SELECT feed, url FROM due_sources WHERE host = %(host)s AND due_at <= %(now)s"
        "       AND (lease_until IS NULL OR lease_until < %(now)s OR holder = %(holder)s)"
        "       ORDER BY due_at, feed, url LIMIT %(limit)s FOR UPDATE SKIP LOCKED) c"
        " WHERE d.feed = c.feed AND d.url = c.url RETURNING d.feed, d.url, d.epoch",
        {"host": host, "now": now, "until": now + LEASE, "holder": holder, "limit": limit}).fetchall()
    db.commit()
    return {(r[0], r[1]): int(r[2]) for r in rows}
