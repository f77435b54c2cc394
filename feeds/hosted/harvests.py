"""What fetch jobs found, kept in PostgreSQL until the feed's render job applies it.

A fetch job (:mod:`.fetching`) writes one ``harvests`` row per claimed source -- the outcomes of that source
(its own, and those of the articles or entries it led to) as JSON, and the claim's epoch -- in the same
transaction that completes its claims, fenced by the epoch: a worker whose claim was taken over (its lease ran
out) completes nothing and writes nothing (:func:`commit`). A render job reads the newest row of each source of
its feed (a source fetched twice before a render applies its last answer), runs the pipeline on them, and
deletes the rows it read (:func:`newest`, :func:`consumed`). Rows left behind (a worker killed between the fetch
commit and queueing the render) are found by dispatch (:func:`waiting_feeds`), which queues their render.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import psycopg

from ..config import Config
from ..records import fields
from ..schedules import next_run
from ..sources.web import Harvest, Outcome, source_key
from ..state.merge import Observed
from ..state.rows import SourceState, doc_from_json, doc_to_json

_TIMES = {f.name for f in fields(SourceState) if f.name in
          ("last_run", "last_success", "failing_since", "deferred_since")}


def dump(outcomes: Iterable[Outcome]) -> str:
    """Outcomes as JSON text (times as ISO 8601, documents as the stores keep them)."""
    rows = []
    for o in outcomes:
        state = {k: (v.isoformat() if k in _TIMES and v is not None else v) for k, v in vars(o.state).items()}
        observed = None if o.observed is None else {"doc": doc_to_json(o.observed.doc),
                                                     "seen_at": o.observed.seen_at.isoformat()}
        rows.append({"state": state, "observed": observed, "retired": o.retired, "error": o.error})
    return json.dumps(rows, ensure_ascii=False)


def load(text: str) -> list[Outcome]:
    outcomes = []
    for row in json.loads(text):
        state = {k: (datetime.fromisoformat(v) if k in _TIMES and v is not None else v) for k, v in row["state"].items()}
        seen = row["observed"]
        observed = None if seen is None else Observed(doc_from_json(seen["doc"]), datetime.fromisoformat(seen["seen_at"]))
        outcomes.append(Outcome(SourceState(**state), observed, row["retired"], row["error"]))
    return outcomes


def by_source(harvest: Harvest, claimed: Iterable[str]) -> dict[str, list[Outcome]]:
    """Split one feed's harvest into the outcomes of each claimed source: a source's own outcome, and those of the
    articles (listings) or entries (feed sources) whose ``parent`` it is."""
    keys = list(claimed)
    parts: dict[str, list[Outcome]] = {k: [] for k in keys}
    for outcome in harvest.outcomes:
        url, parent = outcome.state.url, outcome.state.parent
        owner = url if url in parts else parent if parent in parts else keys[0]
        parts[owner].append(outcome)
    return parts


def commit(db: psycopg.Connection[Any], config: Config, claimed: dict[tuple[str, str], int],
           found: dict[tuple[str, str], list[Outcome]], now: datetime) -> set[tuple[str, str]]:
    """In one transaction: complete the claims still ours (same epoch: release the lease, set the next due time)
    and write a harvest row for each of them; returns the (feed, url) written. A claim lost to another worker is
    neither completed nor written. A source the fetch budget did not reach stays due now."""
    names = {k[0] for k in claimed}
    sources = {(f.name, source_key(s.url)): s for f in config.feeds if f.name in names for s in f.web_sources}
    keys = sorted(claimed)
    due = []
    for key in keys:
        own = next((o for o in found.get(key, ()) if o.state.url == key[1]), None)
        source = sources.get(key)
        deferred = source is None or own is None or own.state.deferred_since is not None
        due.append(now if deferred or source is None else next_run(source, config, now, now))
    with db.transaction():
        rows = db.execute(
            "UPDATE due_sources d SET lease_until = NULL, holder = NULL, due_at = c.due, fetches = d.fetches + 1"
            " FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::timestamptz[]) c(feed, url, epoch, due)"
            " WHERE d.feed = c.feed AND d.url = c.url AND d.epoch = c.epoch RETURNING d.feed, d.url",
            ([k[0] for k in keys], [k[1] for k in keys], [claimed[k] for k in keys], due)).fetchall()
        # A claim not returned was fenced off: another worker claimed the source since, its answer counts.
        written = {(r[0], r[1]) for r in rows}
        rows_out = [(k[0], k[1], claimed[k], dump(found[k])) for k in keys if k in written and found.get(k)]
        if rows_out:
            db.execute("INSERT INTO harvests (feed, url, epoch, fetched_at, outcomes) SELECT c.feed, c.url, c.epoch,"
                       " %s, c.outcomes FROM unnest(%s::text[], %s::text[], %s::bigint[], %s::text[])"
                       " c(feed, url, epoch, outcomes)",
                       (now, *(list(col) for col in zip(*rows_out, strict=True))))
    return written


def newest(db: psycopg.Connection[Any], feed: str) -> tuple[Harvest | None, list[int]]:
    """The newest row of each source of ``feed``, as one harvest (``None``: no rows), and the ids of every row
    read, for :func:`consumed` (older rows of a source are superseded by its newest). Rows of one source commit in
    the order they were fetched: a source is claimed again only after the claim before it was completed."""
    rows = db.execute("SELECT id, url, outcomes FROM harvests WHERE feed = %s ORDER BY id", (feed,)).fetchall()
    db.commit()
    if not rows:
        return None, []
    last = {url: text for _id, url, text in rows}   # the newest (highest id) of each source
    harvest = Harvest()
    for url in sorted(last):
        outcomes = load(last[url])
        harvest.outcomes += outcomes
        harvest.errors += [o.error for o in outcomes if o.error]
    return harvest, [r[0] for r in rows]


def consumed(db: psycopg.Connection[Any], ids: list[int]) -> int:
    """Delete the rows a render read; a row written since stays for the next render."""
    count = db.execute("DELETE FROM harvests WHERE id = ANY(%s)", (ids,)).rowcount
    db.commit()
    return count


def waiting_feeds(db: psycopg.Connection[Any]) -> list[str]:
    """Feeds with harvest rows no render has applied yet."""
    rows = db.execute("SELECT DISTINCT feed FROM harvests ORDER BY feed").fetchall()
    db.commit()
    return [r[0] for r in rows]
