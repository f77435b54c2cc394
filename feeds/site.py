"""Write the site-wide files after every feed is built: ``feeds.opml`` always, the overview with several feeds.

With one unnamed feed, ``output/index.html`` is that feed's own page (written with its feed files); with
``[[feeds]]``, each feed's page is ``output/<name>/index.html`` and ``output/index.html`` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .config import Config, FeedConfig
from .publish import remove_stale_temp_files, write_if_changed
from .render.base import OPML_FILE, PAGE_FILE
from .state.base import Store

if TYPE_CHECKING:
    from .render.site_pages import FeedSummary


def site_title(config: Config) -> str:
    if len(config.feeds) == 1 and not config.feeds[0].name:
        return config.feeds[0].title
    return f"Feeds from {urlsplit(config.base_url).netloc}"


def summarize(config: Config, feed: FeedConfig, store: Store) -> FeedSummary:
    """What the overview and the OPML show of one feed (two queries)."""
    from .render.site_pages import LATEST, FeedSummary

    return FeedSummary(folder=f"{feed.name}/" if feed.name else "", title=feed.title, description=feed.description,
                       base_url=config.feed_base_url(feed), language=feed.language, count=store.count_live(feed.name),
                       latest=tuple(store.newest(feed.name, min(LATEST, feed.max_items))))


def write_site(config: Config, store: Store, now: datetime, *, rendered: bool,
               summaries: Callable[[], list[FeedSummary]] | None = None) -> int:
    """Rewrite the overview and OPML when a feed was rendered (or they are missing); return files written.

    A run that rendered nothing costs two ``stat`` calls here and no queries. ``summaries``: where the feeds'
    summaries come from (hosted mode keeps those of feeds unchanged since its last site job); by default each feed
    is read from the store."""
    overview = any(feed.name for feed in config.feeds)
    paths = [config.output / OPML_FILE] + ([config.output / PAGE_FILE] if overview else [])
    if not rendered and all(path.is_file() for path in paths):
        return 0
    from .render.site_pages import render_opml, render_overview  # only when writing

    remove_stale_temp_files(config.output)   # a run killed while writing these left its temp files here
    feeds = summaries() if summaries else [summarize(config, feed, store) for feed in config.feeds]
    title = site_title(config)
    written = write_if_changed(config.output / OPML_FILE, render_opml(title, feeds, now))
    if overview:
        written += write_if_changed(config.output / PAGE_FILE, render_overview(title, config.base_url, feeds))
    return written
