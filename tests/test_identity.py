"""Ids, dates and the life of an item across runs — what feed readers care about most."""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from seedfeed.config import Overrides, load
from seedfeed.errors import OutputError
from seedfeed.pipeline import run_once
from seedfeed.state.store import MIGRATIONS, SCHEMA_VERSION, Store

from tests.conftest import FIXED_NOW, write

T0 = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


def build(site: Path, now: datetime = FIXED_NOW, **overrides):
    config = load(None, Overrides(**overrides), site)
    return run_once(config, now)


def entries(site: Path) -> list:
    return feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries


def test_published_is_the_file_time_at_first_sight_never_now(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    build(site, FIXED_NOW + timedelta(days=3))
    (entry,) = entries(site)
    assert entry.published == "2026-01-10T08:30:00+00:00"
    assert entry.updated == "2026-01-10T08:30:00+00:00"


def test_editing_title_and_body_keeps_id_and_published_and_moves_updated(site):
    path = write(site / "seeds" / "a.txt", "Old headline\n\nOld body", mtime=T0)
    build(site)
    (before,) = entries(site)
    edited = T0 + timedelta(days=1)
    write(path, "New headline\n\nNew body", mtime=edited)
    report = build(site, FIXED_NOW + timedelta(hours=1))
    (after,) = entries(site)
    assert report.feeds[0].updated == 1 and report.feeds[0].new == 0
    assert after.id == before.id
    assert after.title == "New headline"
    assert after.published == before.published
    assert after.updated == "2026-01-11T08:30:00+00:00"


def test_touching_a_file_without_changing_content_changes_nothing(site):
    path = write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    atom = (site / "output" / "atom.xml").read_bytes()
    os.utime(path, (T0.timestamp() + 500, T0.timestamp() + 500))
    report = build(site, FIXED_NOW + timedelta(hours=1))
    assert not report.changed
    assert (site / "output" / "atom.xml").read_bytes() == atom


def test_renamed_or_moved_file_keeps_its_id(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    (before,) = entries(site)
    (site / "seeds" / "sub").mkdir()
    os.rename(site / "seeds" / "a.txt", site / "seeds" / "sub" / "renamed.txt")
    report = build(site, FIXED_NOW + timedelta(hours=1))
    (after,) = entries(site)
    assert after.id == before.id and after.published == before.published and after.link == before.link
    assert report.feeds[0].new == 0 and report.feeds[0].removed == 0 and report.feeds[0].moved == 1


def test_deleted_document_leaves_the_feed_and_its_page_goes(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    write(site / "seeds" / "b.txt", "B\n\nbody", mtime=T0 + timedelta(hours=1))
    build(site)
    pages = sorted(p.name for p in (site / "output" / "items").iterdir())
    (site / "seeds" / "a.txt").unlink()
    report = build(site, FIXED_NOW + timedelta(hours=1))
    assert report.feeds[0].removed == 1
    assert [e.title for e in entries(site)] == ["B"]
    assert sorted(p.name for p in (site / "output" / "items").iterdir()) == [p for p in pages if p != "a.html"]


def test_a_document_that_comes_back_gets_its_old_id(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    (before,) = entries(site)
    (site / "seeds" / "a.txt").unlink()
    build(site, FIXED_NOW + timedelta(hours=1))
    write(site / "seeds" / "a.txt", "A\n\nbody, edited", mtime=T0 + timedelta(days=2))
    build(site, FIXED_NOW + timedelta(hours=2))
    (after,) = entries(site)
    assert after.id == before.id


def test_front_matter_date_and_id_win(site):
    write(site / "seeds" / "p.md", "---\ntitle: P\ndate: 2020-05-01T10:00:00+02:00\nid: my-post\n---\nBody", mtime=T0)
    build(site)
    (entry,) = entries(site)
    assert entry.published == "2020-05-01T08:00:00+00:00"
    assert entry.id.startswith("urn:uuid:")
    write(site / "seeds" / "renamed-and-edited.md", "---\ntitle: P2\ndate: 2020-05-01\nid: my-post\n---\nNew", mtime=T0)
    (site / "seeds" / "p.md").unlink()
    build(site, FIXED_NOW + timedelta(hours=1))
    (again,) = entries(site)
    assert again.id == entry.id


def test_newest_first_and_max_items(site):
    for i in range(7):
        write(site / "seeds" / f"d{i}.txt", f"Doc {i}\n\nbody {i}", mtime=T0 + timedelta(days=i))
    build(site, max_items=5)
    assert [e.title for e in entries(site)] == [f"Doc {i}" for i in (6, 5, 4, 3, 2)]
    pages = lambda: sorted(p.name for p in (site / "output" / "items").iterdir())  # noqa: E731
    # pages for what the feed shows: d0 and d1 are in its archive (RFC 5005, on by default), which links to them
    assert pages() == [f"d{i}.html" for i in (0, 1, 2, 3, 4, 5, 6)]
    for i in (7, 8):
        write(site / "seeds" / f"d{i}.txt", f"Doc {i}\n\nbody {i}", mtime=T0 + timedelta(days=i))
    build(site, FIXED_NOW + timedelta(hours=1), max_items=5)
    assert [e.title for e in entries(site)] == [f"Doc {i}" for i in (8, 7, 6, 5, 4)]
    # items that scrolled out of the feed keep their pages: readers still hold those links
    assert pages() == [f"d{i}.html" for i in (0, 1, 2, 3, 4, 5, 6, 7, 8)]
    write(site / "seeds" / "d2.txt", "Doc 2 edited\n\nbody", mtime=T0 + timedelta(days=20))
    build(site, FIXED_NOW + timedelta(hours=2), max_items=5)
    assert "Doc 2 edited" in (site / "output" / "items" / "d2.html").read_text()


def test_same_state_renders_same_bytes_even_after_output_is_deleted(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    files = {p.name: p.read_bytes() for p in (site / "output").iterdir() if p.is_file()}
    for p in (site / "output").iterdir():
        if p.is_file():
            p.unlink()
    build(site, FIXED_NOW + timedelta(days=1))
    assert {p.name: p.read_bytes() for p in (site / "output").iterdir() if p.is_file()} == files


def test_changing_base_url_rewrites_links_but_not_ids(site):
    write(site / "seeds" / "a.txt", "A\n\nbody", mtime=T0)
    build(site)
    (before,) = entries(site)
    build(site, FIXED_NOW + timedelta(hours=1), base_url="https://example.org/f/")
    (after,) = entries(site)
    assert after.id == before.id and after.link == "https://example.org/f/items/a.html"


def test_state_schema_upgrades_from_version_1(tmp_path):
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0] + "\nPRAGMA user_version = 1;")
    db.execute("INSERT INTO feeds (name, feed_id) VALUES ('', 'urn:x')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.feed_state("")[0] == "urn:x"
        assert store.sources() == []


def test_state_from_a_newer_seedfeed_is_refused(tmp_path):
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(OutputError, match="newer seedfeed"):
        Store(path)


def test_editing_an_item_outside_the_feed_does_not_move_the_feed_date(site):
    for i in range(3):
        write(site / "seeds" / f"d{i}.txt", f"Doc {i}\n\nbody", mtime=T0 + timedelta(days=i))
    build(site, max_items=2)
    before = feedparser.parse((site / "output" / "atom.xml").read_bytes()).feed.updated
    write(site / "seeds" / "d0.txt", "Doc 0\n\nedited", mtime=T0 + timedelta(days=30))
    build(site, FIXED_NOW + timedelta(hours=1), max_items=2)
    assert feedparser.parse((site / "output" / "atom.xml").read_bytes()).feed.updated == before
