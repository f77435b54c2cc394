"""The procrastinate tasks of hosted mode, and the worker around them.

* ``seedfeed.dispatch``: make sure every configured source has a ``due_sources`` row, then defer ``fetch`` jobs
  for each host with due, unheld sources (one per shard of :data:`~.claims.SHARD` sources), each with a *queueing
  lock* (host, shard number): however often dispatch runs, a shard waits in the queue once. It also defers a
  ``render`` for every feed with harvest rows left behind (a worker killed between a fetch's commit and deferring
  the render).
* ``seedfeed.fetch``: claim a shard of one host's due sources, fetch and extract them politely across all workers
  (:mod:`.gate`), outside any writer lock, and write the results to ``harvests`` in the transaction that completes
  the claims, fenced by their epochs (:mod:`.fetching`, :mod:`.harvests`); then defer ``render`` for each feed
  touched, with the feed as queueing lock: the renders of N fetch jobs of one feed coalesce while one waits.
* ``seedfeed.render``: under the feed's upload lock, read the newest harvest row of each of the feed's sources,
  merge and render through :func:`seedfeed.pipeline.run_once` on those results (the same code as ``seedfeed
  build``, fetching nothing), upload, and delete the rows it read. Its job *lock* is the feed; the PostgreSQL
  store's per-feed writer lock makes each merge-and-render of a feed exclusive (renders of other feeds run at
  the same time).
* ``seedfeed.site``: the overview and OPML, which list every feed; queued by renders and coalesced.

Delivery is at least once: a worker killed mid-job leaves the job ``doing``; when its heartbeat is stale the
next worker puts the job back in the queue (:func:`retry_stalled`). A retried fetch re-claims the same sources
(its holder is the job id); a retried render finds the rows still there. Ids are minted under the feed's writer
lock and kept per document key, so a retry finds the ids the first try committed, or mints them itself if it
committed nothing; a render that dies after its commit and before deleting its rows leaves rows that the next
render applies again, which changes nothing (the same outcomes, the same content hashes).

Uploads (S3 output) follow renders in order: a render holds its feed's upload lock from before it reads the
harvest rows to after it uploaded what it wrote (only its feed's folder), so a later render of the feed never
reads or uploads before an earlier one finished; it holds :data:`UPLOAD_LOCK` shared meanwhile, and the site job
exclusively, so the overview is written from committed state whose pages are all uploaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import socket
import time
from datetime import UTC, datetime

import procrastinate
import psycopg
from procrastinate.exceptions import AlreadyEnqueued

from ..config import Config
from ..errors import SeedfeedError
from ..pipeline import run_once
from ..records import record, replace
from ..render.base import OPML_FILE
from ..sources.web import Harvest
from ..state import postgres
from ..targets.s3 import publish
from . import claims, fetching, harvests, quiet
from .overview import Summaries

log = logging.getLogger(__name__)


UPLOAD_LOCK = 0x5EEDFEED0003   # shared by renders while they render and upload; exclusive for the site job
FEED_UPLOADS = 0x5EED0011      # the space of each feed's upload lock (seedfeed.state.postgres.feed_lock)
PING_EVERY, PING_TRIES = 5, 3   # a worker checks its database every 5 s, and stops after 3 failures in a row
STOP_GRACE = 5   # seconds a stopping worker gives its jobs and procrastinate's shutdown
SITE_DELAY = 2   # seconds: renders finishing within this window share one overview rewrite (see site_delay)


def ensure_schema(url: str) -> None:
    """The store's tables and procrastinate's, created once even when many workers start together."""
    postgres.migrate(url)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(%s)", (postgres.MIGRATE_LOCK,))
        try:
            if db.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()[0] is None:  # type: ignore[index]
                app = make_app(url)
                with app.open():
                    app.schema_manager.apply_schema()
        finally:
            db.execute("SELECT pg_advisory_unlock(%s)", (postgres.MIGRATE_LOCK,))


@record
class Politeness:
    """Per-host limits every worker shares (the fetcher's defaults: 2 in flight, 1 s between starts)."""

    concurrency: int = 2
    delay: float = 1.0


POLITE = Politeness()


def make_app(url: str, config: Config | None = None, polite: Politeness = POLITE) -> procrastinate.App:
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))
    if config is None:
        return app

    @app.task(name="seedfeed.dispatch", queue="seedfeed")
    def dispatch_task() -> int:
        return dispatch(app, config)

    @app.task(name="seedfeed.fetch", queue="seedfeed", pass_context=True,
              retry=procrastinate.RetryStrategy(max_attempts=5, wait=5))
    def fetch_task(context: procrastinate.JobContext, host: str) -> None:
        holder = f"job:{context.job.id}" if context.job else f"pid:{os.getpid()}"
        for feed in fetching.fetch(config, host, holder, polite.concurrency, polite.delay):
            defer_render(app, feed)

    @app.task(name="seedfeed.render", queue="seedfeed",
              retry=procrastinate.RetryStrategy(max_attempts=5, wait=5))
    def render_task(feed: str) -> None:
        if render(config, feed):
            # The overview and OPML list every feed: one coalesced job rewrites them.
            # Deferred a little: the renders finishing meanwhile find it waiting and queue no other (coalesced).
            with contextlib.suppress(AlreadyEnqueued):
                site_task.configure(lock="site", queueing_lock="site", schedule_in={"seconds": site_delay(config)},
                                    priority=1).defer()

    summaries = Summaries()   # this worker's, kept across its site jobs

    @app.task(name="seedfeed.site", queue="seedfeed")
    def site_task() -> None:
        write_shared_pages(config, summaries)

    app.fetch = fetch_task  # type: ignore[attr-defined]
    app.render = render_task  # type: ignore[attr-defined]
    app.site = site_task  # type: ignore[attr-defined]
    app.dispatch_task = dispatch_task  # type: ignore[attr-defined]
    return app


def now_utc() -> datetime:
    return datetime.now(UTC)


def site_delay(config: Config) -> float:
    """How long a site job waits for more renders to share it: 2 s, and 1 s more per 250 feeds. Rewriting the
    overview costs about 0.2 ms of CPU per feed even when only one changed (rendering it), so with 2,500 feeds it
    runs at most every 10 s: about 5% of one core, however fast renders finish. (Queued with a higher priority
    than renders, so it does not wait behind a whole dispatch round.)"""
    return max(SITE_DELAY, len(config.feeds) / 250)


def dispatch(app: procrastinate.App, config: Config, shard: int = claims.SHARD) -> int:
    """Defer the fetch jobs of every host with due sources, and a render for every feed with harvest rows left;
    returns how many jobs were queued (not already waiting)."""
    assert config.state_url
    queued = 0
    with psycopg.connect(config.state_url) as db:
        now = now_utc()
        claims.sync(db, config, now)
        for host, count in claims.due_hosts(db, now).items():
            for number in range(math.ceil(count / shard)):
                try:
                    app.fetch.configure(queueing_lock=f"fetch:{host}:{number}").defer(host=host)  # type: ignore[attr-defined]
                    queued += 1
                except AlreadyEnqueued:   # that shard already waits: it will claim these sources too
                    pass
        for feed in harvests.waiting_feeds(db):
            queued += defer_render(app, feed)
    return queued


def defer_render(app: procrastinate.App, feed: str) -> bool:
    """Queue the render of ``feed`` unless one already waits (which will read the same rows): coalesced."""
    try:
        app.render.configure(lock=f"feed:{feed}", queueing_lock=f"render:{feed}").defer(feed=feed)  # type: ignore[attr-defined]
        return True
    except AlreadyEnqueued:
        return False


def render(config: Config, feed: str) -> bool:
    """Apply the feed's harvest rows (the newest per source), merge and render it, upload, delete the rows read
    (see the module docstring); returns whether the overview and OPML need rewriting."""
    assert config.state_url
    one = replace(config, feeds=tuple(f for f in config.feeds if f.name == feed))
    with psycopg.connect(config.state_url) as db:
        db.execute("SELECT pg_advisory_lock_shared(%s), pg_advisory_lock(%s)",
                   (UPLOAD_LOCK, postgres.feed_lock(feed, FEED_UPLOADS)))
        db.commit()
        try:
            found, ids = harvests.newest(db, feed)
            if not one.feeds:   # queued before the feed left the configuration: its rows have nowhere to go
                harvests.consumed(db, ids)
                return False
            since_ns: int | None = time.time_ns() - 1_000_000_000   # mtimes may be a little coarse
            row = db.execute("SELECT render_pending FROM feeds WHERE name = %s", (feed,)).fetchone()
            if row and config.output_url and db.execute("SELECT 1 FROM uploads_pending WHERE feed = %s",
                                                        (feed,)).fetchone():
                # A render that committed and was killed before its upload ended: its files may be in another
                # machine's staging folder only. Render the feed in full here and upload all that differs.
                db.execute("UPDATE feeds SET render_pending = 1 WHERE name = %s", (feed,))
                row = (1,)
            db.commit()
            if row and row[0]:
                # An earlier run's files may not all be uploaded (its upload failed): this run renders the feed in
                # full and uploads every file of its folder that differs from the bucket's, not only the files it
                # rewrote (a page it finds already staged is not rewritten).
                since_ns = None
            elif found is None:
                return False   # a coalesced render ran already and applied these rows
            if config.output_url:
                db.execute("INSERT INTO uploads_pending (feed) VALUES (%s) ON CONFLICT DO NOTHING", (feed,))
                db.commit()
            report = run_once(one, now_utc(), lock_wait=3600, harvested={feed: found or Harvest()}, feeds_only=True)
            harvests.consumed(db, ids)
            # Only this feed's folder: other feeds' renders upload their own files, in their own order. (An unnamed
            # feed's folder is the top, where the OPML is the site job's.)
            if config.output_url:
                try:
                    publish(one, since_ns=since_ns, under=f"{feed}/" if feed else "", skip=(OPML_FILE,))
                except BaseException:
                    # run_once committed the state and cleared the render-pending mark before this upload: set it
                    # again, so the job's retry renders the feed in full and uploads it even when nothing changed
                    # at its sources (docs/scaling.md, failure modes).
                    db.rollback()
                    db.execute("UPDATE feeds SET render_pending = 1 WHERE name = %s", (feed,))
                    db.commit()
                    raise
                db.execute("DELETE FROM uploads_pending WHERE feed = %s", (feed,))
                db.commit()
        finally:
            db.rollback()
            db.execute("SELECT pg_advisory_unlock(%s), pg_advisory_unlock_shared(%s)",
                       (postgres.feed_lock(feed, FEED_UPLOADS), UPLOAD_LOCK))
            db.commit()
    rendered = [f.name for f in report.feeds if f.files_written]
    log.info("render %s: %d harvest rows, rendered [%s]; %s", feed, len(ids), ",".join(rendered), report.summary())
    # A feed left pending by a failed run: the site job that run would have queued has not run either.
    return bool(rendered) or since_ns is None or len(config.feeds) > 1


def write_shared_pages(config: Config, summaries: Summaries | None = None) -> None:
    """The overview and OPML, from the state, listing every feed; uploaded to S3 when that is the output.

    Renders write their one feed and not these; this job, queued after renders and coalesced (queueing lock),
    writes them. It holds the upload lock exclusively, so no render is between committing and uploading a feed
    while it reads the state: the overview never links an item page that is not uploaded yet. ``summaries``: the
    worker's summaries of the feeds (:mod:`.overview`), so that only the feeds written since are read."""
    from ..site import write_site
    from ..state.backends import peek_store

    assert config.state_url
    with psycopg.connect(config.state_url, autocommit=True) as db:
        db.execute("SELECT pg_advisory_lock(%s)", (UPLOAD_LOCK,))
        try:
            store = peek_store(config)
            if store is None:
                return
            try:
                since = time.time_ns() - 1_000_000_000
                write_site(config, store, now_utc(), rendered=True,
                           summaries=(lambda: summaries.get(config, store, db)) if summaries else None)
            finally:
                store.close()
            if config.output_url:
                publish(config, since_ns=since)
        finally:
            db.execute("SELECT pg_advisory_unlock(%s)", (UPLOAD_LOCK,))


async def retry_stalled(app: procrastinate.App, stalled_after: float) -> int:
    """Put back in the queue the jobs of workers whose heartbeat is older than ``stalled_after`` seconds."""
    jobs = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after)
    count = 0
    for job in jobs:
        await app.job_manager.retry_job(job)
        count += 1
    return count


def run_worker(config: Config, concurrency: int, *, dispatch_every: float | None, stalled_after: float,
               once: bool = False, polite: Politeness = POLITE) -> None:
    """Work until stopped (or, ``once``, until the queue is empty): run jobs, retry stalled ones, and dispatch
    every ``dispatch_every`` seconds if asked to (one or a few workers should; it is safe on all of them)."""
    assert config.state_url
    ensure_schema(config.state_url)
    quiet.install()   # a lost database: one line per message, not procrastinate's tracebacks
    app = make_app(config.state_url, config, polite)
    name = f"{socket.gethostname()}:{os.getpid()}"

    async def housekeeping() -> None:
        while True:
            await retry_stalled(app, stalled_after)
            if dispatch_every:
                await asyncio.to_thread(dispatch, app, config)
            await asyncio.sleep(dispatch_every or min(stalled_after, 10))

    async def watchdog() -> None:
        """A worker whose database stopped answering (PING_TRIES checks in a row) stops with the state error (exit
        3: systemd restarts it), instead of waiting on its connection pool for ever."""
        failures = 0
        while True:
            await asyncio.sleep(PING_EVERY)
            try:
                await asyncio.to_thread(_ping, config.state_url)
                failures = 0
            except SeedfeedError:
                failures += 1
                if failures >= PING_TRIES:
                    raise

    async def work() -> None:
        while True:
            await app.run_worker_async(queues=["seedfeed"], concurrency=concurrency, wait=not once, name=name,
                                       update_heartbeat_interval=max(1.0, stalled_after / 5),
                                       stalled_worker_timeout=stalled_after, delete_jobs="successful",
                                       fetch_job_polling_interval=1.0)
            # --once: a job may have queued another (the site pages, a little later) as the worker found the queue
            # empty, or a dead worker's job may wait to be requeued.
            if not once or not await asyncio.to_thread(_waiting, config.state_url):
                return
            await asyncio.sleep(0.5)
            await retry_stalled(app, stalled_after)

    async def main() -> None:
        tasks: list[asyncio.Task[None]] = []
        try:
            async with app.open_async():
                await retry_stalled(app, stalled_after)
                if dispatch_every:
                    await asyncio.to_thread(dispatch, app, config)
                tasks += [asyncio.create_task(work()), asyncio.create_task(watchdog())]
                if not once:
                    tasks.append(asyncio.create_task(housekeeping()))
                try:   # the first to end ends the worker: the work done (--once), or a failure of any of them
                    done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    for task in done:
                        task.result()
                finally:
                    for task in tasks:
                        task.cancel()
                    # Bounded: with the database gone, procrastinate's shutdown would wait on its pool for about a
                    # minute; leaving open_async() closes the pool, which fails those waits at once.
                    await asyncio.wait(tasks, timeout=STOP_GRACE)
        finally:
            await asyncio.gather(*tasks, return_exceptions=True)   # collect what the closed pool failed

    asyncio.run(main())


def _ping(url: str) -> None:
    with postgres.connect(url) as db:
        db.execute("SELECT 1")


def _waiting(url: str) -> int:
    with psycopg.connect(url) as db:
        row = db.execute("SELECT count(*) FROM procrastinate_jobs WHERE queue_name = 'seedfeed'"
                         " AND status IN ('todo', 'doing')").fetchone()
        return int(row[0]) if row else 0
