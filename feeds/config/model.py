"""What a configuration is: the embedded defaults and the records :mod:`.load` builds from ``seedfeed.toml`` and
the command line."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..filters import NO_FILTERS, Filters
from ..records import field, record

DEFAULT_CONFIG_NAME = "seedfeed.toml"
DEFAULT_BASE_URL = "http://localhost:8000/"
DEFAULT_MAX_ITEMS = 50
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_EVERY = "1h"
# Fetching stops after this; what was not fetched is deferred to the next run. 90 s keeps a build with one bad
# host under two minutes (issue #11), and is three page deadlines: enough for a few hundred good pages.
DEFAULT_FETCH_BUDGET = "90s"
DEFAULT_LISTING_MAX_NEW = 20
DEFAULT_FEED_MAX_ENTRIES = 50      # feed sources: only the newest entries of the source are looked at
DEFAULT_ARCHIVE_SIZE = 50          # items per RFC 5005 archive document
USER_AGENT = f"seedfeed/{__version__} (+https://github.com/seedfeed/seedfeed)"


@record
class WebSource:
    """A URL to follow: a ``page`` (one document), a ``listing`` (a page linking to documents) or a ``feed``
    (an RSS/Atom/JSON feed whose entries' articles are fetched in full)."""

    kind: str                       # "page" | "listing" | "feed"
    url: str
    every: str | None = None        # "30m", "2h", "1d"
    cron: str | None = None         # "*/10 7-22 * * *"
    selector: str | None = None     # listings: CSS selector of the article links
    max_new: int = DEFAULT_LISTING_MAX_NEW
    robots: bool = True
    timezone: str = "UTC"           # for naive dates on the page
    max_entries: int = DEFAULT_FEED_MAX_ENTRIES   # feeds: the newest M entries of the source are looked at
    max_pages: int = 1              # feeds: follow rel="next" paging up to this many documents (1: no paging)
    max_bytes: int | None = None    # feeds: size cap of the source document (None: the global max_bytes)
    filters: Filters = NO_FILTERS   # include/exclude rules for this source's documents


@record
class FeedConfig:
    name: str                       # folder under output/ ("" = the output folder itself)
    title: str
    description: str
    link: str | None                # the site the feed is about; defaults to base_url
    language: str | None
    author: str | None
    seeds: tuple[Path, ...]
    pages: tuple[WebSource, ...] = ()
    listings: tuple[WebSource, ...] = ()
    max_items: int = DEFAULT_MAX_ITEMS
    hub: str | None = None
    feed_sources: tuple[WebSource, ...] = ()     # ``[[sources]]`` tables with ``feed = "URL"``
    filters: Filters = NO_FILTERS                # include/exclude rules for every document of the feed
    archives: bool = True                        # RFC 5005 archive documents of older items
    archive_size: int = DEFAULT_ARCHIVE_SIZE

    @property
    def web_sources(self) -> tuple[WebSource, ...]:
        """Every URL source: pages, listings and feeds (what schedules and ``status`` look at)."""
        return self.pages + self.listings + self.feed_sources


@record
class Config:
    feeds: tuple[FeedConfig, ...]
    output: Path
    state: Path                     # the SQLite file (with state_url: where the lock and previous/ live)
    base_url: str
    max_bytes: int = DEFAULT_MAX_BYTES
    user_agent: str = USER_AGENT
    allow_private: bool = False
    default_every: str = DEFAULT_EVERY
    source_file: Path | None = None  # the seedfeed.toml this came from
    fetch_budget: float = 90         # seconds of fetching per run (DEFAULT_FETCH_BUDGET)
    # True: neither --base-url nor the config set base_url (check then asks the state); where a value came from,
    # not part of what the configuration is
    base_url_default: bool = field(default=False, compare=False)
    state_url: str | None = None     # a postgresql:// URL: the state lives there instead (docs/scaling.md)
    output_url: str | None = None    # s3://bucket/prefix: ``output`` is then a local staging folder, uploaded

    def feed_base_url(self, feed: FeedConfig) -> str:
        """The absolute URL of a feed's output folder."""
        return self.base_url + (f"{feed.name}/" if feed.name else "")


@record(frozen=False)
class Overrides:
    """Values given on the command line; ``None`` means "not given"."""

    seeds: list[str] | None = None
    output: str | None = None
    state: str | None = None
    base_url: str | None = None
    title: str | None = None
    max_items: int | None = None
    urls: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    feed_urls: list[str] = field(default_factory=list)
    allow_private: bool | None = None
    fetch_budget: float | None = None
