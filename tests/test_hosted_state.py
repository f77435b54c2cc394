# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""The state in PostgreSQL, through the real CLI: same feeds as SQLite byte for byte, ``state init|migrate``,
``status`` reading source health from PostgreSQL, and clear errors."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import timedelta
from pathlib import Path

import feedparser
import psycopg
import pytest
from seedfeed.sources.web import source_key
from seedfeed.state.postgres import SCHEMA_VERSION
from seedfeed.state.transfer import TABLES

from tests.conftest import FIXED_NOW, run_cli, write
from tests.hosted import pg_server, pg_url  # noqa: F401  (fixtures)

EPOCH = int(FIXED_NOW.timestamp())


def seeds(site: Path) -> None:
    # Two documents share a date (the tie is broken by id), titles that sort differently by locale and by byte.
    write(site / "seeds" / "a.md", "---\ntitle: apple\ndate: 2026-02-01T10:00:00Z\n---\nFirst.\n", FIXED_NOW)
    write(site / "seeds" / "B.md", "---\ntitle: Banana\ndate: 2026-02-01T10:00:00Z\n---\nSecond.\n", FIXED_NOW)
    write(site / "seeds" / "é.md", "# Éclair\n\nThird, no date: first seen is the date.\n", FIXED_NOW)
    write(site / "seeds" / "notes" / "z.txt", "Zebra\n\nA plain text note.\n", FIXED_NOW)


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def build(site: Path, state: str | None, epoch: int, *extra: str) -> None:
    args = ["build", *extra] + (["--state", state] if state else [])
    done = run_cli(*args, cwd=site, env={"SOURCE_DATE_EPOCH": str(epoch)})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("extra", [(), ("--max-items", "2"), ("--max-items", "1")], ids=["one-page", "archived", "stubs"])
def test_sqlite_and_postgresql_give_byte_identical_feeds(tmp_path, pg_url, extra):
    lite, pg = tmp_path / "lite", tmp_path / "pg"
    seeds(lite)
    if extra[-1:] == ("1",):   # no archives: documents outside the window are kept as stubs until they enter it
        write(lite / "seedfeed.toml", "archives = false\n")
    shutil.copytree(lite, pg)
    for epoch in (EPOCH, EPOCH + 3600):
        build(lite, None, epoch, *extra)
        build(pg, pg_url, epoch, *extra)
        assert files(lite / "output") == files(pg / "output")
        assert ("archive/atom-1.xml" in files(pg / "output")) == (extra[-1:] == ("2",))   # RFC 5005 pages
        # Between the two runs: one document edited, one removed, one added (updates, tombstones, new ids).
        for site in (lite, pg):
            write(site / "seeds" / "a.md", "---\ntitle: apple pie\ndate: 2026-02-01T10:00:00Z\n---\nEdited.\n",
                  FIXED_NOW + timedelta(hours=1))
            (site / "seeds" / "B.md").unlink(missing_ok=True)
            write(site / "seeds" / "c.md", "# Cherry\n\nNew.\n", FIXED_NOW + timedelta(hours=1))
    parsed = feedparser.parse((pg / "output" / "atom.xml").read_bytes())
    assert {e.title for e in parsed.entries} <= {"apple pie", "Éclair", "Zebra", "Cherry"}
    assert len(parsed.entries) == (int(extra[-1]) if extra else 4)
    if extra[-1:] == ("1",):   # the case did what it says: PostgreSQL keeps stubs (an empty document)
        with psycopg.connect(pg_url) as db:
            assert db.execute("SELECT count(*) FROM items WHERE doc = ''").fetchone()[0] >= 1
    assert not (pg / ".seedfeed" / "state.sqlite").exists()   # the state went to PostgreSQL, the lock stayed here


def test_state_migrate_keeps_every_row_and_the_next_build_changes_nothing(tmp_path, pg_url):
    site = tmp_path / "site"
    seeds(site)
    # A local file a document links to (the files table) and items scrolled into an archive page (archive).
    write(site / "seeds" / "map.md", "---\ntitle: map\ndate: 2026-01-01T10:00:00Z\n---\n![the map](map.png)\n", FIXED_NOW)
    (site / "seeds" / "map.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    build(site, None, EPOCH, "--max-items", "2")
    state = site / ".seedfeed" / "state.sqlite"
    with sqlite3.connect(state) as db:   # a web source's health and ETag, as a fetch would have left them
        db.execute("INSERT INTO sources VALUES ('', 'https://example.org/p', 'page', '\"e1\"', 'Sun, 01 Mar 2026',"
                   " 304, '2026-03-01T12:00:00.000000+00:00', NULL, 'HTTP 503', '2026-03-01T11:00:00.000000+00:00',"
                   " 2, NULL, 'https://example.org/p?x=1', '2026-03-01T11:30:00.000000+00:00')")
    done = run_cli("state", "migrate", "--from", str(state), "--to", pg_url, cwd=site)
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(state) as lite, psycopg.connect(pg_url) as pg:
        for table, columns in TABLES.items():
            query = f"SELECT {columns} FROM {table}"
            rows = sorted(lite.execute(query), key=lambda r: (r[0], r[1]))
            assert len(rows) >= 1 and sorted(pg.execute(query), key=lambda r: (r[0], r[1])) == rows, table
    before = files(site / "output")
    assert "files/map.png" in before and "archive/atom-1.xml" in before
    build(site, pg_url, EPOCH + 60, "--max-items", "2")
    assert files(site / "output") == before
    again = run_cli("state", "migrate", "--from", str(state), "--to", pg_url, cwd=site)
    assert again.returncode == 3 and "already holds a state" in again.stderr and "hint:" in again.stderr


def test_status_reads_source_health_from_postgresql(tmp_path, pg_url):
    site = tmp_path / "site"
    seeds(site)
    build(site, pg_url, EPOCH)
    with psycopg.connect(pg_url) as db:
        db.execute("INSERT INTO sources (feed, url, kind, last_status, last_error, failing_since, last_run)"
                   " VALUES ('', %s, 'page', 503, 'HTTP 503',"
                   " '2026-01-01T00:00:00.000000+00:00', '2026-03-01T11:00:00.000000+00:00')",
                   (source_key("http://127.0.0.1:9/x"),))
    write(site / "seedfeed.toml", 'pages = [{url = "http://127.0.0.1:9/x", every = "1h"}]\nallow_private = true\n')
    done = run_cli("status", "--state", pg_url, "--json", cwd=site, env={"SOURCE_DATE_EPOCH": str(EPOCH)})
    assert done.returncode == 1, done.stderr   # failing for much longer than 3 periods
    assert "HTTP 503" in done.stdout and '"items": 4' in done.stdout


def test_state_init_twice_and_unreachable_server_is_a_clear_error(tmp_path, pg_url):
    for _ in range(2):
        done = run_cli("state", "init", "--state", pg_url, "-v", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT version FROM seedfeed_schema").fetchone() == (SCHEMA_VERSION,)
    (tmp_path / "seeds").mkdir()
    down = run_cli("build", "--state", "postgresql://u:secret@127.0.0.1:9/nope", cwd=tmp_path)
    assert down.returncode == 3 and "cannot connect to the state database" in down.stderr
    assert "secret" not in down.stderr and "hint:" in down.stderr


def test_dry_run_on_postgresql_writes_nothing_and_state_init_makes_a_sqlite_file(tmp_path, pg_url):
    seeds(tmp_path)
    done = run_cli("build", "--dry-run", "--state", pg_url, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "4 new" in done.stdout and not (tmp_path / "output").exists()
    with psycopg.connect(pg_url) as db:   # not even the schema: the dry run's migration was rolled back
        assert db.execute("SELECT to_regclass('seedfeed_schema')").fetchone() == (None,)
    init = run_cli("state", "init", "-v", cwd=tmp_path)
    assert init.returncode == 0 and (tmp_path / ".seedfeed" / "state.sqlite").is_file(), init.stderr
