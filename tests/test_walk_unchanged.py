"""A full walk skips the files whose stat matches the state (seedfeed.sources.walk.Unchanged): it must still
find exactly what a walk that yields every file finds -- what changed, what is new and what vanished."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once
from seedfeed.progress import no_progress
from seedfeed.sources.collect import collect
from seedfeed.sources.walk import SeedFile, scan
from seedfeed.state.backends import open_store

from tests.conftest import FIXED_NOW, write

T0 = datetime(2026, 1, 10, 8, 30, tzinfo=UTC)


class Sink:
    """Where collect reports problems (the pipeline passes its Report)."""

    def __init__(self) -> None:
        self.skipped: list = []
        self.ignored: list = []
        self.warnings: list[str] = []
        self.cancel = lambda: False
        self.progress = no_progress

    def check_cancel(self) -> None:
        pass


def reference(config, known: dict[str, tuple[int, int]]) -> tuple[set[str], set[str]]:
    """(keys to read, keys vanished) as a walk that yields every file decides them."""
    feed = config.feeds[0]
    present: dict[str, SeedFile] = {}
    for folder in feed.seeds:
        prefix = f"{folder.name}/" if len(feed.seeds) > 1 else ""
        present |= {prefix + f.key: f for f in scan(folder) if isinstance(f, SeedFile)}
    changed = {k for k, f in present.items() if known.get(k) != (f.size, f.mtime_ns)}
    return changed, {k for k in known if k not in present and "://" not in k}


def test_skipping_unchanged_files_finds_what_a_full_walk_finds(tmp_path: Path):
    a, b = tmp_path / "news", tmp_path / "notes"
    for folder in (a, b):
        for sub in ("", "x/", "x/deep/", "y/"):
            for i in range(4):
                write(folder / f"{sub}doc{i}.txt", f"{folder.name} {sub} {i}\n\nbody {i}", mtime=T0 + timedelta(minutes=i))
    config = load(None, Overrides(seeds=[str(a), str(b)]), tmp_path)
    run_once(config, FIXED_NOW)

    (a / "x" / "doc1.txt").unlink()                                   # a file deleted
    for p in sorted((b / "x" / "deep").iterdir()):                    # a whole folder deleted
        p.unlink()
    (b / "x" / "deep").rmdir()
    (a / "y" / "doc2.txt").unlink()                                   # a file replaced by a folder
    write(a / "y" / "doc2.txt" / "inner.txt", "Inner\n\nbody", mtime=T0)
    (b / "doc3.txt").unlink()                                         # a file replaced by a broken symlink
    os.symlink(tmp_path / "nowhere.txt", b / "doc3.txt")
    write(a / "doc0.txt", "news edited\n\nnew body", mtime=T0 + timedelta(hours=1))   # edited
    os.utime(b / "y" / "doc1.txt", (T0.timestamp() + 7200, T0.timestamp() + 7200))   # touched only
    write(b / "y" / "doc9.txt", "New one\n\nbody", mtime=T0 + timedelta(hours=2))     # new

    with open_store(config) as store:
        known = store.stats("")
        expected_read, expected_gone = reference(config, known)
        sink = Sink()
        found = collect(config.feeds[0], store, config.max_bytes, sink)
    assert {o.doc.key for o in found.observed} == expected_read == {
        "news/doc0.txt", "notes/y/doc1.txt", "notes/y/doc9.txt", "news/y/doc2.txt/inner.txt"}
    assert found.vanished == expected_gone == {
        "news/x/doc1.txt", "news/y/doc2.txt", "notes/doc3.txt", *(f"notes/x/deep/doc{i}.txt" for i in range(4))}
    assert any("broken symlink" in s.reason for s in sink.skipped)

    report = run_once(config, FIXED_NOW + timedelta(minutes=1))
    assert (report.feeds[0].new, report.feeds[0].removed) == (2, 7)
    titles = {e.title for e in feedparser.parse((tmp_path / "output" / "atom.xml").read_bytes()).entries}
    assert "news edited" in titles and "New one" in titles and "Inner" in titles
    assert "notes x/deep/ 0" not in titles and "news x/ 1" not in titles


def test_a_no_change_walk_reads_nothing_and_loses_nothing(site: Path):
    for i in range(30):
        write(site / "seeds" / f"f{i % 3}" / f"d{i}.md", f"---\ntitle: T{i}\n---\n\nBody {i}.", mtime=T0 + timedelta(hours=i))
    write(site / "seeds" / "top.txt", "Top\n\nbody", mtime=T0)
    config = load(None, Overrides(max_items=5), site)
    run_once(config, FIXED_NOW)
    with open_store(config) as store:
        found = collect(config.feeds[0], store, config.max_bytes, Sink())
        assert found.observed == [] and found.vanished == set()
        assert store.count_live("") == 31
    report = run_once(config, FIXED_NOW + timedelta(minutes=1))
    assert not report.changed and report.feeds[0].items == 31


def test_the_stored_stats_by_folder_are_also_the_key_mapping():
    from seedfeed.sources.walk import Unchanged

    stats = Unchanged({"": {"a.md": (1, 2)}, "x/y": {"b.md": (3, 4)}, "https://e.org": {"p": (5, 6)}})
    assert stats.get("a.md") == (1, 2) and stats.get("x/y/b.md") == (3, 4) and stats.get("x/b.md") is None
    assert "x/y/b.md" in stats and "nope" not in stats and len(stats) == 3 and stats["a.md"] == (1, 2)
    assert sorted(stats) == ["a.md", "https://e.org/p", "x/y/b.md"] and stats.web == {"https://e.org/p"}
    assert stats.keys() & {"a.md", "q"} == {"a.md"}
    assert Unchanged({}).get("a.md") is None and "a.md" not in Unchanged({})
