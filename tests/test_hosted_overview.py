# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""The hosted site job (overview, OPML) keeps each feed's summary and reads again only the feeds written since,
on a real PostgreSQL: it must still show every change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
from seedfeed.config import Overrides, load
from seedfeed.hosted import jobs, overview
from seedfeed.pipeline import run_once
from seedfeed.records import replace

from tests.conftest import FIXED_NOW, run_cli, write
from tests.hosted import pg_server, pg_url  # noqa: F401  (fixtures)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_site_job_reads_only_the_feeds_written_since_and_shows_their_changes(tmp_path: Path, pg_url: str) -> None:
    site = tmp_path / "site"
    write(site / "seedfeed.toml", f'state = "{pg_url}"\n[[feeds]]\nname = "a"\nseeds = ["a"]\n'
                                  '[[feeds]]\nname = "b"\nseeds = ["b"]\n[[feeds]]\nname = "c"\nseeds = ["c"]\n')
    write(site / "a" / "one.md", "# Apple one\n\nText.\n", FIXED_NOW)
    write(site / "b" / "one.md", "# Banana one\n\nText.\n", FIXED_NOW)
    (site / "c").mkdir()
    done = run_cli("build", cwd=site)
    assert done.returncode == 0, done.stderr
    with psycopg.connect(pg_url) as db:   # c: a feed new to the configuration, not refreshed yet (no row)
        db.execute("DELETE FROM feeds WHERE name = 'c'")
    config = load(site / "seedfeed.toml", Overrides(), site)
    page = site / "output" / "index.html"
    clock = Clock()
    kept = overview.Summaries(clock)

    jobs.write_shared_pages(config, kept)
    assert kept.reads == 3 and "Apple one" in page.read_text() and "Banana one" in page.read_text()
    before = page.read_bytes()
    jobs.write_shared_pages(config, kept)   # nothing written since (c still has no row): nothing read, the same page
    assert kept.reads == 3 and page.read_bytes() == before

    # A refresh of feed a (its run only) adds a document: the next site job reads a, not b, and shows it.
    write(site / "a" / "two.md", "# Apple two\n\nText.\n", FIXED_NOW + timedelta(hours=1))
    only_a = replace(config, feeds=tuple(f for f in config.feeds if f.name == "a"))
    run_once(only_a, FIXED_NOW + timedelta(hours=1), feeds_only=True)
    jobs.write_shared_pages(config, kept)
    assert kept.reads == 4
    text = page.read_text()
    assert "Apple two" in text and "Banana one" in text and "2 items" in text
    opml = (site / "output" / "feeds.opml").read_text()
    assert 'text="a"' in opml or "a/atom.xml" in opml

    # Whatever a feed's row says, every summary is read again after FULL_EVERY seconds.
    clock.now += overview.FULL_EVERY
    jobs.write_shared_pages(config, kept)
    assert kept.reads == 7 and page.read_text() == text
