"""The feeds' summaries for the site job (overview, OPML), read again only for the feeds written since.

Rewriting the overview read two queries per feed (its count and newest items) and parsed their documents: 1.3 s
of CPU for 2,500 feeds (``bench/hosted_jobs.py``), on every site job. A worker keeps each feed's summary with the
feed's row in ``feeds`` as it was then (``built_at``, set by every run that looked at the feed, ``changed_at`` and
``fingerprint``; or that it had no row yet); a site job reads that table once and only the feeds whose row moved.
In case a row could stay the same across a change (two runs with one pinned ``SOURCE_DATE_EPOCH`` clock),
everything is read again every :data:`FULL_EVERY` seconds.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..config import Config
from ..site import summarize
from ..state.base import Store

if TYPE_CHECKING:
    from ..render.site_pages import FeedSummary

FULL_EVERY = 600.0   # seconds


class Summaries:
    """One worker process's summaries; ``get`` is called by its site jobs (one at a time: the job's lock)."""

    def __init__(self, clock: Any = time.monotonic) -> None:
        self.known: dict[str, tuple[tuple[Any, ...], FeedSummary]] = {}
        self.clock = clock
        self.full_at = float("-inf")
        self.reads = 0   # feeds read from the store, for tests and benches

    def get(self, config: Config, store: Store, db: Any) -> list[FeedSummary]:
        """``db``: a connection to the state (PostgreSQL) that sees what ``store`` sees."""
        if self.clock() - self.full_at >= FULL_EVERY:
            self.known.clear()
            self.full_at = self.clock()
        rows = {r[0]: tuple(r[1:]) for r in db.execute("SELECT name, built_at, changed_at, fingerprint FROM feeds")}
        summaries = []
        for feed in config.feeds:
            mark = rows.get(feed.name, ())
            kept = self.known.get(feed.name)
            if kept is None or kept[0] != mark:   # (no row yet is a mark too: the feed's first run adds one)
                kept = self.known[feed.name] = (mark, summarize(config, feed, store))
                self.reads += 1
            summaries.append(kept[1])
        return summaries
