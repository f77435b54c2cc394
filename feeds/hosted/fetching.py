"""The fetch job: claim a shard of one host's due sources, fetch and extract them, and hand the results over.

Fetching and extracting run outside every writer lock (no feed is locked, nothing in the state is written): the
results go to the ``harvests`` table in the transaction that completes the claims, fenced by their epochs
(:func:`seedfeed.hosted.harvests.commit`). The feeds touched are returned, for the caller to queue their renders.
A shard may hold sources of several feeds (one host serves many feeds): each feed's sources are fetched by the
same code as ``seedfeed build`` (:func:`seedfeed.sources.web.harvest` and ``harvest_feeds``), on a sub-config
holding only the claimed sources, the feeds side by side so the host's concurrency limit can be used.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import psycopg

from ..config import Config, FeedConfig
from ..pipeline import make_fetcher
from ..records import replace
from ..sources.feed import harvest_feeds
from ..sources.web import Harvest, Outcome, harvest, source_key
from ..state.backends import peek_store
from . import claims, harvests
from .gate import SharedFetcher

log = logging.getLogger(__name__)


class _Serialised:
    """A read-only store shared by the feeds' threads: one call at a time on its one connection."""

    def __init__(self, store: Any) -> None:
        self._store, self._lock = store, threading.Lock()

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._store, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                return method(*args, **kwargs)
        return call


def only(feed: FeedConfig, keys: set[str]) -> FeedConfig:
    """The feed with only the URL sources whose keys are given (the claimed ones)."""
    def keep(sources: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(s for s in sources if source_key(s.url) in keys)
    return replace(feed, pages=keep(feed.pages), listings=keep(feed.listings),
                               feed_sources=keep(feed.feed_sources))


def fetch_claimed(config: Config, claimed: dict[tuple[str, str], int], fetcher: Any, now: datetime,
                  threads: int = 2) -> dict[tuple[str, str], list[Outcome]]:
    """Fetch and extract the claimed sources; returns each one's outcomes (its own, its articles' or entries')."""
    wanted: dict[str, set[str]] = {}
    for feed, url in claimed:
        wanted.setdefault(feed, set()).add(url)
    feeds = [f for f in config.feeds if f.name in wanted]
    reader = peek_store(config)
    shared = _Serialised(reader) if reader is not None else None
    stop_at = time.monotonic() + config.fetch_budget

    def one(feed: FeedConfig) -> dict[tuple[str, str], list[Outcome]]:
        sub = only(feed, wanted[feed.name])
        found = Harvest()
        if sub.pages or sub.listings:
            found.extend(harvest(config, sub, shared, lambda: fetcher, now, None, stop_at=stop_at))   # type: ignore[arg-type]
        if sub.feed_sources:
            found.extend(harvest_feeds(config, sub, shared, lambda: fetcher, now, None, stop_at=stop_at))  # type: ignore[arg-type]
        for message in found.errors:
            log.info("%s: %s", feed.name or "(default)", message)
        return {(feed.name, url): outcomes for url, outcomes in harvests.by_source(found, wanted[feed.name]).items()}

    try:
        result: dict[tuple[str, str], list[Outcome]] = {}
        if len(feeds) == 1 or threads <= 1:
            for feed in feeds:
                result.update(one(feed))
            return result
        with ThreadPoolExecutor(max_workers=min(threads, len(feeds))) as pool:
            for part in pool.map(one, feeds):
                result.update(part)
        return result
    finally:
        if reader is not None:
            reader.close()


def fetch(config: Config, host: str, holder: str, concurrency: int = 2, delay: float = 1.0,
          shard: int = claims.SHARD) -> list[str]:
    """Claim up to ``shard`` due sources of ``host``, fetch them politely across all workers, and write the
    results with the claims' completion; returns the feeds that got harvest rows (to be rendered)."""
    assert config.state_url
    with psycopg.connect(config.state_url) as db:
        claimed = claims.claim_host(db, host, holder, datetime.now(UTC), shard)
        if not claimed:
            return []
        policy = replace(make_fetcher(config).policy, per_host_concurrency=concurrency,
                                     per_host_delay=delay)
        fetcher = SharedFetcher(policy, config.state_url)
        try:
            now = datetime.now(UTC)
            found = fetch_claimed(config, claimed, fetcher, now, threads=concurrency)
        finally:
            fetcher.close()
        written = harvests.commit(db, config, claimed, found, datetime.now(UTC))
    lost = len(claimed) - len(written)
    touched = sorted({feed for feed, _url in written})
    log.info("fetch %s: %d sources for [%s]%s", host, len(written), ",".join(touched),
             f"; {lost} claimed by another worker since, not written" if lost else "")
    return touched
