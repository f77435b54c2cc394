# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""Hosted mode's workers through the real CLI, on a real PostgreSQL and a real origin server: dispatch, claiming,
coalescing, politeness across workers, and a worker killed with ``kill -9`` mid-job."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from seedfeed.config import Overrides, load
from seedfeed.hosted import claims
from seedfeed.state.postgres import PgStore, migrate
from seedfeed.state.store import SourceState

from tests.conftest import ROOT, run_cli, write
from tests.hosted import S3_ENV, Origin, bucket, kill_worker_when, origin, pg_server, pg_url, s3_server  # noqa: F401  (fixtures)


def setup_site(tmp_path: Path, origin: Origin, pg_url: str, feeds: dict[str, list[str]]) -> Path:
    """A config with one feed per entry, each publishing the given pages of ``origin``."""
    site = tmp_path / "site"
    text = f'allow_private = true\nstate = "{pg_url}"\n'
    for name, paths in feeds.items():
        (site / name).mkdir(parents=True)
        pages = ", ".join(f'{{url = "{origin.url}{p}", every = "1h"}}' for p in paths)
        text += f'[[feeds]]\nname = "{name}"\nseeds = ["{name}"]\npages = [{pages}]\n'
        for p in paths:
            origin.pages[p] = (f"Story {p}", f"Text of {p}.")
    write(site / "seedfeed.toml", text)
    return site


def ids(site: Path, feed: str) -> dict[str, str]:
    data = json.loads((site / "output" / feed / "feed.json").read_text())
    return {item["title"]: item["id"] for item in data["items"]}


def jobs(pg_url: str) -> list[tuple[str, str]]:
    with psycopg.connect(pg_url) as db:
        return db.execute("SELECT task_name, status::text FROM procrastinate_jobs ORDER BY id").fetchall()


def test_dispatch_coalesces_and_a_worker_publishes_every_feed_fetching_each_source_once(tmp_path, origin, pg_url):
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1", "/a2", "/a3"], "b": ["/b1", "/b2"]})
    for _ in range(3):   # dispatched three times: still one fetch job waiting for the one host's five sources
        done = run_cli("dispatch", "-v", cwd=site)
        assert done.returncode == 0, done.stderr
    assert jobs(pg_url) == [("seedfeed.fetch", "todo")]
    done = run_cli("worker", "--once", "--concurrency", "2", cwd=site, timeout=120)
    assert done.returncode == 0, done.stderr
    assert set(ids(site, "a")) == {"Story /a1", "Story /a2", "Story /a3"}
    assert set(ids(site, "b")) == {"Story /b1", "Story /b2"}
    # The fetch job queues a render per feed, each renders its one feed; the coalesced site job lists every feed
    # in the overview and OPML.
    opml = (site / "output" / "feeds.opml").read_text()
    assert "/a/" in opml and "/b/" in opml and "/a/" in (site / "output" / "index.html").read_text()
    assert {p: n for p, n in origin.hits.items() if p != "/robots.txt"} == {p: 1 for p in ("/a1", "/a2", "/a3", "/b1", "/b2")}
    assert origin.max_in_flight <= 2   # per_host_concurrency, across both worker threads
    # Nothing is due for an hour: dispatching again queues nothing.
    again = run_cli("dispatch", "-v", cwd=site)
    assert "0 jobs queued" in again.stderr, again.stderr
    status = run_cli("status", "--json", cwd=site)
    assert status.returncode == 0 and f"{origin.url}/b2" in status.stdout and '"http_status": 200' in status.stdout


def test_a_worker_killed_mid_job_loses_nothing_and_the_next_one_finishes_with_the_same_ids(tmp_path, origin, pg_url):
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1", "/a2"]})
    assert run_cli("dispatch", cwd=site).returncode == 0
    assert run_cli("worker", "--once", cwd=site, timeout=120).returncode == 0
    first = ids(site, "a")
    # The pages change and fall due again; the first worker to take the job is killed while fetching.
    origin.pages["/a1"] = ("Story /a1", "Edited text.")
    origin.slow["/a2"] = 4.0
    with psycopg.connect(pg_url) as db:
        db.execute("UPDATE due_sources SET due_at = now() - interval '1 second'")
    assert run_cli("dispatch", cwd=site).returncode == 0
    kill_worker_when(site, lambda: origin.started.wait(60) or pytest.fail("the worker never fetched the slow page"))
    assert jobs(pg_url) == [("seedfeed.fetch", "doing")]   # left behind by the dead worker
    origin.slow.clear()
    time.sleep(3)   # its heartbeat goes stale
    done = run_cli("worker", "--once", "--stalled-after", "2", cwd=site, timeout=120)
    assert done.returncode == 0, done.stderr
    assert jobs(pg_url) == []   # finished (and deleted)
    assert ids(site, "a") == first   # no id changed
    feed = json.loads((site / "output" / "a" / "feed.json").read_text())
    assert "Edited text." in next(i["content_html"] for i in feed["items"] if i["title"] == "Story /a1")
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT count(*) FROM items WHERE feed = 'a'").fetchone() == (2,)
        assert db.execute("SELECT count(*) FROM due_sources WHERE lease_until IS NOT NULL").fetchone() == (0,)


def test_politeness_holds_across_worker_processes(tmp_path, origin, pg_url):
    """Six feeds on one host, two worker processes with three job threads each: still at most
    per_host_concurrency (2) requests in flight at that host, and every source fetched exactly once."""
    paths = [f"/p{n}" for n in range(6)]
    site = setup_site(tmp_path, origin, pg_url, {f"f{n}": [p] for n, p in enumerate(paths)})
    for p in paths:
        origin.slow[p] = 1.5
    assert run_cli("dispatch", cwd=site).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-m", "seedfeed", "worker", "--once", "--concurrency", "3"],
                                cwd=site, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    assert {p: origin.hits.get(p) for p in paths} == {p: 1 for p in paths}
    assert origin.max_in_flight == 2
    assert origin.hits["/robots.txt"] == 1   # six jobs in two processes: one fetch, kept in PostgreSQL for all


def test_a_late_worker_is_fenced_off_by_the_epoch(pg_url):
    """A worker whose lease ran out and whose sources were claimed again completes nothing and writes no harvest
    row; the worker holding the new epoch does."""
    from datetime import UTC, datetime, timedelta

    from seedfeed.config import Config, FeedConfig, WebSource
    from seedfeed.hosted import claims, harvests
    from seedfeed.sources.web import Outcome

    PgStore(pg_url, Path("x")).close()   # migrated
    feed = FeedConfig(name="f", title="t", description="", link=None, language=None, author=None, seeds=(),
                      pages=(WebSource("page", "https://h.example/a", every="1h"),))
    config = Config(feeds=(feed,),
                    output=Path("/nonexistent"), state=Path("/nonexistent/s"), base_url="https://x.example/")
    now = datetime(2026, 3, 1, tzinfo=UTC)
    key = ("f", "https://h.example/a")
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, now)
        late = claims.claim_host(db, "h.example:", "job:1", now)
        assert claims.claim_host(db, "h.example:", "job:2", now) == {}   # held: nobody else gets it
        after_lease = now + claims.LEASE + timedelta(seconds=1)
        fresh = claims.claim_host(db, "h.example:", "job:2", after_lease)
        assert fresh == {key: late[key] + 1}
        answer = {key: [Outcome(SourceState("f", key[1], "page", last_run=after_lease))]}
        assert harvests.commit(db, config, late, answer, after_lease) == set()   # lost: writes nothing
        assert db.execute("SELECT count(*) FROM harvests").fetchone() == (0,)
        assert db.execute("SELECT holder, fetches FROM due_sources").fetchone() == ("job:2", 0)
        assert harvests.commit(db, config, fresh, answer, after_lease) == {key}
        assert db.execute("SELECT epoch FROM harvests").fetchall() == [(fresh[key],)]
        assert db.execute("SELECT holder, fetches, due_at FROM due_sources").fetchone() == (
            None, 1, after_lease + timedelta(hours=1))


def test_workers_publish_to_s3(tmp_path, origin, pg_url, s3_server, bucket):
    name, s3 = bucket
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1"], "b": ["/b1"]})
    env = {**S3_ENV, "AWS_ENDPOINT_URL": s3_server}
    assert run_cli("dispatch", "--output", f"s3://{name}/feeds", cwd=site, env=env).returncode == 0
    done = run_cli("worker", "--once", "--output", f"s3://{name}/feeds", cwd=site, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=name)["Contents"]}
    assert {"feeds/a/rss.xml", "feeds/b/atom.xml", "feeds/index.html", "feeds/feeds.opml"} <= keys
    body = s3.get_object(Bucket=name, Key="feeds/a/feed.json")["Body"].read()
    assert json.loads(body)["items"][0]["title"] == "Story /a1"


def test_feed_sources_are_claimed_and_a_deferred_source_stays_due(tmp_path, pg_url):
    """Feed sources get due rows like pages; a source the fetch budget did not reach is due again at once."""
    from seedfeed.hosted import harvests
    from seedfeed.sources.web import Outcome

    write(tmp_path / "seedfeed.toml", 'pages = [{url = "https://a.example/p", every = "1h"}]\n'
                                      '[[sources]]\nfeed = "https://b.example/feed.xml"\nevery = "1h"\n')
    config = load(tmp_path / "seedfeed.toml", Overrides(), tmp_path)
    migrate(pg_url)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    page, feed = ("", "https://a.example/p"), ("", "https://b.example/feed.xml")
    with psycopg.connect(pg_url) as db:
        assert claims.sync(db, config, now) == 2
        claimed = {**claims.claim_host(db, "a.example:", "job:1", now), **claims.claim_host(db, "b.example:", "job:2", now)}
        assert set(claimed) == {page, feed}
        found = {page: [Outcome(SourceState("", page[1], "page", deferred_since=now))],   # the budget ran out first
                 feed: [Outcome(SourceState("", feed[1], "feed", last_run=now))]}
        assert harvests.commit(db, config, claimed, found, now) == {page, feed}
        due = dict(db.execute("SELECT url, due_at FROM due_sources").fetchall())
    assert due == {"https://a.example/p": now, "https://b.example/feed.xml": now + timedelta(hours=1)}


def waiting_for(pg_url: str, key: int) -> int:
    """How many sessions wait for the advisory lock ``key`` (a bigint key is classid = high, objid = low 32 bits)."""
    with psycopg.connect(pg_url) as db:
        row = db.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                         " AND classid = %s AND objid = %s AND objsubid = 1", (key >> 32, key & 0xFFFFFFFF)).fetchone()
        return int(row[0]) if row else 0


def wait_until(check, what: str, seconds: float = 20) -> None:  # noqa: ANN001
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"{what}: not after {seconds} s"
        time.sleep(0.1)


def test_writers_of_different_feeds_hold_the_state_at_once_and_writers_of_one_feed_take_turns(tmp_path, pg_url):
    import threading

    from seedfeed.state.postgres import WRITE_LOCK, feed_lock

    opened: list[str] = []

    def open_later(name: str, feeds: list[str] | None) -> threading.Thread:
        def run() -> None:
            PgStore(pg_url, tmp_path / "s", feeds=feeds).close()
            opened.append(name)
        thread = threading.Thread(target=run)
        thread.start()
        return thread

    a = PgStore(pg_url, tmp_path / "s", feeds=["a"])
    b = PgStore(pg_url, tmp_path / "s", feeds=["b"])   # another feed: opens while a's writer is open
    second_a = open_later("a again", ["c", "a"])
    wait_until(lambda: waiting_for(pg_url, feed_lock("a")) == 1, "a second writer of a waits")
    whole = open_later("whole state", None)   # `build`: waits for every feed writer
    wait_until(lambda: waiting_for(pg_url, WRITE_LOCK) == 1, "a writer of the whole state waits")
    assert opened == []
    a.close()
    second_a.join(20)
    assert opened == ["a again"]
    b.close()
    whole.join(20)
    assert opened == ["a again", "whole state"]


def test_two_feeds_render_at_once_in_two_worker_processes_and_one_feed_never_does(tmp_path, origin, pg_url):
    """A writer holds feed a (as a render of a in progress does): a worker process renders feed b meanwhile, and
    the worker process with a's refresh waits for a's lock, rendering a only once that writer is gone."""
    from seedfeed.state.postgres import feed_lock

    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1"], "b": ["/b1"]})
    assert run_cli("dispatch", cwd=site).returncode == 0
    holder = PgStore(pg_url, tmp_path / "elsewhere", feeds=["a"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    workers = [subprocess.Popen([sys.executable, "-m", "seedfeed", "worker", "--once", "--concurrency", "1"],
                                cwd=site, env=env, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    out = site / "output"
    try:
        # Both within the store's 30 s lock_timeout: b is rendered while a is held, and a's refresh waits for it.
        wait_until(lambda: (out / "b" / "feed.json").is_file(), "feed b rendered while feed a is held")
        wait_until(lambda: waiting_for(pg_url, feed_lock("a")) == 1, "the refresh of a waits for a's writer")
        assert not (out / "a" / "feed.json").exists()
    finally:
        holder.close()
    errors = [w.communicate(timeout=120)[1] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], errors
    assert set(ids(site, "a")) == {"Story /a1"} and set(ids(site, "b")) == {"Story /b1"}
    assert "/a/" in (out / "feeds.opml").read_text() and "/b/" in (out / "index.html").read_text()


def test_robots_txt_is_kept_in_postgresql_fetched_once_per_expiry_and_obeyed_by_every_worker(origin, pg_url):
    import pytest
    from seedfeed.errors import FetchError
    from seedfeed.fetch.policy import FetchPolicy
    from seedfeed.hosted.gate import SharedFetcher

    migrate(pg_url)
    origin.robots = "User-agent: *\nDisallow: /private\n"
    origin.pages.update({"/a1": ("Story a1", "Text."), "/private": ("Secret", "Text.")})

    def worker_fetch(path: str) -> None:   # a fetcher as each refresh job of each worker makes
        fetcher = SharedFetcher(FetchPolicy(allow_private=True, per_host_delay=0), pg_url)
        try:
            fetcher.fetch(origin.url + path)
        finally:
            fetcher.close()

    worker_fetch("/a1")
    with pytest.raises(FetchError, match="disallows"):
        worker_fetch("/private")   # another worker obeys the copy the first one fetched, without fetching it again
    assert origin.hits == {"/robots.txt": 1, "/a1": 1}
    with psycopg.connect(pg_url) as db:
        row = db.execute("SELECT url, mode, body, expires_at - fetched_at FROM robots").fetchone()
        assert row[:3] == (f"{origin.url}/robots.txt", "rules", origin.robots)
        assert timedelta(hours=23, minutes=59) < row[3] <= timedelta(hours=24)   # RFC 9309's upper bound
        db.execute("UPDATE robots SET expires_at = now() - interval '1 second'")   # expired
    origin.robots = "User-agent: *\nDisallow: /a1\n"
    with pytest.raises(FetchError, match="disallows"):
        worker_fetch("/a1")   # fetched again once expired, and the new rules hold
    assert origin.hits == {"/robots.txt": 2, "/a1": 1}
