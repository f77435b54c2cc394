"""The daemon in process: real builds of real URL sources (a local server), and the jobs the daemon schedules
for them (its scheduler is not started, so nothing runs by itself and nothing waits). tests/test_daemon.py runs
it as a process."""

from __future__ import annotations

import logging
import re
import shutil
import time
from datetime import timedelta

from seedfeed import schedules
from seedfeed.config import Overrides, load
from seedfeed.scheduler.daemon import Daemon, utcnow

from tests.conftest import write


def daemon_for(site, httpserver, every: str) -> tuple[Daemon, str]:
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/gone").respond_with_data("no", status=404)
    url = httpserver.url_for("/gone")
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = ["seeds"]\npages = ["{url}"]\nevery = "{every}"\n')
    config = load(site / "seedfeed.toml", Overrides(), site)
    return Daemon(config, lambda: config), url


def retries_logged(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying ")]


def test_a_failing_source_is_retried_after_30_s_doubling_up_to_half_its_period(site, httpserver, caplog):
    caplog.set_level(logging.INFO, logger="seedfeed.daemon")
    daemon, url = daemon_for(site, httpserver, "3m")      # half the period: 90 s
    for _ in range(3):
        daemon.run_source("", url)
    assert retries_logged(caplog) == [f"retrying {url} in {s} s (failure {n} in a row)"
                                      for n, s in ((1, 30), (2, 60), (3, 90))]
    assert daemon.state.failures == {f"\0{url}": 3}
    robots = [entry for entry in httpserver.log if entry[0].path == "/robots.txt"]
    assert len(robots) == 1       # the daemon keeps one fetcher (and its robots.txt cache) across runs
    jobs = daemon.scheduler.get_jobs()      # the scheduler is not started: the retries wait in its queue
    assert jobs and {job.id for job in jobs} == {f"retry:\0{url}"}
    assert all(job.trigger.run_date > utcnow() for job in jobs)          # later, not at once
    assert any(r.levelno == logging.WARNING and r.getMessage().startswith(f"error: {url}: server answered 404")
               for r in caplog.records)                                 # the run's problems are logged


def test_a_retry_sooner_than_5_s_is_left_to_the_schedule(site, httpserver, caplog):
    caplog.set_level(logging.INFO, logger="seedfeed.daemon")
    daemon, url = daemon_for(site, httpserver, "9s")      # half: 4.5 s, the next scheduled run comes soon anyway
    daemon.run_source("", url)
    assert daemon.state.failures == {f"\0{url}": 1}
    assert daemon.scheduler.get_jobs() == [] and retries_logged(caplog) == []
    daemon, url = daemon_for(site, httpserver, "10s")     # half: 5 s
    daemon.run_source("", url)
    assert retries_logged(caplog) == [f"retrying {url} in 5 s (failure 1 in a row)"]


def test_a_source_that_works_again_clears_its_failures(site, httpserver):
    daemon, url = daemon_for(site, httpserver, "3m")
    daemon.run_source("", url)
    httpserver.clear()
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/gone").respond_with_data(
        "<html><head><title>Back</title></head><body><article><h1>Back</h1><p>"
        + "Enough words to be the body of this article page. " * 5 + "</p></article></body></html>",
        content_type="text/html")
    daemon.run_source("", url)
    assert daemon.state.failures == {}
    assert timedelta(0) <= utcnow() - daemon.state.feeds["(default)"].last_ok < timedelta(minutes=1)


ARTICLE = ("<html><head><title>Hourly</title></head><body><article><h1>Hourly</h1><p>"
           + "Enough words to be the body of this article page. " * 5 + "</p></article></body></html>")


def hourly_source(site, httpserver) -> tuple[Daemon, str, list[str]]:
    hits: list[str] = []

    def page(request):
        from werkzeug import Response

        hits.append(request.path)
        return Response(ARTICLE, content_type="text/html")

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/hourly").respond_with_handler(page)
    url = httpserver.url_for("/hourly")
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = ["seeds"]\npages = ["{url}"]\nevery = "1h"\n')
    config = load(site / "seedfeed.toml", Overrides(), site)
    return Daemon(config, lambda: config), url, hits


def test_a_source_that_ran_is_first_scheduled_a_period_later_and_a_new_one_at_once(site, httpserver):
    daemon, url, hits = hourly_source(site, httpserver)
    daemon.schedule_sources()                                  # nothing stored yet: due at once
    first = daemon.scheduler.get_job(f"source:\0{url}").trigger.start_date
    assert first - utcnow() < timedelta(minutes=1)
    daemon.run("start", schedules.due_check(daemon.config))
    assert hits == ["/hourly"]
    restarted = Daemon(daemon.config, lambda: daemon.config)   # a restart: the stored last run counts
    restarted.schedule_sources()
    later = restarted.scheduler.get_job(f"source:\0{url}").trigger.start_date
    assert later - utcnow() > timedelta(minutes=50)


def test_a_seed_change_runs_no_url_source(site, httpserver, caplog):
    daemon, url, hits = hourly_source(site, httpserver)
    daemon.run("start", schedules.due_check(daemon.config))
    changed = write(site / "seeds" / "new.txt", "New seed\n\nbody")
    with caplog.at_level(logging.INFO, logger="seedfeed.daemon"):
        daemon.run_seeds({str(changed)})
        daemon.run_seeds(None)                                 # a full walk of the seed folders likewise
    assert hits == ["/hourly"]
    reasons = [re.search(r"\(([^()]*), [0-9.]+ s\)$", r.getMessage()).group(1) for r in caplog.records
               if getattr(r, "event", None) == "run"]
    assert reasons == ["seed folders changed", "seed folders changed, full walk"], reasons
    assert "New seed" in (site / "output" / "atom.xml").read_text()


def test_health_says_why_until_a_run_succeeds_and_a_reload_drops_the_jobs_of_removed_sources(site, httpserver):
    daemon, url, hits = hourly_source(site, httpserver)
    assert daemon.health() == (False, "(default): no successful run yet")
    daemon.run("start", schedules.due_check(daemon.config))
    assert daemon.health() == (True, "ok")
    daemon.schedule_sources()
    assert daemon.scheduler.get_job(f"source:\0{url}") is not None
    write(site / "seedfeed.toml", 'allow_private = true\nseeds = ["seeds"]\n')     # the source is removed
    daemon.config = load(site / "seedfeed.toml", Overrides(), site)
    daemon.schedule_sources()
    assert daemon.scheduler.get_jobs() == []


def test_health_reports_a_feed_failing_for_longer_than_its_period_with_the_error(site, httpserver):
    daemon, url, hits = hourly_source(site, httpserver)
    daemon.run("start", schedules.due_check(daemon.config))
    shutil.rmtree(site / "output")
    write(site / "output", "a file where the output folder should be")   # the next run cannot write
    daemon.run("output broken", schedules.due_check(daemon.config))
    health = daemon.state.feeds["(default)"]
    assert health.error and health.last_failure > health.last_ok
    assert daemon.health() == (True, "ok")           # failing, but for less than its period (an hour) yet
    health.last_ok -= timedelta(hours=2)             # ...as it would be two hours later
    ok, detail = daemon.health()
    assert not ok and detail == f"(default): failing since {health.last_ok.isoformat()}: {health.error}", detail


def test_max_age_follows_each_feed_s_schedule(site):
    write(site / "seedfeed.toml", """
[[feeds]]
name = "blog"
seeds = ["seeds"]
pages = [{url = "https://example.org/blog", every = "20m"}]

[[feeds]]
name = "news"
seeds = ["seeds"]
pages = [{url = "https://example.org/news", every = "2h"}]
""")
    config = load(site / "seedfeed.toml", Overrides(), site)
    daemon = Daemon(config, lambda: config)
    assert daemon.max_age("blog/atom.xml") == 1200 and daemon.max_age("/blog/feed.json") == 1200
    assert daemon.max_age("news/rss.xml") == 3600                      # at most an hour
    assert daemon.max_age("blog/items/a.html") == 3600 and daemon.max_age("index.html") == 300   # the defaults


def test_a_source_s_job_runs_that_source_only_and_a_change_pings_the_hub(site, httpserver):
    pings: list[str] = []

    def hub(request):
        from werkzeug import Response

        pings.append(request.form.get("hub.url", ""))
        return Response(status=204)

    httpserver.expect_request("/hub", method="POST").respond_with_handler(hub)
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    for name in ("one", "two"):
        httpserver.expect_request(f"/{name}").respond_with_data(ARTICLE.replace("Hourly", name.title()),
                                                              content_type="text/html")
    one, two = httpserver.url_for("/one"), httpserver.url_for("/two")
    write(site / "seedfeed.toml", f'allow_private = true\nseeds = ["seeds"]\nbase_url = "https://example.org/"\n'
                                  f'hub = "{httpserver.url_for("/hub")}"\npages = ["{one}", "{two}"]\n')
    config = load(site / "seedfeed.toml", Overrides(), site)
    daemon = Daemon(config, lambda: config)
    daemon.run_source("", one)
    fetched = [entry[0].path for entry in httpserver.log if entry[0].path in ("/one", "/two")]
    assert fetched == ["/one"]
    every_topic = ["https://example.org/rss.xml", "https://example.org/atom.xml", "https://example.org/feed.json"]
    deadline = time.monotonic() + 10
    while len(pings) < len(every_topic) and time.monotonic() < deadline:   # the pings run in the background
        time.sleep(0.05)
    assert sorted(pings) == sorted(every_topic)
    pings.clear()
    daemon.run_source("", one)                               # nothing changed: no ping
    time.sleep(0.5)
    assert pings == []
