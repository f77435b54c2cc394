# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""Hosted mode's two kinds of job, on a real PostgreSQL and real origin servers: ``fetch`` (a shard of one host's
due sources, its results written with the claims' completion) and ``render`` (one feed, from the newest harvest
row of each source). A worker killed between the two, two shards of one host, renders coalescing, ids never
minted twice, the newest of two fetches applied, rows left behind rendered after dispatch."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import psycopg
from seedfeed.config import Overrides, load
from seedfeed.hosted import claims, fetching, harvests, jobs
from seedfeed.state.postgres import feed_lock

from tests.conftest import run_cli, write
from tests.hosted import Origin, kill_worker_when, origin, pg_server, pg_url  # noqa: F401  (fixtures)
from tests.test_hosted_workers import ids, setup_site, wait_until, waiting_for
from tests.test_hosted_workers import jobs as queued


def count(pg_url: str, sql: str) -> int:
    with psycopg.connect(pg_url) as db:
        return int(db.execute(sql).fetchone()[0])  # type: ignore[index]


def make_due(pg_url: str) -> None:
    with psycopg.connect(pg_url) as db:
        db.execute("UPDATE due_sources SET due_at = now() - interval '1 second'")


def content(site: Path, feed: str, title: str) -> str:
    data = json.loads((site / "output" / feed / "feed.json").read_text())
    return next(i["content_html"] for i in data["items"] if i["title"] == title)


def test_a_worker_killed_between_fetch_and_render_loses_nothing_and_the_next_one_renders(tmp_path, origin, pg_url):
    """The fetch job has committed its harvest rows and the render job has started (it waits for the feed's upload
    lock, held here) when the worker is killed with kill -9. The next worker requeues the render, which applies
    the rows: the edit is published, no id changes, and nothing is fetched again."""
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1", "/a2"]})
    assert run_cli("dispatch", cwd=site).returncode == 0
    assert run_cli("worker", "--once", cwd=site, timeout=120).returncode == 0
    first = ids(site, "a")
    origin.pages["/a1"] = ("Story /a1", "Edited text.")
    make_due(pg_url)
    assert run_cli("dispatch", cwd=site).returncode == 0
    hits = dict(origin.hits)
    key = feed_lock("a", jobs.FEED_UPLOADS)
    with psycopg.connect(pg_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (key,))   # the render will wait here, after the fetch
        def fetched_and_waiting() -> None:
            wait_until(lambda: waiting_for(pg_url, key) == 1, "the render waits for the feed's upload lock", 60)
            assert count(pg_url, "SELECT count(*) FROM harvests WHERE feed = 'a'") == 2   # the fetch committed

        kill_worker_when(site, fetched_and_waiting)
    assert queued(pg_url) == [("seedfeed.render", "doing")]   # left behind by the dead worker
    assert "Edited text." not in content(site, "a", "Story /a1")
    time.sleep(3)   # its heartbeat goes stale
    done = run_cli("worker", "--once", "--stalled-after", "2", cwd=site, timeout=120)
    assert done.returncode == 0, done.stderr
    assert queued(pg_url) == []
    assert ids(site, "a") == first   # no id changed
    assert "Edited text." in content(site, "a", "Story /a1")
    assert {p: origin.hits[p] - hits[p] for p in ("/a1", "/a2")} == {"/a1": 1, "/a2": 1}   # fetched once each
    assert count(pg_url, "SELECT count(*) FROM harvests") == 0
    assert count(pg_url, "SELECT count(*) FROM items WHERE feed = 'a'") == 2
    assert count(pg_url, "SELECT count(*) FROM due_sources WHERE lease_until IS NOT NULL") == 0


def test_rows_left_without_a_queued_render_are_rendered_after_the_next_dispatch(tmp_path, origin, pg_url):
    """A worker killed after the fetch committed and before it queued the render leaves rows and no job: dispatch
    queues their render (and no fetch: nothing is due)."""
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1"]})
    config = load(site / "seedfeed.toml", Overrides(), site)
    jobs.ensure_schema(pg_url)
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, jobs.now_utc())
    assert fetching.fetch(config, claims.host_of(origin.url), "job:dead", delay=0) == ["a"]   # the job, minus the queueing
    assert queued(pg_url) == []
    assert run_cli("dispatch", cwd=site).returncode == 0
    assert queued(pg_url) == [("seedfeed.render", "todo")]
    done = run_cli("worker", "--once", cwd=site, timeout=120)
    assert done.returncode == 0, done.stderr
    assert set(ids(site, "a")) == {"Story /a1"}
    assert origin.hits["/a1"] == 1
    assert count(pg_url, "SELECT count(*) FROM harvests") == 0


def test_two_shards_of_one_host_fetch_at_once_each_source_once_within_the_host_limit(tmp_path, origin, pg_url):
    paths = {"a": ["/a1", "/a2", "/a3", "/a4"], "b": ["/b1", "/b2"]}
    site = setup_site(tmp_path, origin, pg_url, paths)
    for p in paths["a"] + paths["b"]:
        origin.slow[p] = 0.5
    config = load(site / "seedfeed.toml", Overrides(), site)
    jobs.ensure_schema(pg_url)
    app = jobs.make_app(pg_url, config)
    with app.open():
        assert jobs.dispatch(app, config, shard=3) == 2   # 6 due sources on one host: two shards
    assert queued(pg_url) == [("seedfeed.fetch", "todo"), ("seedfeed.fetch", "todo")]
    host = claims.host_of(origin.url)
    touched: list[list[str]] = []
    shards = [threading.Thread(target=lambda n=n: touched.append(fetching.fetch(config, host, f"job:{n}", delay=0,
                                                                                  shard=3))) for n in (1, 2)]
    for t in shards:
        t.start()
    for t in shards:
        t.join(60)
    assert sorted(sum(touched, [])) in (["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert {p: origin.hits.get(p) for p in paths["a"] + paths["b"]} == {p: 1 for p in paths["a"] + paths["b"]}
    assert origin.max_in_flight == 2   # both shards at once, within the host's limit across them
    with psycopg.connect(pg_url) as db:
        holders = db.execute("SELECT url, epoch FROM harvests ORDER BY url").fetchall()
    assert [u.rsplit("/", 1)[1] for u, _ in holders] == ["a1", "a2", "a3", "a4", "b1", "b2"]
    assert jobs.render(config, "a") and jobs.render(config, "b")
    assert set(ids(site, "a")) == {f"Story {p}" for p in paths["a"]}
    assert set(ids(site, "b")) == {f"Story {p}" for p in paths["b"]}


def test_the_renders_of_many_fetch_jobs_of_one_feed_coalesce(tmp_path, pg_url):
    """One feed with a page on each of six hosts: six fetch jobs, and one worker thread renders the feed once (the
    render each fetch queues finds one already waiting)."""
    origins = [Origin() for _ in range(6)]
    try:
        for n, o in enumerate(origins):
            o.pages["/p"] = (f"Story {n}", f"Text {n}.")
        pages = ", ".join(f'{{url = "{o.url}/p", every = "1h"}}' for o in origins)
        write(tmp_path / "seedfeed.toml", f'allow_private = true\nstate = "{pg_url}"\n[[feeds]]\nname = "a"\n'
                                          f'seeds = ["a"]\npages = [{pages}]\n')
        (tmp_path / "a").mkdir()
        assert run_cli("dispatch", cwd=tmp_path).returncode == 0
        assert queued(pg_url) == [("seedfeed.fetch", "todo")] * 6
        done = run_cli("worker", "--once", "-v", "--concurrency", "1", cwd=tmp_path, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stderr.count("fetch 127.0.0.1:") == 6
        assert done.stderr.count("render a:") == 1, done.stderr   # six fetches, one render
        assert set(ids(tmp_path, "a")) == {f"Story {n}" for n in range(6)}
    finally:
        for o in origins:
            o.close()


def test_a_source_fetched_twice_before_a_render_publishes_its_newest_answer_with_one_id(tmp_path, origin, pg_url):
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1"]})
    config = load(site / "seedfeed.toml", Overrides(), site)
    jobs.ensure_schema(pg_url)
    host = claims.host_of(origin.url)
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, jobs.now_utc())
    assert fetching.fetch(config, host, "job:1", delay=0) == ["a"]
    origin.pages["/a1"] = ("Story /a1", "Second answer.")
    assert fetching.fetch(config, host, "job:2", delay=0) == []   # not due yet: claims nothing, fetches nothing
    make_due(pg_url)
    assert fetching.fetch(config, host, "job:3", delay=0) == ["a"]
    assert origin.hits["/a1"] == 2
    assert count(pg_url, "SELECT count(*) FROM harvests") == 2
    assert jobs.render(config, "a")
    assert "Second answer." in content(site, "a", "Story /a1")
    assert count(pg_url, "SELECT count(*) FROM items WHERE feed = 'a'") == 1
    assert count(pg_url, "SELECT count(*) FROM harvests") == 0
    assert not jobs.render(config, "a")   # a coalesced render with nothing left: renders nothing


def test_renders_of_one_feed_at_once_and_rows_applied_again_never_mint_a_second_id(tmp_path, origin, pg_url):
    """Two renders of one feed at once (a stalled render's retry beside it) take turns on the feed's lock: the second
    finds the rows consumed. Rows applied again (a render killed after its commit, before deleting them) change
    nothing: same ids, same items."""
    site = setup_site(tmp_path, origin, pg_url, {"a": ["/a1", "/a2"]})
    config = load(site / "seedfeed.toml", Overrides(), site)
    jobs.ensure_schema(pg_url)
    with psycopg.connect(pg_url) as db:
        claims.sync(db, config, jobs.now_utc())
    assert fetching.fetch(config, claims.host_of(origin.url), "job:1", delay=0) == ["a"]
    with psycopg.connect(pg_url) as db:
        kept = db.execute("SELECT feed, url, epoch, fetched_at, outcomes FROM harvests").fetchall()
    results: list[bool] = []
    renders = [threading.Thread(target=lambda: results.append(jobs.render(config, "a"))) for _ in range(2)]
    for t in renders:
        t.start()
    for t in renders:
        t.join(60)
    assert sorted(results) == [False, True]
    first = ids(site, "a")
    assert len(first) == 2 and len(set(first.values())) == 2
    with psycopg.connect(pg_url) as db:
        db.cursor().executemany("INSERT INTO harvests (feed, url, epoch, fetched_at, outcomes)"
                                " VALUES (%s, %s, %s, %s, %s)", kept)
    jobs.render(config, "a")
    assert ids(site, "a") == first
    assert count(pg_url, "SELECT count(*) FROM items WHERE feed = 'a'") == 2
    with psycopg.connect(pg_url) as db:
        assert harvests.waiting_feeds(db) == []
