"""``seedfeed daemon``: one full build, then keep every feed current until stopped.

- URL sources run on their schedules (APScheduler 3.x): ``max_instances=1``, ``coalesce=True``, a generous
  ``misfire_grace_time`` (a late job still runs), a small stable jitter, and a retry with backoff after a
  failure. After a restart each source runs when it is due (last run is stored), not all at once.
- Seed folders are watched; a change is published within a second (see :mod:`seedfeed.scheduler.watch`). Seed runs
  have their own thread, not an APScheduler date job: a job that fires while the previous run is still going
  would be skipped by ``max_instances=1`` and the change lost.
- Every run goes through :func:`seedfeed.pipeline.run_once`, which takes the same lock as ``seedfeed build``.
- SIGTERM/SIGINT: wait for a write in progress, then exit 0. SIGHUP: reload the configuration; a broken one
  is reported and the old one keeps running.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from .. import schedules
from ..config import Config, FeedConfig, WebSource
from ..errors import EXIT_OK, EXIT_OUTPUT, Cancelled, SeedfeedError
from ..pipeline import Report, clock, run_once
from ..records import field, record
from ..sources.web import source_key
from . import triggers

log = logging.getLogger("seedfeed.daemon")
MISFIRE_GRACE = 3600          # seconds: a job up to an hour late still runs
RETRY_FIRST = 30.0            # seconds before the first retry of a failed source; doubles up to its period
LOCK_WAIT = 60.0


def utcnow() -> datetime:
    return datetime.now(UTC)


@record(frozen=False)
class FeedHealth:
    last_ok: datetime | None = None
    last_failure: datetime | None = None
    error: str | None = None


@record(frozen=False)
class DaemonState:
    """What /healthz and the logs know about the running daemon."""

    feeds: dict[str, FeedHealth] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)     # source url -> consecutive failed runs


class Daemon:
    def __init__(self, config: Config, reload_config: Callable[[], Config], *, serve: str | None = None,
                 poll: bool = False) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.background import BackgroundScheduler

        self.config = config
        self.reload_config = reload_config
        self.state = DaemonState()
        self.write_guard = threading.Lock()   # held while a run writes; stopping takes it to exit between writes
        self.stop_event = threading.Event()
        self.reload_event = threading.Event()
        self.poll = poll
        self.exit_code = EXIT_OK
        self.serve_spec = serve
        self.server = None
        self.watcher = None
        self.fetcher = None
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE},
            timezone=UTC)

    # ------------------------------------------------------------------------------------------- runs
    def run(self, reason: str, due: schedules.DueCheck | None, changed: set[str] | None = None) -> Report | None:
        """One pipeline run (``changed``: look only at these seed paths); never raises."""
        now = clock()
        started = time.monotonic()
        try:
            report = run_once(self.config, now, lock_wait=LOCK_WAIT, due=due, fetcher=self._fetcher(),
                              write_guard=self.write_guard, cancel=self.stop_event.is_set, changed=changed)
        except Cancelled:
            log.info("run (%s) cancelled: stopping", reason)
            return None
        except SeedfeedError as exc:
            log.error("run (%s) failed: %s%s", reason, exc.message, f" ({exc.hint})" if exc.hint else "",
                      extra={"event": "run-failed"})
            for name in self._feed_names():
                self.state.feeds.setdefault(name, FeedHealth()).last_failure = now
                self.state.feeds[name].error = exc.message
            return None
        except Exception:
            log.exception("run (%s) failed with an unexpected error", reason, extra={"event": "run-failed"})
            return None
        for feed_report in report.feeds:
            health = self.state.feeds.setdefault(feed_report.name, FeedHealth())
            health.last_ok, health.error = now, None
        for line in report.problems():
            log.warning("%s", line)
        changed = report.changed
        log.info("%s (%s, %.2f s)", report.summary(), reason, time.monotonic() - started,
                 extra={"event": "run", "changed": changed})
        if changed:
            self._ping_hubs(report)
        return report

    def _fetcher(self):  # noqa: ANN202
        if not any(f.web_sources for f in self.config.feeds):
            return None
        if self.fetcher is None:
            from ..pipeline import make_fetcher

            self.fetcher = make_fetcher(self.config)
        return self.fetcher

    def _feed_names(self) -> list[str]:
        return [f.name or "(default)" for f in self.config.feeds]

    def _ping_hubs(self, report: Report) -> None:
        from ..websub import ping_in_background

        for feed in self.config.feeds:
            if feed.hub and any(r.name == (feed.name or "(default)") and r.files_written for r in report.feeds):
                ping_in_background(feed.hub, self.config, feed)

    def run_seeds(self, paths: set[str] | None = None) -> None:
        """A run for seed folder changes: the paths events named, or (``None``) a full walk."""
        self.run("seed folders changed" if paths is not None else "seed folders changed, full walk",
                 lambda source, last, now: False, changed=paths)

    def run_source(self, feed_name: str, url: str) -> None:
        config = self.config
        target = next((s for f in config.feeds if f.name == feed_name for s in f.web_sources if s.url == url), None)
        if target is None:
            return  # removed by a reload while queued

        def due(source: WebSource, last_run: datetime | None, now: datetime) -> bool:
            if source.url != url:
                return False
            return source.kind != "article" or schedules.is_due(source, config, last_run, now)

        report = self.run(f"source {url}", due)
        failed = report is None or any(message.startswith(url) for message in report.source_errors)
        key = f"{feed_name}\0{url}"
        if not failed:
            self.state.failures.pop(key, None)
            return
        count = self.state.failures[key] = self.state.failures.get(key, 0) + 1
        period = schedules.interval_seconds(target, config) or 3600
        delay = min(RETRY_FIRST * 2 ** (count - 1), period / 2)
        if delay >= 5:
            log.info("retrying %s in %d s (failure %d in a row)", url, delay, count)
            self.scheduler.add_job(self.run_source, "date", args=(feed_name, url), id=f"retry:{key}",
                                   replace_existing=True, run_date=utcnow() + timedelta(seconds=delay))

    # ------------------------------------------------------------------------------------- scheduling
    def schedule_sources(self) -> None:
        """(Re)create one job per URL source, first firing when the stored last run says it is due."""
        from ..state.backends import peek_store

        for job in self.scheduler.get_jobs():
            if job.id.startswith(("source:", "retry:")):
                job.remove()
        reader = peek_store(self.config)
        last_runs = {(s.feed, s.url): s.last_run for s in reader.sources()} if reader else {}
        if reader:
            reader.close()
        now = utcnow()
        for feed in self.config.feeds:
            for source in feed.web_sources:
                trigger = triggers.trigger(source, self.config)
                trigger.jitter = triggers.jitter_seconds(source, self.config)
                first = schedules.next_run(source, self.config, last_runs.get((feed.name, source_key(source.url))), now)
                if hasattr(trigger, "start_date") and not source.cron:
                    trigger.start_date = max(first, now + timedelta(seconds=1))
                self.scheduler.add_job(self.run_source, trigger, args=(feed.name, source.url),
                                       id=f"source:{feed.name}\0{source.url}", name=source.url, replace_existing=True)

    def watch(self) -> None:
        from .watch import SeedWatcher

        if self.watcher is not None:
            self.watcher.stop()
        folders = [folder for feed in self.config.feeds for folder in feed.seeds]
        self.watcher = SeedWatcher(folders, self.run_seeds, poll=self.poll)
        self.watcher.start()

    # ------------------------------------------------------------------------------------------ serve
    def health(self) -> tuple[bool, str]:
        now = utcnow()
        problems = []
        for feed in self.config.feeds:
            name = feed.name or "(default)"
            h = self.state.feeds.get(name)
            period = schedules.shortest_period(list(feed.web_sources), self.config, now) or 3600
            if h is None or h.last_ok is None:
                problems.append(f"{name}: no successful run yet")
            elif h.last_failure and h.last_failure > h.last_ok and now - h.last_ok > timedelta(seconds=period):
                problems.append(f"{name}: failing since {h.last_ok.isoformat()}: {h.error}")
        return (not problems, "; ".join(problems) or "ok")

    def max_age(self, rel_path: str) -> int:
        """Cache lifetime of a served file: how often its feed can actually change."""
        from ..serve import default_max_age

        feed = self._feed_for(rel_path)
        if feed is None or not rel_path.endswith((".xml", ".json")):
            return default_max_age(rel_path)
        period = schedules.shortest_period(list(feed.web_sources), self.config, utcnow())
        return min(period, 3600) if period else default_max_age(rel_path)

    def _feed_for(self, rel_path: str) -> FeedConfig | None:
        first = rel_path.lstrip("/").split("/", 1)[0]
        for feed in self.config.feeds:
            if feed.name and feed.name == first:
                return feed
        return next((f for f in self.config.feeds if not f.name), None)

    def start_server(self) -> None:
        if not self.serve_spec:
            return
        from ..serve import FeedServer, parse_listen

        host, port = parse_listen(self.serve_spec)
        self.server = FeedServer(self.config.output, host, port, max_age=self.max_age, health=self.health)
        self.server.start()
        log.info("serving %s at http://%s:%d/", self.config.output, host, self.server.port)

    # -------------------------------------------------------------------------------------- lifecycle
    def reload(self) -> None:
        try:
            config = self.reload_config()
        except SeedfeedError as exc:
            log.error("configuration reload failed: %s%s; keeping the running configuration", exc.message,
                      f" ({exc.hint})" if exc.hint else "", extra={"event": "reload-failed"})
            return
        self.config = config
        if self.fetcher is not None:
            self.fetcher.close()
            self.fetcher = None
        if not self._schedule():
            return
        self.watch()
        log.info("configuration reloaded: %d feeds, %d URL sources", len(config.feeds),
                 sum(len(f.web_sources) for f in config.feeds), extra={"event": "reloaded"})
        self.run("configuration reloaded", schedules.due_check(config))

    def _schedule(self) -> bool:
        """Schedule the sources from the state's last runs. A state that cannot be read (its PostgreSQL lost) stops
        the daemon with the state error, exit 3 (its service manager restarts it), rather than leave it running
        with nothing scheduled."""
        from ..state.backends import database_errors

        try:
            with database_errors(self.config.state_url):
                self.schedule_sources()
            return True
        except SeedfeedError as exc:
            log.error("error: %s%s; stopping", exc.message, f" (hint: {exc.hint})" if exc.hint else "",
                      extra={"event": "state-failed"})
            self.exit_code = EXIT_OUTPUT
            self.stop_event.set()
            return False

    def serve_forever(self) -> int:
        signal.signal(signal.SIGTERM, lambda *_: self.stop_event.set())
        signal.signal(signal.SIGINT, lambda *_: self.stop_event.set())
        signal.signal(signal.SIGHUP, lambda *_: self.reload_event.set())
        self.start_server()
        self.watch()  # before the first run, so nothing dropped during it is missed
        threading.Thread(target=self._start_runs, name="first-build", daemon=True).start()
        while not self.stop_event.is_set():
            if self.reload_event.wait(timeout=0.5):
                self.reload_event.clear()
                self.reload()
        return self.shutdown()

    def _start_runs(self) -> None:
        """The first build, then the schedules (in a thread: the main thread keeps answering signals)."""
        self.run("start", schedules.due_check(self.config))
        if self.stop_event.is_set() or not self._schedule():
            return
        self.scheduler.start()
        log.info("daemon running (pid %d); watching %d seed folders", os.getpid(),
                 sum(len(f.seeds) for f in self.config.feeds), extra={"event": "started"})

    def shutdown(self) -> int:
        log.info("stopping", extra={"event": "stopping"})
        if self.watcher is not None:
            self.watcher.stop()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.server is not None:
            self.server.stop(timeout=2)
        # Wait for a write in progress; afterwards no run may start writing, so exiting is safe even while
        # a run is still fetching (its results are simply dropped; the next start fetches again).
        self.write_guard.acquire()
        log.info("stopped", extra={"event": "stopped"})
        logging.shutdown()
        os._exit(self.exit_code)


def run_daemon(args: argparse.Namespace) -> int:
    from ..config import load_config
    from ..state.backends import check_state

    config = load_config(args)
    check_state(config)
    daemon = Daemon(config, lambda: load_config(args), serve=args.serve, poll=getattr(args, "poll", False))
    return daemon.serve_forever()
