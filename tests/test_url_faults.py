"""URL sources against hostile servers on 127.0.0.1: a listing with thousands of links, a page that redirects
to itself with a changing query, a server that resets every connection, and a host name that resolves to a
private address. Each failure is reported naming its URL, and the other sources are still published.

The SSRF guard stays ON: tests let loopback through with ``allowed_networks`` (like tests/test_fetch.py), except
the DNS test, which needs the guard's full default to prove the refusal.
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time
from pathlib import Path

import feedparser
import pytest
from seedfeed.config import Overrides, load
from seedfeed.fetch import Fetcher, FetchPolicy
from seedfeed.fetch.netguard import Guard, check_url
from seedfeed.pipeline import run_once
from werkzeug import Request, Response

from tests.conftest import FIXED_NOW, run_cli
from tests.hostile import executable_in_output, invalid_outputs
from tests.reliability import record

LOOPBACK = ("127.0.0.0/8", "::1/128")
ARTICLE = ("<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
           "<p>The first paragraph of the article has enough words to count as its main content.</p>"
           "<p>A second paragraph follows, so that the extractor is sure what the body is.</p></article></body></html>")


pytestmark = pytest.mark.usefixtures("only_loopback")   # conftest: connections outside loopback fail


def loopback_fetcher(**kw) -> Fetcher:
    base = dict(allowed_networks=LOOPBACK, per_host_delay=0, retries=1, backoff_base=0.01, connect_timeout=2,
                read_timeout=2, deadline=10)
    base.update(kw)
    return Fetcher(FetchPolicy(**base))


def titles(site: Path) -> set[str]:
    return {e.title for e in feedparser.parse((site / "output" / "atom.xml").read_bytes()).entries}


def good_page(httpserver) -> str:
    httpserver.no_handler_status_code = 404    # so /robots.txt is "none" (allow all), not a 500 (disallow all)
    httpserver.expect_request("/good").respond_with_data(ARTICLE.format(title="Good page"), content_type="text/html")
    return httpserver.url_for("/good")


# --------------------------------------------------------------------------------------- thousands of links


def test_listing_with_5000_links_is_bounded_by_max_new(site: Path, httpserver):
    hits: list[str] = []

    def article(request: Request) -> Response:
        hits.append(request.path)
        return Response(ARTICLE.format(title=f"Post {request.path.rsplit('/', 1)[-1]}"), content_type="text/html")

    links = "\n".join(f'<li><a href="/post/{i}">Post number {i} with a long enough title</a></li>' for i in range(5000))
    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/blog").respond_with_data(
        f"<html><head><title>Blog</title></head><body><main><ul>{links}</ul></main></body></html>",
        content_type="text/html")
    httpserver.expect_request(re.compile(r"^/post/\d+$")).respond_with_handler(article)
    (site / "seedfeed.toml").write_text(f'max_items = 100\n[[listings]]\nurl = "{httpserver.url_for("/blog")}"\n'
                                        "max_new = 25\n", encoding="utf-8")
    config = load(site / "seedfeed.toml", Overrides(), site)
    start = time.monotonic()
    with loopback_fetcher() as fetcher:
        report = run_once(config, FIXED_NOW, fetcher=fetcher)
    seconds = time.monotonic() - start
    published = titles(site)
    invalid = invalid_outputs(site / "output")
    record("URL faults", "listing with 5,000 links (max_new 25)", items_lost=25 - len(published),
           invalid_outputs=len(invalid), seconds=round(seconds, 2), note=f"{len(hits)} articles fetched")
    assert not report.source_errors, report.source_errors
    assert len(hits) == 25 and len(published) == 25           # the first 25, in page order
    assert published == {f"Post {i}" for i in range(25)}
    assert not invalid
    with loopback_fetcher() as fetcher:                          # the next run takes the next 25
        run_once(config, FIXED_NOW.replace(hour=13), fetcher=fetcher)
    assert {f"Post {i}" for i in range(25, 50)} <= titles(site)


# ----------------------------------------------------------------------------- redirect to itself, changing


def test_page_redirecting_to_itself_with_a_changing_query(site: Path, httpserver):
    hits: list[str] = []

    def loop(request: Request) -> Response:
        n = int(request.args.get("n", "0"))
        hits.append(request.full_path)
        return Response("", status=302, headers={"Location": f"/loop?n={n + 1}&t={time.monotonic_ns()}"})

    httpserver.expect_request("/robots.txt").respond_with_data("", status=404)
    httpserver.expect_request("/loop").respond_with_handler(loop)
    url = httpserver.url_for("/loop")
    config = load(None, Overrides(urls=[url, good_page(httpserver)]), site)
    start = time.monotonic()
    with loopback_fetcher() as fetcher:
        report = run_once(config, FIXED_NOW, fetcher=fetcher)
    seconds = time.monotonic() - start
    (error,) = report.source_errors
    published = titles(site)
    record("URL faults", "redirect to itself with a changing query", items_lost=int(published != {"Good page"}),
           seconds=round(seconds, 2), note=f"{len(hits)} requests")
    assert error.startswith(url) and "more than 5 redirects" in error, error
    assert len(hits) <= 2 * 6             # the cap (5 redirects), for each of at most 2 tries
    assert published == {"Good page"}


# --------------------------------------------------------------------------------- connection resets


class ResettingServer:
    """Accepts on 127.0.0.1 and closes each connection with an RST (SO_LINGER 0), after reading the request."""

    def __init__(self, read_first: bool) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.read_first = read_first
        self.accepted = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.accepted += 1
            try:
                if self.read_first:
                    conn.settimeout(2)
                    conn.recv(4096)
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.mark.parametrize("read_first", [False, True], ids=["reset on accept", "reset after the request"])
def test_server_that_resets_connections(site: Path, httpserver, read_first: bool):
    server = ResettingServer(read_first)
    try:
        url = f"http://127.0.0.1:{server.port}/page"
        config = load(None, Overrides(urls=[url, good_page(httpserver)]), site)
        start = time.monotonic()
        with loopback_fetcher(respect_robots=False) as fetcher:
            report = run_once(config, FIXED_NOW, fetcher=fetcher)
        seconds = time.monotonic() - start
    finally:
        server.close()
    published = titles(site)
    record("URL faults", f"server resets connections ({'on accept' if not read_first else 'after request'})",
           items_lost=int(published != {"Good page"}), seconds=round(seconds, 2),
           note=f"{server.accepted} connections")
    assert len(report.source_errors) == 1, report.source_errors
    (error,) = report.source_errors
    assert error.startswith(url), error
    assert re.search(r"reset|closed|abort|connection", error, re.I), error
    assert "Traceback" not in error
    assert server.accepted <= 2                  # the first try and one retry, no more
    assert published == {"Good page"}


# -------------------------------------------------------------------------- a name resolving to private


def test_name_resolving_to_a_private_address_is_refused_after_resolution(site: Path, httpserver):
    """``localhost`` is a name, not a literal address, so the pre-flight check lets it pass; the guard refuses
    it after resolving it (to 127.0.0.1 or ::1) and before connecting. Guard fully ON (no allowed networks)."""
    httpserver.no_handler_status_code = 404
    httpserver.expect_request("/secret").respond_with_data(ARTICLE.format(title="Secret"), content_type="text/html")
    hits_before = len(httpserver.log)
    names = ["localhost"]
    try:   # *.localhost resolves to loopback with systemd-resolved / RFC 6761-aware resolvers, not everywhere
        socket.getaddrinfo("seedfeed-test.localhost", 80)
        names.append("seedfeed-test.localhost")
    except OSError:
        pass
    for name in names:
        url = f"http://{name}:{httpserver.port}/secret"
        check_url(url, Guard.build())          # no DNS here: a name passes the pre-flight check ...
        config = load(None, Overrides(urls=[url]), site)
        with Fetcher(FetchPolicy(per_host_delay=0, retries=0)) as fetcher:   # guard ON, nothing let through
            report = run_once(config, FIXED_NOW, fetcher=fetcher)
        assert len(report.source_errors) == 1, report.source_errors
        (error,) = report.source_errors
        record("URL faults", f"DNS name resolving to a private address ({name})",
               executable_survived=0, note=error[:120])
        assert error.startswith(url), error
        assert re.search(rf"{re.escape(name)} resolves to (127\.0\.0\.1|::1), which is a loopback address", error), error
        assert "SSRF" in error
    assert len(httpserver.log) == hits_before                  # ... and nothing was sent


def test_cli_refuses_a_name_resolving_to_loopback_without_allow_private(tmp_path: Path, httpserver):
    httpserver.expect_request("/secret").respond_with_data(ARTICLE.format(title="Secret"), content_type="text/html")
    url = f"http://localhost:{httpserver.port}/secret"
    result = run_cli("build", "--url", url, cwd=tmp_path)
    assert f"error: {url}: localhost resolves to" in result.stderr, result.stderr
    assert httpserver.log == []
    assert executable_in_output(tmp_path / "output") == [] if (tmp_path / "output").exists() else True
