"""A first build's bulk insert into an empty SQLite state builds the items' secondary indexes once, afterwards
(``Store.put``): the schema ends exactly as the migrations made it, and a run rolled back in between keeps them."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from seedfeed.models import Item
from seedfeed.models import stub as stub_doc
from seedfeed.state.store import MIGRATIONS, Store

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


def test_the_unarchived_items_are_kept_once_a_feed_uses_archives(tmp_path: Path):
    """Each run with archives on asks for the feed's items in no archive page: a few among many. The first answer
    walks the feed's items; from then on they are kept (``unarchived``), and a feed that never asks keeps none."""
    store = Store(tmp_path / "state.sqlite")
    store.put("news", _rows(2_000))
    store.put("other", _rows(20, "o-"))
    store.commit()
    assert store.db.execute("SELECT count(*) FROM unarchived").fetchone() == (0,)   # nobody asked: nothing kept
    newest = store.unarchived_ids("news")
    assert len(newest) == 2_000
    for item_id in newest[5:]:
        store.archive("news", item_id, 1)
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    assert store.unarchived_ids("news") == newest[:5]
    store.db.set_trace_callback(None)
    plan = " ".join(row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + asked[-1].replace("'news'", "?"),
                                                       ("news",)))
    assert "SEARCH u" in plan and "items_by_published" not in plan, plan      # the kept 5, not the feed's 2,000
    assert store.db.execute("SELECT count(*) FROM unarchived WHERE feed = 'news'").fetchone() == (5,)
    store.put("other", _rows(21, "o-")[20:])
    assert store.db.execute("SELECT count(*) FROM unarchived WHERE feed = 'other'").fetchone() == (0,)
    # and a page's items are found from the page, not by walking the feed's items once per page (quadratic)
    store.db.set_trace_callback(asked.append)
    assert len(store.archive_page_ids("news", 1)) == 1_995
    store.db.set_trace_callback(None)
    plan = [row[3] for row in store.db.execute("EXPLAIN QUERY PLAN " + asked[-1])]
    assert "archive_by_page" in plan[0], plan
    store.close()


def test_the_kept_unarchived_items_are_what_a_walk_of_the_feed_finds(tmp_path: Path):
    """Whatever happens to a feed's items after it was first asked (stored, changed, removed, back, archived,
    forgotten and stored again, in any order), the kept answer equals the walk of every item it replaced."""
    rng = random.Random(5005)
    store = Store(tmp_path / "state.sqlite")
    rows = {row[0].id: row for row in _rows(300)}
    ids = sorted(rows)
    store.put("news", [rows[i] for i in ids[:100]])
    store.unarchived_ids("news")
    page, walk = 1, ("SELECT id FROM items WHERE feed = 'news' AND removed_at IS NULL AND id NOT IN"
                     " (SELECT id FROM archive WHERE feed = 'news') ORDER BY published DESC, id")
    for step in range(600):
        item_id = rng.choice(ids)
        stored = store.db.execute("SELECT removed_at IS NULL FROM items WHERE id = ?", (item_id,)).fetchone()
        in_archive = store.db.execute("SELECT 1 FROM archive WHERE id = ?", (item_id,)).fetchone()
        action = rng.choice(("put", "put", "remove", "archive", "forget"))
        if action == "put":
            row = rows[item_id]
            moved = Item(row[0].id, row[0].slug, row[0].doc, T0.replace(minute=rng.randrange(60)), T0, row[0].content_hash)
            store.put("news", [(moved, T0, 10, step)])
        elif action == "remove" and stored:
            store.remove("news", item_id, T0)
        elif action == "archive" and stored and stored[0] and not in_archive:
            page += rng.random() < 0.1
            store.archive("news", item_id, page)
        elif action == "forget" and stored:
            store.forget("news", item_id)
        assert store.unarchived_ids("news") == [r[0] for r in store.db.execute(walk)], (step, action, item_id)
    store.close()


def test_a_state_from_before_the_kept_set_finds_it_on_the_first_ask(tmp_path: Path):
    """Schema 10 adds the tables; a feed already archiving is walked once, then kept."""
    path = tmp_path / "state.sqlite"
    db = sqlite3.connect(path)
    for step in MIGRATIONS[:9]:
        db.executescript(step)
    db.execute("PRAGMA user_version = 9")
    db.executemany("INSERT INTO items (feed, id, key, slug, content_hash, published, updated, first_seen, doc)"
                   " VALUES ('news', ?, ?, ?, 'h', ?, ?, ?, '')",
                   [(f"urn:{i}", f"d/{i}.txt", f"doc-{i}", f"2026-03-01T12:{i:02d}:00+00:00", "2026-03-01T12:00:00+00:00",
                     "2026-03-01T12:00:00+00:00") for i in range(10)])
    db.executemany("INSERT INTO archive (feed, id, page) VALUES ('news', ?, 1)", [(f"urn:{i}",) for i in range(6)])
    db.commit()
    db.close()
    store = Store(path)
    assert store.db.execute("PRAGMA user_version").fetchone() == (len(MIGRATIONS),)
    assert store.unarchived_ids("news") == ["urn:9", "urn:8", "urn:7", "urn:6"]
    store.commit()
    assert [r[0] for r in store.db.execute("SELECT id FROM unarchived ORDER BY id")] == ["urn:6", "urn:7", "urn:8", "urn:9"]
    assert store.unarchived_ids("news") == ["urn:9", "urn:8", "urn:7", "urn:6"]
    store.close()


def test_the_kept_live_count_is_what_counting_finds(tmp_path: Path):
    """The feed's live count is kept once counted; stores, removals, forgettings, rollbacks and many-row puts in
    any order leave it equal to a count of the rows, and a run on a reopened state does not count again."""
    rng = random.Random(12)
    path = tmp_path / "state.sqlite"
    store = Store(path)
    rows = {row[0].id: row for row in _rows(800)}
    ids = sorted(rows)
    store.put("news", [rows[i] for i in ids[:50]])
    assert store.count_live("news") == 50
    count = "SELECT count(*) FROM items WHERE feed = 'news' AND removed_at IS NULL"
    for step in range(500):
        item_id = rng.choice(ids)
        action = rng.choice(("put", "put", "remove", "forget", "many", "commit", "rollback", "reopen"))
        if action == "put":
            store.put("news", [rows[i] for i in {item_id, rng.choice(ids)}])
        elif action == "many" and rng.random() < 0.1:
            store.put("news", [rows[i] for i in rng.sample(ids, 600)])     # over MANY: the kept count is dropped
        elif action == "remove":
            store.remove("news", item_id, T0)
        elif action == "forget":
            store.forget("news", item_id)
        elif action == "commit":
            store.commit()
        elif action == "rollback":
            store.rollback()
        elif action == "reopen":
            store.commit()
            store.close()
            store = Store(path)
        assert store.count_live("news") == store.db.execute(count).fetchone()[0], (step, action, item_id)
    store.commit()
    store.close()
    store = Store(path)
    asked: list[str] = []
    store.db.set_trace_callback(asked.append)
    assert store.count_live("news") == store.db.execute(count).fetchone()[0]
    assert not any("count(*)" in sql for sql in asked[:-1]), asked      # the kept count, not a count of the rows
    store.close()
