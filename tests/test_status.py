"""`seedfeed status` reads the state a real pipeline wrote."""

from __future__ import annotations

import json
from datetime import timedelta

from seedfeed.config import Overrides, load
from seedfeed.fetch import Fetcher, FetchPolicy
from seedfeed.pipeline import run_once
from seedfeed.scheduler.status import collect

from tests.conftest import FIXED_NOW, run_cli, write

PAGE = ("<html><head><title>Status page</title></head><body><article><h1>Status page</h1><p>"
        + "Words enough to be the body of this page. " * 6 + "</p></article></body></html>")


def test_status_table_json_and_exit_code_for_a_failing_source(site, httpserver):
    state = {"status": 200}
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/p").respond_with_handler(
        lambda _r: __import__("werkzeug").Response(PAGE if state["status"] == 200 else "down", status=state["status"],
                                                   content_type="text/html"))
    url = httpserver.url_for("/p")
    write(site / "seeds" / "a.txt", "A\n\nbody")
    write(site / "seedfeed.toml", f'allow_private = true\nevery = "10m"\npages = ["{url}"]\n')
    config = load(site / "seedfeed.toml", Overrides(), site)
    fetcher = Fetcher(FetchPolicy(allow_private=True, retries=0, per_host_delay=0))
    run_once(config, FIXED_NOW, fetcher=fetcher)
    rows, alarms = collect(config, FIXED_NOW + timedelta(minutes=1))
    page = next(r for r in rows if r["kind"] == "page")
    assert page["http_status"] == 200 and page["last_error"] is None and page["items"] == 1
    assert page["schedule"] == "every 10m" and alarms == []
    ok = run_cli("status", cwd=site)
    assert ok.returncode == 0 and url in ok.stdout and "every 10m" in ok.stdout

    state["status"] = 500
    for minutes in (10, 20, 30, 40):
        run_once(config, FIXED_NOW + timedelta(minutes=minutes), fetcher=fetcher)
    rows, alarms = collect(config, FIXED_NOW + timedelta(minutes=41), max_periods=3)
    page = next(r for r in rows if r["kind"] == "page")
    assert page["http_status"] == 500 and "500" in page["last_error"]
    assert len(alarms) == 1 and url in alarms[0]
    assert collect(config, FIXED_NOW + timedelta(minutes=41), max_periods=5)[1] == []
    failing = run_cli("status", "--json", cwd=site)
    assert failing.returncode == 1  # failing since FIXED_NOW+10m, far more than 3 periods before the real clock
    data = json.loads(failing.stdout)
    assert data["alarms"] and any(r["kind"] == "seeds" and r["items"] == 1 for r in data["feeds"])
