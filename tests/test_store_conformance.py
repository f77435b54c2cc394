# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""One suite, two stores: the SQLite file and PostgreSQL keep the same state and give it back in the same order.

Every test runs against both (``store`` is parametrized). The PostgreSQL databases are created with ICU's en-US
as their default collation, so a query that forgets ``COLLATE "C"`` orders "B" after "a" and fails here.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from seedfeed.errors import OutputError
from seedfeed.models import Document, Item
from seedfeed.state.base import Store
from seedfeed.state.postgres import PgStore
from seedfeed.state.store import SourceState
from seedfeed.state.store import Store as SqliteStore

from tests.conftest import ROOT
from tests.hosted import pg_server, pg_url  # noqa: F401  (fixtures)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
Opener = Callable[..., Store]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Opener]]:
    """(target, open): ``open()`` opens the store for writing, ``open(readonly=True)`` peeks."""
    if request.param == "sqlite":
        path = tmp_path / "state.sqlite"

        def open_sqlite(readonly: bool = False) -> Store:
            return SqliteStore.peek(path) if readonly else SqliteStore(path)  # type: ignore[return-value]
        yield str(path), open_sqlite
    else:
        url = request.getfixturevalue("pg_url")

        def open_pg(readonly: bool = False) -> Store:
            return PgStore.peek(url, tmp_path / "state.sqlite") if readonly else PgStore(url, tmp_path / "x")  # type: ignore[return-value]
        yield url, open_pg


@pytest.fixture
def store(backend: tuple[str, Opener]) -> Iterator[Store]:
    with backend[1]() as s:
        yield s


def item(i: str, *, key: str | None = None, published: datetime = T0, title: str = "T", slug: str | None = None) -> Item:
    doc = Document(key=key or f"seeds/{i}.md", origin=f"seeds/{i}.md", title=title, summary="s", body_html="<p>b</p>",
                   published=published, tags=("x", "ÿ"), provenance={"title": "h1"})
    return Item(i, slug or i.lower(), doc, published, published, f"hash-{i}")


def test_a_fresh_state_has_nothing_and_peeks_as_none_until_created(backend):
    assert backend[1](readonly=True) is None
    with backend[1]() as s:
        assert s.entries("f") == [] and s.sources() == [] and s.feed_state("f") == (None, None, None, False)
        assert s.count_live("f") == 0 and s.built_at("f") is None and s.newest("f", 10) == []
    peek = backend[1](readonly=True)
    assert peek is not None
    peek.close()


def test_items_round_trip_and_order_by_bytes_not_by_locale(store):
    # Same published time: the tie is broken by id in byte order ("B" < "a" < "b" < "é"), on both stores.
    ids = ["b", "é", "B", "a"]
    store.put("f", [(item(i), T0, 10, 20) for i in ids])
    store.put("f", [(item("new", published=T0 + timedelta(seconds=1), title="Grüße — ✓"), T0, 1, 2)])
    store.commit()
    newest = store.newest("f", 10)
    assert [i.id for i in newest] == ["new", "B", "a", "b", "é"]
    assert newest[0].doc.title == "Grüße — ✓" and newest[1].doc.tags == ("x", "ÿ")
    assert newest[1].doc.provenance["title"] == "h1" and newest[1].published == T0
    assert store.count_live("f") == 5 and store.count_live("other") == 0
    assert store.stats("f")["seeds/B.md"] == (10, 20)
    assert store.slugs("f") == {"b", "é", "a", "new"}
    assert sorted(i.id for i in store.items_by_id("f", ["a", "é", "missing"])) == ["a", "é"]


def test_entries_touch_remove_and_tombstones(store):
    store.put("f", [(item(i), T0, 1, 1) for i in ("a", "b", "c")])
    store.touch("f", "a", size=5, mtime_ns=6)
    store.remove("f", "c", T0 + timedelta(hours=1))
    entries = {e.id: e for e in store.entries("f")}
    assert entries["a"].size == 5 and entries["a"].mtime_ns == 6 and not entries["a"].removed
    assert entries["c"].removed and entries["c"].first_seen == T0 and entries["c"].content_hash == "hash-c"
    # With keys: the live ones asked for (by key or id) and every tombstone.
    assert sorted(e.id for e in store.entries("f", ["seeds/a.md"], ["b"])) == ["a", "b", "c"]
    assert sorted(e.id for e in store.entries("f", [], [])) == ["c"]
    assert store.removed_slugs("f") == ["c"]
    assert "seeds/c.md" not in store.stats("f")
    # A tombstone comes back to life under its old id.
    store.put("f", [(item("c"), T0, 1, 1)])
    assert store.removed_slugs("f") == [] and store.count_live("f") == 3


def test_pages_are_marked_once(store):
    store.put("f", [(item(i), T0, 1, 1) for i in ("a", "B", "c")])
    store.mark_paged("f", ["a", "B"])
    store.mark_paged("f", [])
    assert store.paged_ids("f") == {"a", "B"}
    assert [i.id for i in store.paged_items("f")] == ["B", "a"]
    # asked about some ids: only the paged ones among them (unknown and unpaged ids are not)
    assert store.paged_ids("f", ["a", "c", "nope"]) == {"a"} and store.paged_ids("f", []) == set()
    assert store.paged_ids("f", [f"x{n}" for n in range(1200)] + ["B"]) == {"B"}   # more than one chunk
    store.remove("f", "a", T0)
    assert store.paged_ids("f", ["a", "B"]) == {"B"}


def test_feed_state_and_render_mark(store):
    store.set_feed_state("f", "urn:x", "fp", None, T0, render_pending=True)
    assert store.feed_state("f") == ("urn:x", "fp", None, True)
    store.rendered("f")
    store.set_feed_state("g", "urn:y", "fp2", T0, T0 + timedelta(minutes=1), base_url="https://example.org/g/")
    assert store.feed_state("f") == ("urn:x", "fp", None, False)
    assert store.feed_state("g") == ("urn:y", "fp2", T0, False)
    assert store.built_at("g") == T0 + timedelta(minutes=1)
    assert store.base_urls() == {"g": "https://example.org/g/"}   # f was built for no recorded address
    store.set_feed_state("g", "urn:y", "fp2", T0, T0, base_url="https://example.com/g/")
    assert store.base_urls() == {"g": "https://example.com/g/"}


def test_files_links_and_known_ids(store):
    linked = item("a")
    own = Item("b", "b", Document(key="web/b", origin="https://x.example/b", title="B", summary="", body_html="",
                                  link="https://x.example/b"), T0, T0, "hash-b")
    store.put("f", [(linked, T0, 1, 1), (own, T0, 1, 1), (item("c"), T0, 1, 1)])
    store.set_files("f", "a", ["img/map.png", "notes/ä.txt", "img/map.png"])
    store.set_files("f", "c", ["img/map.png"])
    store.set_files("g", "a", ["other.png"])
    assert store.files("f") == {"img/map.png", "notes/ä.txt"}
    store.set_files("f", "a", ())   # removed: its files go unless another item links to them
    assert store.files("f") == {"img/map.png"}
    store.remove("f", "c", T0)
    assert store.doc_links("f") == {"seeds/a.md": ("a", None), "web/b": ("b", "https://x.example/b")}
    assert store.has_id("f", "c") and store.has_id("f", "b") and not store.has_id("g", "b")


def test_archive_pages_keep_their_items(store):
    # Same published time: unarchived ids come newest first, ties by id in byte order, as newest() gives them.
    store.put("f", [(item(i), T0, 1, 1) for i in ("b", "B", "a", "é")])
    assert store.unarchived_ids("f") == ["B", "a", "b", "é"]
    assert store.last_archive_page("f") == 0 and store.archive_page_size("f", 0) == 0
    store.archive("f", "é", 1)
    store.archive("f", "b", 1)
    store.archive("f", "a", 2)
    assert store.unarchived_ids("f") == ["B"] and store.last_archive_page("f") == 2
    assert store.archive_page_size("f", 1) == 2 and store.archive_pages_of("f", ["a", "é", "B"]) == {1, 2}
    assert store.archive_pages_of("f", []) == set() and store.last_archive_page("g") == 0
    store.remove("f", "b", T0)   # a removed item keeps its row (the page stays full) but is no longer on it
    assert store.archive_page_size("f", 1) == 2 and store.archive_page_ids("f", 1) == ["é"]


def test_sources_keep_health_and_sort_by_bytes(store):
    full = SourceState("f", "https://b.example/x", "page", '"etag-1"', "Sun, 01 Mar 2026 12:00:00 GMT", 200, T0,
                       T0 - timedelta(hours=1), None, None, 0, None, "https://b.example/x?utm=1", T0 - timedelta(minutes=5))
    store.put_source(full)
    store.put_source(SourceState("f", "https://B.example/z", "listing", last_status=503, last_run=T0,
                                 last_error="HTTP 503", failing_since=T0, not_found_count=2))
    store.put_source(SourceState("e", "https://z.example/", "page", parent="https://B.example/z"))
    assert [(s.feed, s.url) for s in store.sources()] == [
        ("e", "https://z.example/"), ("f", "https://B.example/z"), ("f", "https://b.example/x")]
    assert store.sources()[2] == full
    # One feed's only (a job reads its own feed's, not the whole state's), in byte order too
    assert store.sources("f") == store.sources()[1:] and store.sources("e") == store.sources()[:1]
    assert store.sources("g") == []
    store.put_source(SourceState("f", "https://b.example/x", "page", last_status=304, last_run=T0 + timedelta(1)))
    assert store.sources()[2].etag is None and store.sources()[2].last_status == 304
    assert store.sources()[2].deferred_since is None   # fetched at last: no longer deferred
    assert store.sources()[1].failing_since == T0 and store.sources()[1].not_found_count == 2


def test_rollback_forgets_and_commit_is_seen_by_a_reader(backend):
    open_ = backend[1]
    with open_() as s:
        s.put("f", [(item("a"), T0, 1, 1)])
        s.rollback()
        assert s.count_live("f") == 0
        s.put("f", [(item("b"), T0, 1, 1)])
        s.commit()
    reader = open_(readonly=True)
    try:
        assert [i.id for i in reader.newest("f", 5)] == ["b"]
    finally:
        reader.close()


def test_many_processes_migrating_a_fresh_state_at_once_all_succeed(backend):
    """The migration runner holds a lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock) and reads the
    version under it, so racing processes apply every step exactly once."""
    target = backend[0]
    code = ("import sys; from pathlib import Path\n"
            "t = sys.argv[1]\n"
            "if t.startswith('postgresql'):\n"
            "    from seedfeed.state.postgres import PgStore as S; s = S(t, Path('x'))\n"
            "else:\n"
            "    from seedfeed.state.store import Store as S; s = S(Path(t))\n"
            "s.put_source(__import__('seedfeed.state.store', fromlist=['x']).SourceState('f', sys.argv[2], 'page'))\n"
            "s.commit(); s.close()\n")
    procs = [subprocess.Popen([sys.executable, "-c", code, target, f"https://h/{n}"], cwd=ROOT,
                              stderr=subprocess.PIPE, text=True) for n in range(4)]
    errors = [p.communicate(timeout=60)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    reader = backend[1](readonly=True)
    assert reader is not None
    try:
        assert sorted(s.url for s in reader.sources()) == [f"https://h/{n}" for n in range(4)]
    finally:
        reader.close()


def test_stubs_are_kept_filled_and_forgotten(store):
    """Documents only probed (outside the window) are stored without a document and read in full later."""
    stub = Item("s", "s", Document(key="seeds/s.md", origin="seeds/s.md", title="", summary="", body_html=""),
                T0 + timedelta(hours=1), T0 + timedelta(hours=1), "raw:abc")
    store.put("f", [(item("a"), T0, 1, 1), (item("B"), T0, 1, 1), (stub, T0, 3, 4)])
    newest = store.newest("f", 1)[0]
    assert newest.id == "s" and newest.content_hash == "raw:abc" and newest.doc.key == "seeds/s.md"
    assert store.window("f", 2) == [("seeds/s.md", "2026-03-01T13:00:00.000000+00:00"),
                                    ("seeds/B.md", "2026-03-01T12:00:00.000000+00:00")]
    assert store.doc_links("f")["seeds/s.md"] == ("s", None)   # a stub has no document yet, hence no link
    store.fill("f", item("s", published=T0 + timedelta(hours=1), title="Filled"))
    filled = store.items_by_id("f", ["s"])[0]
    assert filled.doc.title == "Filled" and filled.content_hash == "hash-s" and filled.slug == "s"
    assert store.stats("f", ["seeds/s.md", "seeds/missing.md"]) == {"seeds/s.md": (3, 4)}
    assert store.slug_taken("f", "b") and not store.slug_taken("f", "zz") and not store.slug_taken("g", "b")
    assert not store.has_tombstones("f")
    store.remove("f", "a", T0)
    assert store.has_tombstones("f") and store.count_live("f") == 2
    store.forget("f", "s")
    assert store.count_live("f") == 1 and not store.has_id("f", "s")


def test_folder_stats_are_the_live_stats_by_folder(store):
    keys = ["top.md", "a/x.md", "a/y.md", "a/b/z.md", "b/x.md", "https://example.org/page"]
    store.put("f", [(item(f"i{n}", key=key), T0, n, 100 + n) for n, key in enumerate(keys)])
    store.put("g", [(item("other", key="a/x.md"), T0, 7, 7)])
    store.remove("f", "i4", T0)
    assert store.folder_stats("f") == {"": {"top.md": (0, 100)}, "a": {"x.md": (1, 101), "y.md": (2, 102)},
                                       "a/b": {"z.md": (3, 103)}, "https://example.org": {"page": (5, 105)}}
    grouped = {(f"{folder}/{name}" if folder else name): stat
               for folder, names in store.folder_stats("f").items() for name, stat in names.items()}
    assert grouped == store.stats("f")


def test_lookups_by_more_keys_than_one_query_takes_find_every_one(store):
    # Lookups by key or id ask in chunks of 500; 1,201 keys span three chunks, the last one short.
    ids = [f"i{n:04}" for n in range(1201)]
    store.put("f", [(item(i), T0, n, n + 1) for n, i in enumerate(ids)])
    for n, i in enumerate(ids):
        store.archive("f", i, n + 1)   # a page each: an id a chunk misses loses its page
    keys = [f"seeds/{i}.md" for i in ids]
    assert store.stats("f", keys) == {k: (n, n + 1) for n, k in enumerate(keys)}
    assert sorted(e.id for e in store.entries("f", keys=keys)) == ids
    assert sorted(e.id for e in store.entries("f", keys=[], ids=ids)) == ids
    assert sorted(i.id for i in store.items_by_id("f", ids)) == ids
    assert store.archive_pages_of("f", ids) == set(range(1, 1202))
    assert store.archive_pages_of("f", ids[500:501]) == {501}


def test_a_state_in_folders_that_do_not_exist_yet_makes_them(tmp_path):
    with SqliteStore(tmp_path / "new" / "deeper" / "state.sqlite") as store:
        assert store.entries("f") == []


def test_a_state_folder_that_cannot_be_made_is_an_error_naming_it(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    path = tmp_path / "a-file" / "state.sqlite"
    with pytest.raises(OutputError) as info:
        SqliteStore(path)
    assert str(path) in info.value.message and "cannot open the state file" in info.value.message
    assert "--state" in info.value.hint


def test_a_peek_reads_the_last_commit_while_a_run_holds_the_write_lock(tmp_path):
    # `status` and `check` peek while a build or the daemon may be writing: no waiting for the lock, no migration
    path = tmp_path / "state.sqlite"
    with SqliteStore(path) as writer:
        writer.put("f", [(item("a"), T0, 1, 1)])
        writer.commit()
        writer.put("f", [(item("b"), T0, 1, 1)])   # not committed: the writer holds the write lock
        peek = SqliteStore.peek(path)
        assert peek is not None
        with peek:
            assert [e.id for e in peek.entries("f")] == ["a"]


def test_a_migration_step_another_process_applied_while_we_waited_is_skipped_and_the_rest_applied(tmp_path):
    # Two processes open an old state at once: the one that waits for the migration lock finds a step done by the
    # other (`user_version` moved on while it waited) and must go on with the steps after it, not stop there.
    import sqlite3
    import threading

    from seedfeed.state.store import MIGRATIONS, SCHEMA_VERSION

    path = tmp_path / "state.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA journal_mode=WAL")
    for number in range(2):
        other.executescript(MIGRATIONS[number])
    other.execute("PRAGMA user_version = 2")
    other.execute("BEGIN IMMEDIATE")                     # the other process holds the migration lock ...
    opened: list[tuple[int, set[str]]] = []

    def open_and_use() -> None:
        with SqliteStore(path) as store:
            store.put("f", [(item("a"), T0, 1, 1)])
            store.set_files("f", "a", ["files/x.png"])   # a table of step 6
            store.commit()
            opened.append((store.db.execute("PRAGMA user_version").fetchone()[0], store.files("f")))
    waiting = threading.Thread(target=open_and_use)
    waiting.start()                                      # ... while this one reads version 2 and waits for it
    waiting.join(0.5)
    other.execute(MIGRATIONS[2].strip().rstrip(";"))    # step 3, one statement, inside the lock it holds
    other.execute("PRAGMA user_version = 3")
    other.execute("COMMIT")
    other.close()
    waiting.join(30)
    assert opened == [(SCHEMA_VERSION, {"files/x.png"})]


@pytest.mark.parametrize(("sqlite_message", "hint"), [
    ("database or disk is full", "free space on the disk holding"),
    ("attempt to write a readonly database", "writable by this user"),
    ("unable to open database file", "writable by this user"),
    ("disk I/O error", "restore it from a backup"),
])
def test_a_failed_state_write_gets_the_hint_for_its_cause(tmp_path, sqlite_message, hint):
    from seedfeed.state.store import state_error

    error = state_error(tmp_path / "state.sqlite", sqlite3.OperationalError(sqlite_message))
    assert error.message == f"{tmp_path / 'state.sqlite'}: cannot write the state ({sqlite_message})"
    assert hint in error.hint, error.hint


def test_a_damaged_state_file_peeks_as_none(tmp_path):
    path = tmp_path / "state.sqlite"
    path.write_bytes(b"not an SQLite database, " * 200)
    assert SqliteStore.peek(path) is None


def test_a_removed_item_and_a_new_one_with_the_same_key_are_both_kept(store):
    # a file replaced by another document with its own front-matter id: same key, two ids
    store.put("f", [(item("old", key="seeds/x.md"), T0, 1, 1)])
    store.remove("f", "old", T0)
    store.put("f", [(item("new", key="seeds/x.md"), T0, 2, 2)])
    for entries in (store.entries("f"), store.entries("f", keys=["seeds/x.md"])):
        assert sorted((e.id, e.removed) for e in entries) == [("new", False), ("old", True)]
