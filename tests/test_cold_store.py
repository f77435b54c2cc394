"""A first build's bulk insert into an empty SQLite state builds the items' secondary indexes once, afterwards
(``Store.put``): the schema ends exactly as the migrations made it, and a run rolled back in between keeps them."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.models import Item
from seedfeed.models import stub as stub_doc
from seedfeed.state.store import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _indexes(path: Path) -> list[tuple[str, str]]:
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()
    finally:
        db.close()


def _rows(n: int, prefix: str = "") -> list[tuple[Item, datetime, int, int]]:
    return [(Item(f"urn:{prefix}{i}", f"{prefix}doc-{i}", stub_doc(f"{prefix}d/{i}.txt", f"/s/d/{i}.txt", None, None, None),
                  T0, T0, f"raw:{i:032x}"), T0, 10, i) for i in range(n)]


def test_a_first_bulk_insert_leaves_the_schema_as_the_migrations_made_it(tmp_path: Path):
    fresh = tmp_path / "fresh.sqlite"
    Store(fresh).close()
    path = tmp_path / "state.sqlite"
    store = Store(path)
    cache = store.db.execute("PRAGMA cache_size").fetchone()
    store.put("news", _rows(12_000))
    assert store.db.execute("PRAGMA cache_size").fetchone() == cache   # the bulk insert's bigger cache is given back
    store.commit()
    store.put("news", _rows(10_000, "more-"))   # the table is not empty now: row by row, indexes kept
    store.commit()
    assert store.count_live("news") == 22_000
    assert store.slug_taken("news", "doc-11999") and store.slug_taken("news", "more-doc-9999")
    assert [e.key for e in store.entries("news", ["d/5.txt", "more-d/7.txt"])] == ["d/5.txt", "more-d/7.txt"]
    plan = store.db.execute("EXPLAIN QUERY PLAN SELECT 1 FROM items WHERE feed = 'news' AND slug = 'x'").fetchall()
    assert "items_by_slug" in str(plan)
    store.close()
    assert _indexes(path) == _indexes(fresh)
    assert len(_indexes(path)) >= 5
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_a_first_bulk_insert_rolled_back_keeps_every_index(tmp_path: Path):
    fresh = tmp_path / "fresh.sqlite"
    Store(fresh).close()
    path = tmp_path / "state.sqlite"
    store = Store(path)
    store.put("news", _rows(10_000))
    store.rollback()    # what a run that fails after merging does
    assert store.count_live("news") == 0
    store.close()
    assert _indexes(path) == _indexes(fresh)


def _drops_indexes(tmp_path: Path, name: str, *batches: int) -> list[bool]:
    """For each batch put in turn (each committed), whether the store dropped and rebuilt the indexes for it."""
    store = Store(tmp_path / name)
    seen: list[str] = []
    store.db.set_trace_callback(seen.append)
    dropped = []
    try:
        for n, size in enumerate(batches):
            seen.clear()
            store.put("news", _rows(size, f"b{n}-"))
            store.commit()
            dropped.append(any(s.startswith("DROP INDEX") for s in seen))
    finally:
        store.close()
    return dropped


def test_only_a_first_insert_of_10000_rows_or_more_builds_the_indexes_afterwards(tmp_path: Path):
    """The documented rule: into an empty items table, 10,000 rows or more; anything else keeps the indexes up to
    date row by row (dropping them would rebuild them over every row already stored)."""
    assert _drops_indexes(tmp_path, "exact.sqlite", 10_000, 10_000) == [True, False]
    assert _drops_indexes(tmp_path, "small.sqlite", 9_999) == [False]


def test_looking_up_a_few_keys_uses_the_key_index_not_a_scan_of_the_feed(tmp_path: Path):
    """What an event run and a run told its changed paths ask: a few keys among many; SQLite's choice of
    items_by_published (feed, removed_at) there reads every live row of the feed."""
    store = Store(tmp_path / "state.sqlite")
    store.put("news", _rows(2_000))
    store.commit()
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    assert store.stats("news", ["d/5.txt", "d/7.txt"]) == {"d/5.txt": (10, 5), "d/7.txt": (10, 7)}
    assert [e.key for e in store.entries("news", ["d/9.txt"])] == ["d/9.txt"]
    store.db.set_trace_callback(None)
    lookups = [sql for sql in asked if " IN (" in sql]
    assert len(lookups) == 2
    for sql in lookups:
        plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "items_by_key" in plan, (sql, plan)
    store.close()


def test_the_unarchived_items_are_read_from_the_date_index_alone(tmp_path: Path):
    """Each run with archives on asks for the feed's items in no archive page: the ids come from the date index
    (a covering read), not from every row of the feed, whose documents make the table hundreds of MB."""
    store = Store(tmp_path / "state.sqlite")
    store.put("news", _rows(2_000))
    store.commit()
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    assert len(store.unarchived_ids("news")) == 2_000
    store.db.set_trace_callback(None)
    plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + asked[-1]))
    assert "COVERING INDEX items_by_published" in plan, plan
    # and a page's items are found from the page, not by walking the feed's items once per page (quadratic)
    for item_id in store.unarchived_ids("news")[:5]:
        store.archive("news", item_id, 1)
    store.db.set_trace_callback(asked.append)
    assert len(store.archive_page_ids("news", 1)) == 5
    store.db.set_trace_callback(None)
    plan = [row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + asked[-1])]
    assert "archive_by_page" in plan[0], plan
    store.close()
