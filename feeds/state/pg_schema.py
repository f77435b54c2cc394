"""The PostgreSQL state's schema: versioned migrations, and a runner many processes may start at once.

Kept apart from :mod:`.postgres` (the store itself) so that each stays a small module. The versions and tables
mirror the SQLite store's (:mod:`.store`); :func:`migrate` runs under an advisory lock.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from ..errors import LockedError, OutputError

# Advisory lock key of the migration runner (a 64-bit number that nothing else on the server uses).
MIGRATE_LOCK = 0x5EEDFEED0001

# Each entry upgrades the schema from version i to i + 1. Never edit a released entry: append a new one.
# Version 1 is the SQLite store's schema 3, with byte-order collation on every text that is sorted or joined;
# versions 3 to 7 are its schemas 4 to 8; version 8 is hosted mode's robots.txt table, version 9 its harvests,
# version 10 its uploads pending.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE items (
        feed TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, key TEXT COLLATE "C" NOT NULL,
        slug TEXT COLLATE "C" NOT NULL, content_hash TEXT NOT NULL,
        published TEXT COLLATE "C" NOT NULL, updated TEXT COLLATE "C" NOT NULL, first_seen TEXT NOT NULL,
        size BIGINT NOT NULL DEFAULT -1, mtime_ns BIGINT NOT NULL DEFAULT -1,
        doc TEXT NOT NULL, removed_at TEXT, has_page INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (feed, id)
    );
    CREATE INDEX items_by_key ON items (feed, key);
    CREATE INDEX items_by_published ON items (feed, removed_at, published);
    CREATE TABLE feeds (
        name TEXT COLLATE "C" PRIMARY KEY, feed_id TEXT, fingerprint TEXT, changed_at TEXT, built_at TEXT,
        render_pending INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sources (
        feed TEXT COLLATE "C" NOT NULL, url TEXT COLLATE "C" NOT NULL, kind TEXT NOT NULL,
        etag TEXT, last_modified TEXT, last_status INTEGER,
        last_run TEXT, last_success TEXT, last_error TEXT, failing_since TEXT,
        not_found_count INTEGER NOT NULL DEFAULT 0,
        parent TEXT, location TEXT,
        PRIMARY KEY (feed, url)
    );
    """,
    # Hosted mode (seedfeed.hosted): which configured source is due when, who holds its lease, and its fencing
    # epoch; and each host's next allowed request start, shared by every worker.
    """
    CREATE TABLE due_sources (
        feed TEXT COLLATE "C" NOT NULL, url TEXT COLLATE "C" NOT NULL, host TEXT COLLATE "C" NOT NULL,
        due_at TIMESTAMPTZ NOT NULL, lease_until TIMESTAMPTZ, holder TEXT, epoch BIGINT NOT NULL DEFAULT 0,
        fetches BIGINT NOT NULL DEFAULT 0,
        PRIMARY KEY (feed, url)
    );
    CREATE INDEX due_sources_by_due ON due_sources (due_at);
    CREATE TABLE host_gates (host TEXT COLLATE "C" PRIMARY KEY, next_start TIMESTAMPTZ NOT NULL);
    """,
    # The SQLite store's schemas 4 to 8, in the same order (see seedfeed.state.store.MIGRATIONS for why).
    """
    ALTER TABLE sources ADD COLUMN deferred_since TEXT;
    """,
    """
    ALTER TABLE feeds ADD COLUMN base_url TEXT;
    """,
    """
    CREATE TABLE files (
        feed TEXT COLLATE "C" NOT NULL, item_id TEXT COLLATE "C" NOT NULL, path TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (feed, item_id, path)
    );
    UPDATE items SET size = -1, mtime_ns = -1 WHERE removed_at IS NULL;
    """,
    """
    CREATE TABLE archive (
        feed TEXT COLLATE "C" NOT NULL, id TEXT COLLATE "C" NOT NULL, page INTEGER NOT NULL, PRIMARY KEY (feed, id)
    );
    CREATE INDEX archive_by_page ON archive (feed, page);
    """,
    # SQLite schema 8: a run that adds one document to 100,000 checks its slug and finds the paged items without
    # a scan
    """
    CREATE INDEX items_by_slug ON items (feed, slug);
    CREATE INDEX items_paged ON items (feed, id) WHERE has_page = 1 AND removed_at IS NULL;
    """,
    # Hosted mode: each site's robots.txt, fetched once per expiry by one worker and obeyed by all of them
    # (seedfeed.hosted.robots). ``url`` is the robots.txt URL (scheme, host and port: one per site); ``mode`` the
    # verdict: "rules" (``body`` holds the text), "allow" (no rules, e.g. a 404) or "disallow" (unreadable: 5xx).
    """
    CREATE TABLE robots (
        url TEXT COLLATE "C" PRIMARY KEY, mode TEXT NOT NULL, body TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT '', fetched_at TIMESTAMPTZ NOT NULL, expires_at TIMESTAMPTZ NOT NULL
    );
    """,
    # Hosted mode: what a fetch job found for one claimed source (its outcomes as JSON: the source's own and its
    # articles' or entries'), waiting for the feed's render job, which applies the newest row per source and
    # deletes the rows it read (seedfeed.hosted.harvests). ``epoch`` is the claim's that wrote it. Fetch jobs claim
    # a host's due sources (seedfeed.hosted.claims.claim_host): an index on the host.
    """
    CREATE TABLE harvests (
        id BIGSERIAL PRIMARY KEY, feed TEXT COLLATE "C" NOT NULL, url TEXT COLLATE "C" NOT NULL,
        epoch BIGINT NOT NULL, fetched_at TIMESTAMPTZ NOT NULL, outcomes TEXT NOT NULL
    );
    CREATE INDEX harvests_by_feed ON harvests (feed, id);
    CREATE INDEX due_sources_by_host ON due_sources (host, due_at);
    """,
    # Hosted mode with S3 output: a render marks its feed here before it commits and unmarks it once its upload
    # ended, so a worker killed in between leaves the mark, and the feed's next render renders and uploads it in
    # full (seedfeed.hosted.jobs.render).
    "CREATE TABLE uploads_pending (feed TEXT COLLATE \"C\" PRIMARY KEY)",
)
SCHEMA_VERSION = len(MIGRATIONS)


def redact(url: str) -> str:
    """The URL without its password (in the user part or a ``password=`` parameter), for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        netloc = netloc.replace(f":{parts.password}@", ":***@", 1)
    query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def connect(url: str, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(url, autocommit=autocommit, connect_timeout=10)
    except psycopg.Error as exc:
        raise state_error(url, exc, connecting=True) from None


def find_database_error(exc: BaseException) -> psycopg.Error | None:
    """The PostgreSQL error behind ``exc``: itself, or its cause (procrastinate wraps psycopg's errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, psycopg.Error):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def state_error(url: str, exc: BaseException, *, connecting: bool = False) -> OutputError | LockedError:
    """A PostgreSQL failure as a state error (exit 3; 4 for a writer lock waited on too long): the server with its
    password redacted, what went wrong in libpq's words, and what to do about it. ``connecting``: it happened while
    connecting."""
    parts = urlsplit(url)
    detail = " ".join(str(exc).split())   # libpq's message, on one line
    for secret in (parts.password, *re.findall(r"(?:^|&)password=([^&]*)", parts.query)):
        if secret:
            detail = detail.replace(secret, "***")
    server = redact(url)
    sqlstate, low = getattr(exc, "sqlstate", None), detail.lower()
    if sqlstate == "3D000" or re.search(r'database "[^"]*" does not exist', low):
        name = parts.path.lstrip("/") or "NAME"
        return OutputError(f"{server}: the state database does not exist ({detail})",
                           f"create it (createdb -O USER {name}), then seedfeed state init --state URL; or fix the"
                           " database name in --state (or state = in seedfeed.toml)")
    if sqlstate in ("28P01", "28000") or any(s in low for s in ("password authentication failed", "no password supplied",
                                                                "pg_hba.conf", "authentication failed")):
        return OutputError(f"{server}: the PostgreSQL server refused the login ({detail})",
                           "check the user and password: keep the password in ~/.pgpass or PGPASSWORD rather than in"
                           " the URL; the server's pg_hba.conf must let this user in from this machine")
    if sqlstate == "55P03":   # lock_not_available: the store's lock_timeout ran out waiting for another writer
        return LockedError(f"{server}: another run held the state's writer lock for longer than 30 s ({detail})",
                           "wait for it: a `seedfeed build` on a PostgreSQL state writes every feed and takes turns"
                           " with the workers' refreshes; in hosted mode let the workers alone write the state")
    if connecting:
        return OutputError(f"{server}: cannot connect to the state database ({detail})",
                           "start PostgreSQL there, or fix the host and port in --state (or state = in seedfeed.toml),"
                           " then run the command again")
    return OutputError(f"{server}: the state database failed during the run ({detail})",
                       "see the PostgreSQL server's log; what the run had not committed was rolled back, so run the"
                       " command again once the server answers")


def schema_version(db: psycopg.Connection[Any]) -> int:
    """The version the database is at: 0 when seedfeed never ran there."""
    if db.execute("SELECT to_regclass('seedfeed_schema')").fetchone()[0] is None:  # type: ignore[index]
        return 0
    row = db.execute("SELECT version FROM seedfeed_schema").fetchone()
    return int(row[0]) if row else 0


def migrate(url: str) -> tuple[int, int]:
    """Bring the database at ``url`` to :data:`SCHEMA_VERSION`; returns (version before, version after).

    Safe to start from many processes at once: the first takes the advisory lock and migrates, the others wait
    for it and then find nothing left to do. Each step commits with its new version number, so a runner killed
    halfway leaves a database at a known version that the next runner continues from."""
    with connect(url, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(%s)", (MIGRATE_LOCK,))
        try:
            before = version = schema_version(db)
            if version > SCHEMA_VERSION:
                raise OutputError(f"{redact(url)}: state was written by a newer seedfeed (schema {version})",
                                  "upgrade seedfeed on every machine that uses this database")
            for number in range(version, SCHEMA_VERSION):
                with db.transaction():
                    _step(db, number)
                version = number + 1
            return before, version
        finally:
            db.execute("SELECT pg_advisory_unlock(%s)", (MIGRATE_LOCK,))


def _step(db: psycopg.Connection[Any], number: int) -> None:
    """Apply migration ``number`` (from version ``number`` to ``number + 1``) in the current transaction."""
    if number == 0:
        db.execute("CREATE TABLE seedfeed_schema (version INTEGER NOT NULL)")
        db.execute("INSERT INTO seedfeed_schema VALUES (0)")
    db.execute(MIGRATIONS[number])
    db.execute("UPDATE seedfeed_schema SET version = %s", (number + 1,))
