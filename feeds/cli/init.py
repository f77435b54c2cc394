"""``seedfeed init``: write a commented ``seedfeed.toml`` with one feed and every option at its default.

Options with a plain default are written active, at that default, so the file loads to exactly what seedfeed
does without it; options whose default is "none" or derived from another (TOML has no null) are written
commented out, with what the default is. Values come from :mod:`seedfeed.config`'s constants, so the file cannot
drift from the code; ``tests/test_init.py`` checks that every key the loader accepts appears.

``init`` never overwrites: a config someone edited is worth more than a template.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..config import (
    DEFAULT_ARCHIVE_SIZE,
    DEFAULT_BASE_URL,
    DEFAULT_CONFIG_NAME,
    DEFAULT_EVERY,
    DEFAULT_FEED_MAX_ENTRIES,
    DEFAULT_FETCH_BUDGET,
    DEFAULT_LISTING_MAX_NEW,
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_ITEMS,
    USER_AGENT,
)
from ..errors import ConfigError, OutputError


def _q(text: str) -> str:
    return json.dumps(text)  # a TOML basic string is a JSON string for the characters used here


def _lines(rows: list[tuple[str, str]]) -> str:
    """``setting  # comment`` rows, comments aligned."""
    return "\n".join(f"{setting:<36} # {comment}" if comment else setting for setting, comment in rows)


def template() -> str:
    """The text ``seedfeed init`` writes."""
    top = _lines([
        (f"base_url = {_q(DEFAULT_BASE_URL)}", "the address output/ is served at; every link in the feeds uses it"),
        ('output = "output"', "where rss.xml, atom.xml, feed.json and items/ are written"),
        ('state = ".seedfeed/state.sqlite"', "ids, dates and hashes: keep it (and back it up), ids live here"),
        (f"max_bytes = {DEFAULT_MAX_BYTES}", "documents and pages larger than this are skipped"),
        ("allow_private = false", "true: allow URLs on loopback/private networks (intranet pages)"),
        (f"every = {_q(DEFAULT_EVERY)}", "default schedule of URL sources (s, m, h, d)"),
        (f"fetch_budget = {_q(DEFAULT_FETCH_BUDGET)}", "fetching stops after this; the rest is deferred to the next run"),
        (f"# user_agent = {_q(USER_AGENT)}", ""),
    ])
    feed = _lines([
        ('title = "seedfeed"', ""),
        ('# description = "seedfeed, published by seedfeed"', 'default: "<title>, published by seedfeed"'),
        ('# link = "https://example.org/"', "the site the feed is about; default: base_url"),
        ('# language = "en"', "default: none"),
        ('# author = "Newsroom"', "default: none"),
        ('seeds = ["seeds"]', "folders of documents (.md, .txt, .html)"),
        (f"max_items = {DEFAULT_MAX_ITEMS}", "items in each feed file (older items keep their pages)"),
        ('# hub = "https://pubsubhubbub.appspot.com/"', "WebSub hub to ping after each change; default: none"),
        ('# pages = ["https://example.org/about"]', "web pages, one URL = one item; default: none"),
        ("archives = true", "RFC 5005 archives of items older than max_items; false: no archive/"),
        (f"archive_size = {DEFAULT_ARCHIVE_SIZE}", "items per archive document (a full one never changes)"),
    ])
    filters = _lines([
        ("# [filters]", ""),
        ('# include_title = "(?i)python|rust"', "keep only documents whose title matches"),
        ('# exclude_title = "(?i)^sponsored"', "drop documents whose title matches"),
        ('# include_body = ""', "the same on the body text (markup removed) ..."),
        ('# exclude_body = "(?i)giveaway"', ""),
        ('# include_author = ""', "... on the author ..."),
        ('# exclude_author = "(?i)partner content"', ""),
        ('# include_tags = ""', "... and on each tag"),
        ('# exclude_tags = "^(ads|advertising)$"', ""),
        ('# max_age = "90d"', "drop documents published longer ago (s, m, h, d, w)"),
    ])
    source = _lines([
        ("# [[sources]]", ""),
        ('# feed = "https://example.org/feed.xml"', "RSS, Atom or JSON Feed (or seedfeed build --feed URL)"),
        (f"# max_new = {DEFAULT_LISTING_MAX_NEW}", "new entries whose article is fetched per run"),
        (f"# max_entries = {DEFAULT_FEED_MAX_ENTRIES}", "only the newest entries of the source are looked at"),
        ("# max_pages = 1", "more than 1: follow the feed's rel=\"next\" paging"),
        (f"# max_bytes = {DEFAULT_MAX_BYTES}", "size cap of the feed document"),
        (f"# every = {_q(DEFAULT_EVERY)}", "schedule, cron, timezone and robots as for listings"),
        ('# filters = { exclude_tags = "^ads$" }', "filters for this source only (keys as in [filters])"),
    ])
    listing = _lines([
        ("# [[listings]]", ""),
        ('# url = "https://example.org/news/"', ""),
        ('# selector = "article h2 a"', "CSS selector of the article links; default: found automatically"),
        (f"# max_new = {DEFAULT_LISTING_MAX_NEW}", "new articles fetched per run"),
        (f"# every = {_q(DEFAULT_EVERY)}", "default: the top-level every; or cron (not both):"),
        ('# cron = "*/10 7-22 * * *"', ""),
        ('# timezone = "UTC"', "for dates the page gives without a zone"),
        ("# robots = true", "false: ignore robots.txt for this source"),
    ])
    return f"""\
# seedfeed.toml -- written by `seedfeed init`. Every option is shown at its default: active lines are the
# defaults seedfeed uses anyway; commented lines (#) are options that are off or derived unless you set them.
# Paths are relative to this file. Run `seedfeed build` to publish, `seedfeed check` to lint the result.

{top}

# ---- the feed, published straight into output/ ----
{feed}

# Filters: drop documents by regular expression (Python re, searched anywhere in the field) and by age.
# A [filters] table applies to every document of the feed; filters = {{...}} in a listing or feed source
# applies to that source only. `seedfeed build --dry-run` lists what each rule drops. Default: none.
{filters}

# A page that links to articles; each new article becomes an item. Default: none.
{listing}

# A feed whose entries are cut short: each entry becomes an item with the whole article. Default: none.
{source}

# More than one feed? Replace the feed keys above (title ... listings) with one table per feed; each is
# published into output/<name>/. language, author, max_items and description set above apply to all.
# [[feeds]]
# name = "news"
# title = "Example News"
# seeds = ["seeds/news"]
"""


def run_init(args: argparse.Namespace) -> int:
    target = Path(args.config or DEFAULT_CONFIG_NAME)
    if target.exists():
        raise ConfigError(f"{target}: already exists; seedfeed init never overwrites a config",
                          "edit it, or write a new one elsewhere with seedfeed init --config FILE")
    seeds = target.resolve().parent / "seeds"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "x", encoding="utf-8") as handle:   # "x": a file created meanwhile is not replaced
            handle.write(template())
    except FileExistsError:
        raise ConfigError(f"{target}: already exists; seedfeed init never overwrites a config",
                          "edit it, or write a new one elsewhere with seedfeed init --config FILE") from None
    except OSError as exc:
        raise OutputError(f"{target}: cannot write ({exc.strerror})", "check the folder is writable") from None
    made_seeds = not seeds.exists()
    if made_seeds:
        try:
            seeds.mkdir()
        except OSError as exc:
            raise OutputError(f"{seeds}: cannot create ({exc.strerror})", "create the seeds folder yourself") from None
    if not args.quiet:
        print(f"wrote {target}" + (f" and created {seeds.name}/" if made_seeds else f" ({seeds.name}/ already exists)"))
        print(f"next: put documents in {seeds.name}/, then run: seedfeed build")
    return 0
