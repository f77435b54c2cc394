"""Filters per feed and per source: include/exclude by regular expression on title, body, author and tags, and
a maximum age; shown by ``build --dry-run``; a bad pattern is a configuration error naming the key."""

from __future__ import annotations

from datetime import UTC, datetime

import feedparser
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once

from tests.conftest import run_cli, write
from tests.test_feed_source import FeedSite

NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)

SEEDS = {
    "python.md": ("---\ntitle: Python 3.14 released\nauthor: Ada\ntags: [python, release]\ndate: 2026-11-01\n---\n\n"
                  "Free threading.\n"),
    "rust.md": "---\ntitle: Rust in the kernel\nauthor: Linus\ntags: [rust]\ndate: 2026-10-30\n---\n\nDrivers and more.\n",
    "ad.md": "---\ntitle: Big sale\nauthor: Partner content\ntags: [ads]\ndate: 2026-11-02\n---\n\nBuy now.\n",
    "casino.md": "---\ntitle: Weekend tips\nauthor: Ada\ndate: 2026-11-03\n---\n\nTry our online casino today.\n",
    "old.md": "---\ntitle: Python 2 sunset\nauthor: Ada\ntags: [python]\ndate: 2019-12-31\n---\n\nLong ago.\n",
}
FILTERS = """
[filters]
include_title = "(?i)python|rust|sale|tips"
exclude_body = "(?i)casino"
exclude_author = "^Partner"
exclude_tags = "^release$"
max_age = "365d"
"""


def titles(folder) -> set[str]:  # noqa: ANN001
    return {e.title for e in feedparser.parse((folder / "output" / "atom.xml").read_bytes()).entries}


def test_feed_filters_through_the_cli_with_dry_run(tmp_path):
    for name, text in SEEDS.items():
        write(tmp_path / "seeds" / name, text)
    write(tmp_path / "seedfeed.toml", FILTERS)
    env = {"SOURCE_DATE_EPOCH": str(int(NOW.timestamp()))}
    dry = run_cli("build", "--dry-run", cwd=tmp_path, env=env)
    assert dry.returncode == 0, dry.stderr
    lines = [line.strip() for line in dry.stdout.splitlines() if "filtered:" in line]
    assert len(lines) == 4, dry.stdout
    for title, rule in (("Python 3.14 released", "exclude_tags = '^release$' matches 'release'"),
                        ("Big sale", "exclude_author = '^Partner' matches"),
                        ("Weekend tips", "exclude_body = '(?i)casino' matches"),
                        ("Python 2 sunset", "max_age: published 2019-12-31, older than 365d")):
        assert any(line.startswith(f"filtered: {title} (") and rule in line for line in lines), (title, lines)
    assert not (tmp_path / "output").exists()

    assert run_cli("build", cwd=tmp_path, env=env).returncode == 0
    assert titles(tmp_path) == {"Rust in the kernel"}

    # New rules apply to documents already read: the dropped ones come back, the newly excluded one leaves.
    write(tmp_path / "seedfeed.toml", '[filters]\nexclude_title = "(?i)rust"\n')
    assert run_cli("build", cwd=tmp_path, env=env).returncode == 0
    assert titles(tmp_path) == {"Python 3.14 released", "Big sale", "Weekend tips", "Python 2 sunset"}
    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_bad_regular_expression_is_a_config_error_naming_the_key(tmp_path):
    write(tmp_path / "seedfeed.toml", '[[feeds]]\nname = "news"\n[feeds.filters]\nexclude_body = "(?i)free [money"\n')
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "[[feeds]] #1 filters: exclude_body = '(?i)free [money' is not a valid regular expression" in result.stderr
    assert "hint:" in result.stderr
    write(tmp_path / "seedfeed.toml", '[filters]\nexclude_colour = "red"\n')
    result = run_cli("build", cwd=tmp_path)
    assert result.returncode == 1 and "unknown key 'exclude_colour'" in result.stderr and "include_title" in result.stderr


def test_per_source_filters_skip_entries_before_their_article_is_fetched(tmp_path, httpserver, only_loopback):
    site = FeedSite(httpserver)
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    config = f'[[sources]]\nfeed = "{url}"\nfilters = {{ exclude_tags = "^Advertising$" }}\n'
    path = write(tmp_path / "seedfeed.toml", config)
    from seedfeed.fetch import Fetcher, FetchPolicy

    with Fetcher(FetchPolicy(allow_private=True, per_host_delay=0, retries=0)) as fetcher:
        report = run_once(load(path, Overrides(allow_private=True), tmp_path), NOW, fetcher=fetcher, dry_run=True)
    assert [t for t, _ in report.feeds[0].filtered] == ["Sponsored: Win a weekend at the Seaview Hotel"]
    assert "exclude_tags = '^Advertising$' matches 'Advertising'" in report.feeds[0].filtered[0][1]
    assert report.feeds[0].new == 2
    assert not any("sponsored" in hit for hit in site.hits), "a filtered entry's article was fetched"
