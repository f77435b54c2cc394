# ruff: noqa: F811  (pytest fixtures imported from tests/hosted.py are arguments here)
"""Two of docs/scaling.md's failure modes, on a real PostgreSQL and a real local origin: a host's ``Retry-After``
holds off every worker (``host_gates.next_start``), and a robots.txt that cannot be read is kept as "disallow"
in the ``robots`` table for 10 minutes, for every worker.

Each worker is a :class:`~seedfeed.hosted.gate.SharedFetcher` with its own connection pool, as each worker
process has: what one learns reaches the other only through the database."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import psycopg
import pytest
from seedfeed.errors import FetchError
from seedfeed.fetch.policy import FetchPolicy
from seedfeed.hosted.gate import SharedFetcher
from seedfeed.records import replace
from seedfeed.state.postgres import migrate

from tests.hosted import origin, pg_server, pg_url  # noqa: F401  (fixtures)


@pytest.fixture
def worker(pg_url: str) -> Iterator[Callable[..., SharedFetcher]]:
    """Makes workers sharing the database at ``pg_url``, each with its own pool (as each worker process has)."""
    migrate(pg_url)
    # no spacing of our own, and retries that hardly wait: only what the database says holds a worker back
    policy = FetchPolicy(allow_private=True, per_host_delay=0, backoff_base=0.01)
    made: list[SharedFetcher] = []

    def make(**changes: object) -> SharedFetcher:
        made.append(SharedFetcher(replace(policy, **changes), pg_url))
        return made[-1]

    try:
        yield make
    finally:
        for f in made:
            f.close()


def test_a_retry_after_holds_off_every_worker_until_then(origin, pg_url, worker):
    first, second = worker(retries=0), worker()
    origin.pages["/a"] = ("A", "Text.")
    origin.answers["/busy"] = (429, {"Retry-After": "2"})
    with pytest.raises(FetchError, match="429"):
        first.fetch(origin.url + "/busy")   # 429 with Retry-After: 2, then (retries spent) the fetch fails
    told = max(t for t, p in origin.log if p == "/busy")   # when the host answered the last 429
    with psycopg.connect(pg_url) as db:
        wait = db.execute("SELECT extract(epoch FROM next_start - now())::float8 FROM host_gates"
                          " WHERE host = %s", (origin.url.removeprefix("http://"),)).fetchone()
    assert wait is not None and 0 < wait[0] <= 2   # recorded in PostgreSQL for every worker

    # Another worker, which never saw the 429: no turn before the host's time (it gives up at once, starting no
    # request) ...
    gate = second._gate(origin.url + "/a")
    before = len(origin.log)
    with pytest.raises(TimeoutError), gate.slot(until=time.monotonic() + 0.5):
        pytest.fail("a turn was given before the host's Retry-After ran out")
    # ... and a fetch waits for it, then goes ahead.
    result = second.fetch(origin.url + "/a")
    assert result.status == 200
    later = origin.log[before:]
    assert [p for _, p in later] == ["/a"]   # (robots.txt: the first worker's copy, from the robots table)
    # every request the second worker made started after the time the host asked for (a margin of 0.2 s for
    # the moment between the 429 leaving the origin and the first worker writing it down; without the shared
    # hold-off the second worker starts within milliseconds)
    assert min(t for t, _ in later) - told >= 1.8, later


def test_a_robots_txt_that_cannot_be_read_is_kept_as_disallow_for_10_minutes_for_every_worker(origin, pg_url, worker):
    robots_url = origin.url + "/robots.txt"
    origin.pages.update({"/a1": ("A1", "Text."), "/a2": ("A2", "Text.")})
    origin.answers["/robots.txt"] = (503, {})
    with pytest.raises(FetchError, match="answered 503"):
        worker().fetch(origin.url + "/a1")   # asks (503, retried once: 503), keeps "disallow", skips the page
    asked = origin.hits.get("/robots.txt", 0)
    assert asked >= 1 and origin.hits.get("/a1", 0) == 0
    with psycopg.connect(pg_url) as db:
        row = db.execute("SELECT url, mode, expires_at - fetched_at FROM robots").fetchone()
    assert row is not None and row[:2] == (robots_url, "disallow")
    assert timedelta(minutes=9, seconds=59) < row[2] <= timedelta(minutes=10)   # RFC 9309 / robots.error_ttl

    # Other workers (another job, another process) skip the site's pages meanwhile, without asking again.
    for other, path in ((worker(), "/a1"), (worker(), "/a2")):
        with pytest.raises(FetchError, match="answered 503"):
            other.fetch(origin.url + path)
    assert origin.hits.get("/robots.txt", 0) == asked and origin.hits.get("/a1", 0) == origin.hits.get("/a2", 0) == 0

    # The 10 minutes are up: the next worker asks again; robots.txt can be read now, so the page is fetched.
    del origin.answers["/robots.txt"]
    origin.robots = "User-agent: *\nDisallow: /private/\n"   # readable now, and /a1 allowed
    with psycopg.connect(pg_url) as db:
        db.execute("UPDATE robots SET expires_at = now() - interval '1 second'")
    assert worker().fetch(origin.url + "/a1").status == 200
    assert origin.hits.get("/robots.txt", 0) == asked + 1 and origin.hits.get("/a1", 0) == 1
    with psycopg.connect(pg_url) as db:
        assert db.execute("SELECT mode FROM robots").fetchone() == ("rules",)
