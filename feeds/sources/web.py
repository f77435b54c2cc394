"""URL sources: fetch pages and listings, turn them into documents, and remember how each source is doing.

Two phases, so that network time is never spent holding the run lock:

- :func:`harvest` (no lock): decide which sources are due, fetch them (conditional GET), fetch the new
  articles each listing links to, and extract every page that changed;
- :func:`settle` (inside the run's transaction): record each source's state, and say which web items are
  still present (a failing source keeps its items; 410 Gone, or 404 three runs in a row, retires one).

Fetching has a budget (``stop_at``, the end of the run's ``fetch_budget``). A source it did not reach is
*deferred*: its schedule state is left as it was (so it is due again), ``deferred_since`` is set for
``seedfeed status``, and the next run fetches it before the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from ..config import Config, FeedConfig, WebSource
from ..errors import FetchDeferred, FetchError
from ..models import Document
from ..progress import LONG_URLS, ProgressFactory, no_progress
from ..records import field, record, replace
from ..state.base import Store
from ..state.merge import Observed
from ..state.store import SourceState
from ..urls import normalize_url
from .decode import decode

log = logging.getLogger(__name__)
NOT_FOUND_RETIRES_AFTER = 3

#: (source, last run, now) -> should it run now? The scheduler supplies it; ``None`` runs every source.
DueCheck = Callable[[WebSource, datetime | None, datetime], bool]


@record(frozen=False)
class Outcome:
    """What happened to one URL this run."""

    state: SourceState
    observed: Observed | None = None
    retired: bool = False
    error: str | None = None


@record(frozen=False)
class Harvest:
    """Everything fetched for one feed, ready to be settled under the lock."""

    outcomes: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)   # URLs the fetch budget did not reach
    filtered: list[tuple[str, str]] = field(default_factory=list)   # (title, why) of documents a filter dropped

    def extend(self, other: Harvest) -> Harvest:
        self.outcomes += other.outcomes
        self.errors += other.errors
        self.warnings += other.warnings
        self.filtered += other.filtered
        self.deferred += other.deferred
        return self


def source_key(url: str) -> str:
    try:
        return normalize_url(url)
    except ValueError:
        return url


def web_keys(feed: FeedConfig, store: Store) -> set[str]:
    """The item keys the feed's configured URL sources own: its pages, the articles of its listings and the
    entries of its feed sources (which stay after leaving the source feed, until they scroll out of ours)."""
    keys = {source_key(s.url) for s in feed.pages}
    listings = {source_key(s.url) for s in feed.listings + feed.feed_sources}
    for state in store.sources(feed.name):
        if state.kind in ("article", "entry") and state.parent in listings:
            keys.add(state.url)
    return keys


def harvest(config: Config, feed: FeedConfig, store: Store | None, fetcher: Callable[[], Any], now: datetime,
            due: DueCheck | None = None, progress: ProgressFactory = no_progress, stop_at: float | None = None
            ) -> Harvest:
    """Fetch what is due for one feed. ``store`` is read only here (``None``: nothing stored yet).

    ``fetcher`` is called to get the :class:`~seedfeed.fetch.Fetcher`, only when something is due.
    ``progress`` draws a bar while many URLs are fetched. ``stop_at`` (``time.monotonic()``) ends the fetching:
    what is not fetched by then is deferred to the next run."""
    result = Harvest()
    known = {s.url: s for s in store.sources(feed.name)} if store else {}
    sources = feed.pages + feed.listings
    runs: list[tuple[WebSource, SourceState]] = []
    for source in sources:
        key = source_key(source.url)
        state = known.get(key) or SourceState(feed.name, key, source.kind)
        state = replace(state, kind=source.kind, location=source.url)
        if due is None or due(source, state.last_run, now) or state.deferred_since is not None:
            runs.append((source, state))
    articles = _deferred_articles(feed, known)
    if not runs and not articles:
        return result
    runs.sort(key=lambda run: run[1].deferred_since is None)   # what the last run deferred goes first
    from ..fetch.fetcher import FetchJob

    fetcher = fetcher()
    answers = _fetch_all(fetcher, [FetchJob(s.url, st.etag, st.last_modified, s.robots) for s, st in runs],
                         progress, "fetching pages", stop_at)
    for (source, state), answer in zip(runs, answers, strict=True):
        outcome = _outcome(source, state, answer, now, result)
        result.outcomes.append(outcome)
        if (source.kind == "listing" and outcome.observed is None and outcome.error is None
                and not isinstance(answer, FetchError) and answer.status == 200):
            fetching = {st.url for _src, st in articles}
            articles += [a for a in _articles(source, state, answer, known, now, due, result) if a[1].url not in fetching]
    if articles:
        answers = _fetch_all(fetcher, [FetchJob(st.location or st.url, st.etag, st.last_modified, src.robots)
                                       for src, st in articles], progress, "fetching articles", stop_at)
        for (source, state), answer in zip(articles, answers, strict=True):
            result.outcomes.append(_outcome(source, state, answer, now, result, article=True))
    return result


def _deferred_articles(feed: FeedConfig, known: dict[str, SourceState]) -> list[tuple[WebSource, SourceState]]:
    """Articles of this feed's listings that the last run found but had no budget left to fetch: fetched now,
    whether or not their listing is due (a new article would otherwise wait for its listing to change)."""
    listings = {source_key(s.url): s for s in feed.listings}
    return [(WebSource("article", listing.url, every=listing.every, cron=listing.cron, robots=listing.robots,
                       timezone=listing.timezone), state)
            for state in known.values()
            if state.kind == "article" and state.deferred_since is not None
            and (listing := listings.get(state.parent or "")) is not None]


def _fetch_all(fetcher: Any, jobs: list[Any], progress: ProgressFactory, label: str, stop_at: float | None) -> list[Any]:
    tracker = progress(label, len(jobs), LONG_URLS)
    try:
        return fetcher.fetch_many(jobs, on_done=tracker.advance, stop_at=stop_at)
    finally:
        tracker.close()


def _outcome(source: WebSource, state: SourceState, answer, now: datetime, result: Harvest,  # noqa: ANN001
             article: bool = False) -> Outcome:
    base = dict(state.__dict__)
    if isinstance(answer, FetchDeferred):   # not reached: keep its schedule state, so it is due next run
        base.update(deferred_since=state.deferred_since or now)
        result.deferred.append(state.location or source.url)
        return Outcome(SourceState(**base))
    base.update(last_run=now, deferred_since=None)
    if isinstance(answer, FetchError):
        status = answer.status
        not_found = state.not_found_count + 1 if status == 404 else 0
        retired = status == 410 or not_found >= NOT_FOUND_RETIRES_AFTER
        base.update(last_status=status, last_error=answer.message, not_found_count=not_found,
                    failing_since=state.failing_since or now)
        message = answer.message + (f"; {answer.hint}" if answer.hint else "")
        if retired:
            message += "; its item leaves the feed"
        result.errors.append(message)
        return Outcome(SourceState(**base), retired=retired, error=message)
    base.update(last_status=answer.status, last_success=now, last_error=None, failing_since=None, not_found_count=0,
                etag=answer.etag or (state.etag if answer.status == 304 else None),
                last_modified=answer.last_modified or (state.last_modified if answer.status == 304 else None))
    outcome = Outcome(SourceState(**base))
    if answer.status == 304 or (source.kind != "page" and not article):
        return outcome   # a listing's or a feed's own document is read by its caller
    doc = _document(source, state.url, answer, result)
    if doc is not None and source.filters.keeps(doc, now, result.filtered, f"{source.url} filters"):
        outcome.observed = Observed(doc, now)
    return outcome


def _document(source: WebSource, key: str, answer, result: Harvest) -> Document | None:  # noqa: ANN001
    from ..extraction.page import extract_page

    try:
        decoded = decode(answer.body, answer.charset, html=True)
    except ValueError as exc:
        result.errors.append(f"{answer.final_url}: {exc}")
        return None
    if decoded.warning:
        result.warnings.append(f"{answer.final_url}: {decoded.warning}")
    try:
        from zoneinfo import ZoneInfo

        page = extract_page(decoded.text, answer.final_url, default_tz=ZoneInfo(source.timezone))
    except Exception as exc:  # a parser bug on one odd page must not stop the other sources
        log.debug("extracting %s failed", answer.final_url, exc_info=True)
        result.errors.append(f"{answer.final_url}: could not be extracted ({type(exc).__name__}: {exc}); this is a "
                             "seedfeed bug, please report it with the page (seedfeed extract URL -vv)")
        return None
    if not page.title and not page.body_text:
        result.errors.append(f"{answer.final_url}: no title and no text found; check the URL is an article")
        return None
    return Document(
        key=key, origin=answer.final_url, title=page.title, summary=page.summary, body_html=page.body_html,
        published=page.published.astimezone(UTC) if page.published else None,
        updated=page.updated.astimezone(UTC) if page.updated else None,
        author=page.author, link=page.url or answer.final_url, image=page.image, language=page.language,
        provenance=MappingProxyType(dict(page.provenance)))


def _articles(listing: WebSource, listing_state: SourceState, answer, known: dict[str, SourceState],  # noqa: ANN001
              now: datetime, due: DueCheck | None, result: Harvest) -> list[tuple[WebSource, SourceState]]:
    """What to fetch for a listing: links not seen before (at most ``max_new``), then known articles whose
    refresh is due on the listing's schedule (at most ``max_new`` too, oldest first)."""
    from .listing import find_article_links

    try:
        decoded = decode(answer.body, answer.charset, html=True)
        links = find_article_links(decoded.text, answer.final_url, listing.selector)
    except ValueError as exc:
        result.errors.append(f"{listing.url}: {exc}")
        return []
    article = WebSource("article", listing.url, every=listing.every, cron=listing.cron, robots=listing.robots,
                        timezone=listing.timezone, filters=listing.filters)
    fresh: list[tuple[WebSource, SourceState]] = []
    for link in links:
        key = source_key(link)
        if key in known or key == listing_state.url:   # (known articles the last run deferred are fetched anyway)
            continue
        if len(fresh) >= listing.max_new:
            log.info("%s: more than %d new links; the rest wait for the next run (max_new)", listing.url, listing.max_new)
            break
        state = SourceState(listing_state.feed, key, "article", parent=listing_state.url, location=link)
        fresh.append((article, state))
        known[key] = state
    stale = sorted((s for s in known.values() if s.kind == "article" and s.parent == listing_state.url
                    and s.last_run is not None and (due is None or due(article, s.last_run, now))),
                   key=lambda s: s.last_run or now)
    return fresh + [(article, s) for s in stale[: listing.max_new]]


def settle(store: Store, feed: FeedConfig, harvested: Harvest) -> tuple[list[Observed], set[str]]:
    """Record source states; return the changed web documents and the web keys still present."""
    retired: set[str] = set()
    observed: list[Observed] = []
    for outcome in harvested.outcomes:
        store.put_source(outcome.state)
        if outcome.retired:
            retired.add(outcome.state.url)
        if outcome.observed is not None:
            observed.append(outcome.observed)
    present = web_keys(feed, store) - retired
    return observed, present
