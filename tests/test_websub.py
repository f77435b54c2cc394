"""WebSub: hub links in the feeds and a publish ping after each change, against a local stub hub."""

from __future__ import annotations

import feedparser
from seedfeed.websub import ping
from werkzeug import Request, Response

from tests.conftest import run_cli, write


class StubHub:
    def __init__(self, server, status: int = 204) -> None:
        self.pings: list[dict[str, str]] = []
        self.status = status
        server.expect_request("/hub", method="POST").respond_with_handler(self.handle)
        self.url = server.url_for("/hub")

    def handle(self, request: Request) -> Response:
        self.pings.append(dict(request.form))
        return Response(status=self.status)


def test_build_pings_the_hub_after_a_change_and_not_when_nothing_changed(site, httpserver):
    hub = StubHub(httpserver)
    write(site / "seedfeed.toml", f'base_url = "https://example.org/f/"\nhub = "{hub.url}"\n')
    write(site / "seeds" / "a.txt", "A\n\nbody")
    assert run_cli("build", cwd=site).returncode == 0
    assert {p["hub.url"] for p in hub.pings} == {"https://example.org/f/rss.xml", "https://example.org/f/atom.xml",
                                                 "https://example.org/f/feed.json"}
    assert all(p["hub.mode"] == "publish" for p in hub.pings)
    for name in ("rss.xml", "atom.xml"):
        links = feedparser.parse((site / "output" / name).read_bytes()).feed.links
        assert {"rel": "hub", "href": hub.url} in [{"rel": link["rel"], "href": link["href"]} for link in links]
    hub.pings.clear()
    assert run_cli("build", cwd=site).returncode == 0
    assert hub.pings == []


def test_a_failing_hub_never_blocks_publishing(site, httpserver):
    hub = StubHub(httpserver, status=503)
    write(site / "seedfeed.toml", f'hub = "{hub.url}"\n')
    write(site / "seeds" / "a.txt", "Published anyway\n\nbody")
    result = run_cli("build", cwd=site)
    assert result.returncode == 0
    assert "websub" in result.stderr and hub.url in result.stderr
    assert [e.title for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries] == ["Published anyway"]


def test_ping_retries_with_backoff(httpserver):
    answers = iter([500, 502, 204])
    httpserver.expect_request("/hub").respond_with_handler(lambda _r: Response(status=next(answers)))
    waits: list[float] = []
    assert ping(httpserver.url_for("/hub"), ["https://example.org/atom.xml"], "test", tries=4, backoff=1.0,
                sleep=waits.append)
    assert waits == [1.0, 2.0]
