"""Feed sources: an RSS, Atom or JSON feed whose entries are often cut short becomes full-text items.

Per run, for each feed source that is due (its schedule, like pages and listings):

1. the feed is fetched with a conditional GET (a 304 ends the work: nothing else is fetched) and read by
   :mod:`.feedparse`; ``rel="next"`` pages are followed only up to ``max_pages`` (default 1: not at all);
2. only the newest ``max_entries`` entries are looked at. A new entry's article is fetched and extracted, at
   most ``max_new`` per run (the rest wait; the feed is then fetched in full next time rather than 304'd);
   a known entry whose date changed is fetched again (conditionally); one whose title, author or tags changed
   is updated from the feed alone;
3. each entry becomes a document whose title, link, dates, author and categories come from the feed and
   whose body is the extracted article. When the article cannot be fetched or extracted (or extracts to less
   text than the feed gives) the feed's own content is kept, and the failure is reported.

Identity: the item key is the entry's normalised link (its id when it has no link), and the entry's own id
becomes the item id when it is a stable URI (RSS ``guid``, Atom ``id``, JSON Feed ``id``), so an entry edited
in the source is an update of the same item. An entry that leaves the source feed stays in ours (its source
record stays) until it scrolls out of ``max_items``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..config import Config, FeedConfig, WebSource
from ..errors import FetchError
from ..models import Document, Item
from ..progress import ProgressFactory, no_progress
from ..records import record, replace
from ..state.base import Store
from ..state.merge import Observed
from ..state.store import SourceState
from .decode import decode
from .feedparse import FeedEntry, NotAFeed, ParsedFeed, parse
from .web import DueCheck, Harvest, Outcome, _fetch_all, _outcome, source_key

log = logging.getLogger(__name__)
SUMMARY_CHARS = 300


@record(frozen=False)
class _Job:
    source: WebSource
    entry: FeedEntry
    feed_doc: Document        # the entry as the feed tells it (the fallback)
    state: SourceState
    stored: Item | None       # what we published before, if anything


def harvest_feeds(config: Config, feed: FeedConfig, store: Store | None, fetcher: Callable[[], Any], now: datetime,
                  due: DueCheck | None = None, progress: ProgressFactory = no_progress,
                  stop_at: float | None = None) -> Harvest:
    """Fetch the due feed sources of one feed and the articles of their new or changed entries."""
    from ..fetch.fetcher import FetchJob

    result = Harvest()
    known = {s.url: s for s in store.sources(feed.name)} if store else {}
    runs: list[tuple[WebSource, SourceState]] = []
    for source in feed.feed_sources:
        key = source_key(source.url)
        state = replace(known.get(key) or SourceState(feed.name, key, "feed"), kind="feed", location=source.url)
        if due is None or due(source, state.last_run, now):
            runs.append((source, state))
    if not runs:
        return result
    client = fetcher()
    answers = _fetch_all(client, [FetchJob(s.url, st.etag, st.last_modified, s.robots, feed=True,
                                           max_bytes=s.max_bytes or config.max_bytes) for s, st in runs],
                         progress, "fetching feeds", stop_at)
    jobs: list[_Job] = []
    for (source, state), answer in zip(runs, answers, strict=True):
        outcome = _outcome(source, state, answer, now, result)
        result.outcomes.append(outcome)
        if outcome.error is not None or answer.status != 200:
            continue   # failed (reported; its items stay) or 304: nothing changed, nothing is fetched
        try:
            parsed = _read(source, answer, client, config, now, result)
        except NotAFeed as exc:
            _failed(outcome, state, str(exc), now, result)
            continue
        jobs += _plan(feed, source, outcome, parsed, known, store, now, result)
    if jobs:
        answers = _fetch_all(client, [FetchJob(j.entry.link or "", j.state.etag if j.stored else None,
                                               j.state.last_modified if j.stored else None, j.source.robots)
                                      for j in jobs], progress, "fetching articles", stop_at)
        for job, answer in zip(jobs, answers, strict=True):
            result.outcomes.append(_article(job, answer, now, result))
    return result


def _failed(outcome: Outcome, before: SourceState, message: str, now: datetime, result: Harvest) -> None:
    """The server answered, but not with a feed: a failure of the source (its items stay)."""
    # No validators kept: the next run must read the feed again rather than be told "304, nothing changed".
    outcome.state = replace(outcome.state, last_error=message, last_success=before.last_success,
                            failing_since=before.failing_since or now, etag=None, last_modified=None)
    outcome.error = message
    result.errors.append(message)


def _read(source: WebSource, answer, client: Any, config: Config, now: datetime,  # noqa: ANN001
          result: Harvest) -> ParsedFeed:
    """Parse the feed, following ``rel="next"`` pages up to ``max_pages`` documents."""
    parsed = parse(answer.body, answer.final_url, answer.content_type, now, source.max_entries)
    pages, seen_urls = 1, {answer.final_url}
    while parsed.next_url and pages < source.max_pages and len(parsed.entries) < source.max_entries:
        url, parsed.next_url = parsed.next_url, None
        if url in seen_urls:
            break
        seen_urls.add(url)
        pages += 1
        try:
            more = client.fetch(url, respect_robots=source.robots, feed=True, max_bytes=source.max_bytes or config.max_bytes)
            page = parse(more.body, more.final_url, more.content_type, now, source.max_entries - len(parsed.entries))
        except (FetchError, NotAFeed) as exc:
            result.warnings.append(f"{source.url}: next page not read ({exc}); the pages before it are used")
            break
        keys = {e.key for e in parsed.entries}
        parsed.entries += [e for e in page.entries if e.key not in keys]
        parsed.warnings += page.warnings
        parsed.next_url = page.next_url
    result.warnings += parsed.warnings
    return parsed


def feed_document(entry: FeedEntry, source: WebSource) -> Document:
    """The item as the feed alone tells it: sanitized content, plain-text title and summary."""
    from ..extraction.sanitize import NAME_LIMIT, TITLE_LIMIT, html_to_text, plain_text, sanitize_html

    base = entry.link or source.url
    body = sanitize_html(entry.content_html, base)
    summary_text = " ".join(html_to_text(sanitize_html(entry.summary_html or entry.content_html, base)).split())
    return Document(
        key=entry.key, origin=entry.link or source.url, title=plain_text(entry.title, TITLE_LIMIT),
        summary=plain_text(summary_text, SUMMARY_CHARS), body_html=body, published=entry.published,
        updated=entry.updated, author=plain_text(entry.author, NAME_LIMIT) if entry.author else None,
        tags=tuple(plain_text(t, NAME_LIMIT) for t in entry.tags), link=entry.link, explicit_id=entry.entry_id)


def _stored(feed: FeedConfig, store: Store | None, keys: list[str]) -> dict[str, Item]:
    if store is None or not keys:
        return {}
    ids = {e.id: e.key for e in store.entries(feed.name, keys) if not e.removed and e.key in set(keys)}
    return {ids[i.id]: i for i in store.items_by_id(feed.name, list(ids))}


def _plan(feed: FeedConfig, source: WebSource, outcome: Outcome, parsed: ParsedFeed, known: dict[str, SourceState],
          store: Store | None, now: datetime, result: Harvest) -> list[_Job]:
    """Decide, per entry, what to fetch; entries that need no fetch are observed straight away."""
    parent = outcome.state.url
    stored = _stored(feed, store, [e.key for e in parsed.entries])
    jobs: list[_Job] = []
    fresh = 0
    for entry in parsed.entries:
        doc = feed_document(entry, source)
        if not source.filters.keeps(doc, now, result.filtered, f"{source.url} filters"):
            continue   # before its article is fetched: a dropped entry costs nothing
        state = known.get(entry.key)
        item = stored.get(entry.key)
        if state is None or state.parent != parent:
            state = SourceState(feed.name, entry.key, "entry", parent=parent, location=entry.link)
        if entry.link is None:   # nothing to fetch: the feed's content is all there is
            result.outcomes.append(Outcome(replace(state, last_run=now, last_success=now), Observed(doc, now)))
            continue
        if item is None:
            if fresh >= source.max_new:
                log.info("%s: more than %d new entries; the rest wait for the next run (max_new)", source.url, source.max_new)
                outcome.state = replace(outcome.state, etag=None, last_modified=None)   # read it in full next run
                continue
            fresh += 1
            jobs.append(_Job(source, entry, doc, state, None))
        elif ((doc.updated, doc.published) != (item.doc.updated, item.doc.published) or doc.link != item.doc.link
              or state.last_error):
            jobs.append(_Job(source, entry, doc, state, item))   # edited at the source, or failed: read it again
        elif _metadata(doc) != _metadata(item.doc):
            result.outcomes.append(Outcome(state, Observed(_with_feed_metadata(item.doc, doc), now)))
    return jobs


def _metadata(doc: Document) -> tuple[Any, ...]:
    return doc.title, doc.author, doc.tags, doc.explicit_id


def _with_feed_metadata(kept: Document, feed_doc: Document) -> Document:
    """The stored full text, with what the feed says about the entry now."""
    return replace(kept, title=feed_doc.title or kept.title, published=feed_doc.published, updated=feed_doc.updated,
                   author=feed_doc.author or kept.author, tags=feed_doc.tags, link=feed_doc.link,
                   explicit_id=feed_doc.explicit_id)


def _article(job: _Job, answer, now: datetime, result: Harvest) -> Outcome:  # noqa: ANN001
    """Turn one article fetch into the entry's document; on any failure keep the feed's (or stored) content."""
    fallback = _with_feed_metadata(job.stored.doc, job.feed_doc) if job.stored else job.feed_doc
    base = dict(job.state.__dict__, last_run=now)
    if isinstance(answer, FetchError):
        message = f"{answer.message}; the feed's own content is published instead"
        result.errors.append(message)
        base.update(last_status=answer.status, last_error=message, failing_since=job.state.failing_since or now)
        return Outcome(SourceState(**base), Observed(fallback, now), error=message)
    base.update(last_status=answer.status, last_success=now, last_error=None, failing_since=None,
                etag=answer.etag, last_modified=answer.last_modified)
    state = SourceState(**base)
    if answer.status == 304:
        return Outcome(state, Observed(fallback, now))
    full, problem = _extract(job, answer)
    if problem:
        result.errors.append(f"{answer.final_url}: {problem}; the feed's own content is published instead")
        return Outcome(replace(state, last_error=problem), Observed(fallback, now), error=problem)
    return Outcome(state, Observed(full, now))


def _extract(job: _Job, answer) -> tuple[Document, str | None]:  # noqa: ANN001
    from ..extraction.page import extract_page
    from ..extraction.sanitize import html_to_text

    doc = job.feed_doc
    try:
        decoded = decode(answer.body, answer.charset, html=True)
        page = extract_page(decoded.text, answer.final_url, default_tz=ZoneInfo(job.source.timezone))
    except Exception as exc:  # one odd page must not stop the others; the feed's content stands in
        log.debug("extracting %s failed", answer.final_url, exc_info=True)
        return doc, f"could not be extracted ({type(exc).__name__}: {exc})"
    feed_text = len(html_to_text(doc.body_html))
    if not page.body_text or len(page.body_text) < feed_text:
        return doc, f"the page gave less text ({len(page.body_text)} characters) than the feed ({feed_text})"
    published = doc.published or (page.published.astimezone(UTC) if page.published else None)
    return replace(doc, body_html=page.body_html, summary=doc.summary or page.summary, published=published,
                   author=doc.author or page.author, image=page.image, language=page.language,
                   title=doc.title or page.title), None
