"""Write the site-wide files after every feed is built: ``feeds.opml`` always, the overview with several feeds.

With one unnamed feed, ``output/index.html`` is that feed's own page (written with its feed files); with
``[[feeds]]``, each feed's page is ``output/<name>/index.html`` and ``output/index.html`` lists them all.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from .config import Config
from .publish import remove_stale_temp_files, write_if_changed
from .render.base import OPML_FILE, PAGE_FILE
from .state.base import Store


def site_title(config: Config) -> str:
    if len(config.feeds) == 1 and not config.feeds[0].name:
        return config.feeds[0].title
    return f"Feeds from {urlsplit(config.base_url).netloc}"


def write_site(config: Config, store: Store, now: datetime, *, rendered: bool) -> int:
    """Rewrite the overview and OPML when a feed was rendered (or they are missing); return files written.

    A run that rendered nothing costs two ``stat`` calls here and no queries."""
    overview = any(feed.name for feed in config.feeds)
    paths = [config.output / OPML_FILE] + ([config.output / PAGE_FILE] if overview else [])
    if not rendered and all(path.is_file() for path in paths):
        return 0
    from .render.site_pages import LATEST, FeedSummary, render_opml, render_overview  # only when writing

    remove_stale_temp_files(config.output)   # a run killed while writing these left its temp files here
    summaries = [FeedSummary(folder=f"{feed.name}/" if feed.name else "", title=feed.title,
                             description=feed.description, base_url=config.feed_base_url(feed),
                             language=feed.language, count=store.count_live(feed.name),
                             latest=tuple(store.newest(feed.name, min(LATEST, feed.max_items))))
                 for feed in config.feeds]
    title = site_title(config)
    written = write_if_changed(config.output / OPML_FILE, render_opml(title, summaries, now))
    if overview:
        written += write_if_changed(config.output / PAGE_FILE, render_overview(title, config.base_url, summaries))
    return written
