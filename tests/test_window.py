"""Documents outside the feed window are only probed, and get the same id and dates when they enter it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from seedfeed.config import Overrides, load
from seedfeed.extraction.document import extract
from seedfeed.extraction.probe import probe
from seedfeed.models import RawDoc
from seedfeed.pipeline import run_once

from tests.conftest import FIXED_NOW, ROOT, run_cli, write

T0 = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


def build(site: Path, now: datetime, max_items: int):
    """A build without archives: with them every document is read in full (archives need every item whole)."""
    config = site / "seedfeed.toml"
    if not config.exists():
        config.write_text("archives = false\n")
    return run_once(load(config, Overrides(max_items=max_items), site), now)


def corpus(site: Path) -> None:
    """Text, Markdown (dated and undated, YAML the fast path reads and YAML it does not) and HTML, with dates
    that do not follow the file times."""
    for i in range(12):
        when = T0 + timedelta(hours=i)
        if i % 4 == 0:
            write(site / "seeds" / f"t{i:02d}.txt", f"Text {i}\n\nBody of text {i}.", mtime=when)
        elif i % 4 == 1:
            write(site / "seeds" / f"m{i:02d}.md", f"---\ntitle: Markdown {i}\ndate: 2025-0{i % 9 + 1}-0{i % 7 + 1}\n"
                  f"tags: [a, b]\n---\n\nBody *{i}*.", mtime=when)
        elif i % 4 == 2:
            write(site / "seeds" / f"q{i:02d}.md", f"---\ntitle: \"Quoted: {i}\"\nupdated: 2026-03-01T10:00:00+02:00\n"
                  f"id: doc-{i}\n---\n# Heading\n\nBody {i}.", mtime=when)
        else:
            write(site / "seeds" / f"h{i:02d}.html", f"<html><head><title>Page {i}</title><meta property="
                  f"'article:published_time' content='2026-02-0{i % 9 + 1}T12:00:00Z'></head><body><article><h1>Page {i}"
                  f"</h1><p>{'Words of the page. ' * 20}</p></article></body></html>", mtime=when)


def stubs(site: Path) -> int:
    with sqlite3.connect(site / ".seedfeed" / "state.sqlite") as db:
        return db.execute("SELECT count(*) FROM items WHERE doc = ''").fetchone()[0]


def published(site: Path) -> list[tuple]:
    feed = feedparser.parse((site / "output" / "atom.xml").read_bytes())
    return [(e.id, e.published, e.updated, e.title, e.link, e.summary) for e in feed.entries]


def test_a_document_entering_the_window_later_has_the_id_and_dates_of_a_full_first_read(tmp_path):
    lazy, full = tmp_path / "lazy", tmp_path / "full"
    corpus(lazy)
    shutil.copytree(lazy / "seeds", full / "seeds")   # copytree keeps the file times
    build(lazy, FIXED_NOW, max_items=3)
    build(full, FIXED_NOW, max_items=100)             # every document read in full at first sight
    assert stubs(lazy) == 9 and stubs(full) == 0
    for step in range(1, 4):  # delete the three newest documents: older ones enter the window
        for site in (lazy, full):
            slugs = {e.link.rsplit("/", 1)[-1].removesuffix(".html")
                     for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries[:3]}
            for path in (site / "seeds").iterdir():
                if path.stem in slugs:
                    path.unlink()
            build(site, FIXED_NOW + timedelta(days=step), max_items=3)
        assert published(lazy) == published(full)
        assert len(published(lazy)) == 3
    assert stubs(lazy) < 9


def test_broken_front_matter_is_reported_at_once_and_a_broken_body_when_it_enters_the_window(site):
    write(site / "seedfeed.toml", "archives = false\n")   # with archives every document is read in full
    for i in range(6):
        write(site / "seeds" / f"n{i}.txt", f"News {i}\n\nBody.", mtime=T0 + timedelta(days=10 + i))
    write(site / "seeds" / "bad-yaml.md", "---\ntitle: [unclosed\n---\nBody", mtime=T0)
    write(site / "seeds" / "bad-date.md", "---\ndate: someday\n---\nBody", mtime=T0)
    write(site / "seeds" / "latin1.txt", "Caf\xe9 cr\xe8me\n\n".encode("utf-16-le") + b"\x00" * 20, mtime=T0)
    write(site / "seeds" / "no-body.md", "---\ntags: [x]\n---\n", mtime=T0 + timedelta(days=1))
    first = run_cli("build", "--max-items", "3", cwd=site)
    assert first.returncode == 0, first.stderr
    assert "bad-yaml.md: front matter is not valid YAML" in first.stderr
    assert "bad-date.md: front matter date: " in first.stderr and "someday" in first.stderr  # a warning, not a skip
    assert "latin1.txt" in first.stderr
    assert "no-body.md" not in first.stderr   # only probed: its body is read when it enters the window
    for i in range(6):
        (site / "seeds" / f"n{i}.txt").unlink()
    second = run_cli("build", "--max-items", "3", cwd=site)
    assert "no-body.md: no title and no text found" in second.stderr
    assert second.returncode == 0


def test_the_probe_gives_the_dates_and_id_of_full_extraction():
    blocks = ["title: Harbour bridge 4\ntags: [water, city]", "title: A\ndate: 2024-05-01",
              "Title: x\nDate: 2024-05-01T09:30:00Z",
              "date: 2024-05-01 09:30:00+02:00", "updated: 2024-05-01T09:30:00.5", "title: Café déjà vu\nauthor: Ann Lee",
              "date: '2024-05-01'\nid: 12", "date: 2024-05-01T09:30:00-05:00\nid: yes", "title: yes", "id: 12",
              "title: x # c", "date: 2024-5-1", "title: 'q'", "tags:\n  - a\nid: x-1",
              "title:\tx\ndate: 2024-05-03", "link: https://example.org/p\ndate: 2024-05-04T10:00:00+02:00"]
    for block in blocks:
        raw = RawDoc("a.md", "a.md", "md", f"---\n{block}\n---\nBody text.".encode(), T0)
        doc, _ = extract(raw)
        seen = probe(raw)
        assert (seen.published, seen.updated, seen.explicit_id) == (doc.published, doc.updated, doc.explicit_id), block
    page = RawDoc("p.html", "p.html", "html", b"<html><head><meta property='article:published_time' "
                  b"content='2026-02-01T12:00:00+01:00'></head><body><article><p>Text</p></article></body></html>", T0)
    assert probe(page).published == extract(page)[0].published == datetime(2026, 2, 1, 11, tzinfo=UTC)
    # the shipped tuning's date rules, not extract_dates' own defaults: htmldate's guess the text does not show,
    # and a JSON-LD date, give way to the date the text shows first (both failed before the probe used them)
    for head, body in (("", "<div data-date='2020-01-02'></div><p>Posted March 3, 2024. The harbour bridge.</p>"),
                       ("<script type='application/ld+json'>{\"@type\": \"Article\", \"datePublished\": "
                        "\"2019-05-05T10:00:00Z\"}</script>", "<p>March 3, 2024</p><p>The harbour bridge.</p>")):
        page = RawDoc("p.html", "p.html", "html", f"<html><head>{head}</head><body><article><h1>Harbour</h1>{body}"
                      "</article></body></html>".encode(), T0)
        assert probe(page).published == extract(page)[0].published == datetime(2024, 3, 3, tzinfo=UTC), head


def test_a_process_pool_reads_the_same_as_reading_in_process(site):
    # In a fresh interpreter: the pool forks only a single-threaded process, and the test session has threads.
    corpus(site)
    script = """
import sys, threading
from pathlib import Path
from seedfeed.sources import pool
from seedfeed.sources.seeds import Job, read_all
from seedfeed.sources.walk import scan

jobs = [Job(f, f.key, 10**6, probe_only=i % 2 == 0) for i, f in enumerate(scan(Path(sys.argv[1])))]
pool.POOL_MIN_JOBS = 1
assert threading.active_count() == 1 and pool.workers() == 2
pooled = list(pool.read_many(jobs, lambda: False))
assert pooled == list(read_all(jobs, lambda: False)), "pool and in-process reads differ"
assert all(type(r.observed.doc.provenance).__name__ == "mappingproxy" for r in pooled)
print(len(pooled), "read alike")
"""
    result = subprocess.run([sys.executable, "-c", script, str(site / "seeds")], capture_output=True, text=True,
                            env={**os.environ, "SEEDFEED_WORKERS": "2", "PYTHONPATH": str(ROOT)}, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "12 read alike"


def test_editing_a_document_outside_the_window_rewrites_nothing_until_it_enters(site):
    for i in range(6):
        write(site / "seeds" / f"n{i}.txt", f"News {i}\n\nBody.", mtime=T0 + timedelta(days=i))
    build(site, FIXED_NOW, max_items=3)
    feed = (site / "output" / "atom.xml").read_bytes()
    write(site / "seeds" / "n0.txt", "News 0 edited\n\nNew body.", mtime=T0 + timedelta(days=30))
    report = build(site, FIXED_NOW + timedelta(hours=1), max_items=3)
    assert report.feeds[0].updated == 1 and report.feeds[0].files_written == 0
    assert (site / "output" / "atom.xml").read_bytes() == feed
    for i in range(3, 6):
        (site / "seeds" / f"n{i}.txt").unlink()
    build(site, FIXED_NOW + timedelta(hours=2), max_items=3)
    entries = feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries
    assert [e.title for e in entries] == ["News 2", "News 1", "News 0 edited"]
    assert entries[2].published == "2026-01-10T08:30:00+00:00"   # its first sight, not the edit
