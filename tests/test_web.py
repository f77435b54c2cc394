"""URL sources end to end, against a real local HTTP server (pytest-httpserver)."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once
from werkzeug import Request, Response

from tests.conftest import FIXED_NOW, run_cli

ARTICLE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{title} | Example Site</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Example Site">
<meta name="description" content="A summary of {title}, long enough to be used as a summary.">
<meta property="article:published_time" content="2026-02-01T10:00:00+01:00">
<link rel="canonical" href="{canonical}">
</head><body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>{title}</h1><p class="byline">By Jane Writer</p>
<p>{body} The first paragraph of the article has enough words to count as the main content of the page.</p>
<p>A second paragraph follows with more words, so that the extractor is confident about what the body is.</p>
<p>And a third one, with a <a href="/rel/link">relative link</a> that must come out absolute.</p>
</article><footer>Copyright Example Site</footer></body></html>"""


class Site:
    """A tiny website whose pages can change, vanish or fail, and that answers conditional GETs."""

    def __init__(self, server) -> None:
        self.server = server
        self.pages: dict[str, tuple[int, str]] = {}
        self.hits: list[str] = []
        self.exchanges: list[tuple[str, str | None, str | None, int]] = []  # path, If-None-Match, IMS, status
        self.validator = "etag"   # or "last-modified": which validator the pages carry
        server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
        server.expect_request(__import__("re").compile(r"^/(?!robots\.txt).*")).respond_with_handler(self.handle)

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def article(self, path: str, title: str, body: str = "", status: int = 200, canonical: str | None = None) -> None:
        self.pages[path] = (status, ARTICLE.format(title=title, body=body, canonical=canonical or self.url(path)))

    def handle(self, request: Request) -> Response:
        self.hits.append(request.path)
        status, html = self.pages.get(request.path, (404, "not here"))
        inm, ims = request.headers.get("If-None-Match"), request.headers.get("If-Modified-Since")
        if self.validator == "etag":
            validators = {"ETag": f'"{hash(html) & 0xFFFFFFFF:x}"'}
            fresh = inm == validators["ETag"]
        else:
            validators = {"Last-Modified": f"Sun, 01 Feb 2026 {len(html) % 24:02d}:00:00 GMT"}
            fresh = ims == validators["Last-Modified"]
        answer = 304 if status == 200 and fresh else status
        self.exchanges.append((request.path, inm, ims, answer))
        if answer == 304:
            return Response(status=304, headers=validators)
        return Response(html, status=status, headers=validators, content_type="text/html; charset=utf-8")


@pytest.fixture
def web(httpserver) -> Site:
    return Site(httpserver)


def fast_fetcher():
    """The real fetcher, without the politeness delay between requests to one host (all tests use one)."""
    from seedfeed.fetch import Fetcher, FetchPolicy

    return Fetcher(FetchPolicy(allow_private=True, per_host_delay=0, retries=0))


def build(site_dir, now, due=None, **kw):
    config = load(None, Overrides(allow_private=True, **kw), site_dir)
    with fast_fetcher() as fetcher:
        return run_once(config, now, fetcher=fetcher, due=due)


def entries(site_dir):
    return feedparser.parse((site_dir / "output" / "atom.xml").read_bytes()).entries


def test_cli_publishes_a_page_given_with_url(tmp_path, web):
    web.article("/news/one", "First story")
    result = run_cli("build", "--url", web.url("/news/one"), "--allow-private", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (entry,) = entries(tmp_path)
    assert entry.title == "First story"
    assert entry.link == web.url("/news/one")
    assert entry.published == "2026-02-01T09:00:00+00:00"
    assert web.url("/rel/link") in entry.content[0].value


def test_refetch_answered_304_changes_nothing_and_an_edit_keeps_the_id(tmp_path, web):
    web.article("/a", "Story A", "Version one.")
    url = web.url("/a")
    build(tmp_path, FIXED_NOW, urls=[url])
    (before,) = entries(tmp_path)
    atom = (tmp_path / "output" / "atom.xml").read_bytes()
    report = build(tmp_path, FIXED_NOW + timedelta(hours=2), urls=[url])
    assert not report.changed and (tmp_path / "output" / "atom.xml").read_bytes() == atom
    (first, _, _, _), (_, etag_sent, _, status) = web.exchanges   # the refetch sent the stored ETag back
    assert first == "/a" and etag_sent and status == 304, web.exchanges
    web.article("/a", "Story A, corrected", "Version two.")
    report = build(tmp_path, FIXED_NOW + timedelta(hours=4), urls=[url])
    (after,) = entries(tmp_path)
    assert report.feeds[0].updated == 1
    assert after.id == before.id and after.title == "Story A, corrected" and after.published == before.published


def test_build_sends_the_stored_last_modified_and_a_304_changes_nothing(tmp_path, web):
    web.validator = "last-modified"
    web.article("/b", "Story B")
    url = web.url("/b")
    assert run_cli("build", "--url", url, "--allow-private", cwd=tmp_path).returncode == 0
    atom = (tmp_path / "output" / "atom.xml").read_bytes()
    result = run_cli("build", "--url", url, "--allow-private", "--refresh", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (_, _, ims_first, _), (_, _, ims_sent, status) = web.exchanges
    assert ims_first is None and ims_sent == f"Sun, 01 Feb 2026 {len(web.pages['/b'][1]) % 24:02d}:00:00 GMT"
    assert status == 304 and (tmp_path / "output" / "atom.xml").read_bytes() == atom


def test_a_different_spelling_of_the_same_url_is_not_a_new_item(tmp_path, web):
    web.article("/post", "Post")
    build(tmp_path, FIXED_NOW, urls=[web.url("/post")])
    report = build(tmp_path, FIXED_NOW + timedelta(hours=2), urls=[web.url("/post/") + "?utm_source=x&fbclid=y"])
    assert report.feeds[0].new == 0 and len(entries(tmp_path)) == 1


def test_failing_source_keeps_its_item_and_is_reported(tmp_path, web):
    web.article("/a", "Kept story")
    build(tmp_path, FIXED_NOW, urls=[web.url("/a")])
    web.pages["/a"] = (500, "oops")
    report = build(tmp_path, FIXED_NOW + timedelta(hours=2), urls=[web.url("/a")])
    assert [e.title for e in entries(tmp_path)] == ["Kept story"]
    assert any(web.url("/a") in e and "500" in e for e in report.source_errors)


def test_410_gone_retires_the_item(tmp_path, web):
    web.article("/a", "Going")
    web.article("/b", "Staying")
    urls = [web.url("/a"), web.url("/b")]
    build(tmp_path, FIXED_NOW, urls=urls)
    web.pages["/a"] = (410, "gone")
    report = build(tmp_path, FIXED_NOW + timedelta(hours=2), urls=urls)
    assert [e.title for e in entries(tmp_path)] == ["Staying"]
    assert report.feeds[0].removed == 1


def test_404_retires_only_after_three_runs_in_a_row(tmp_path, web):
    web.article("/a", "Flaky")
    build(tmp_path, FIXED_NOW, urls=[web.url("/a")])
    del web.pages["/a"]
    for run in (1, 2):
        build(tmp_path, FIXED_NOW + timedelta(hours=2 * run), urls=[web.url("/a")])
        assert len(entries(tmp_path)) == 1, run
    build(tmp_path, FIXED_NOW + timedelta(hours=6), urls=[web.url("/a")])
    assert entries(tmp_path) == []


def test_listing_follows_new_links_only(tmp_path, web):
    def listing(*paths: str) -> str:
        links = "".join(f'<article><h2><a href="{p}">Story {p}</a></h2></article>' for p in paths)
        return f"<html><body><nav><a href='/about'>About</a></nav><main>{links}</main></body></html>"

    web.article("/2026/01/first-story", "First")
    web.article("/2026/01/second-story", "Second")
    web.pages["/blog/"] = (200, listing("/2026/01/first-story", "/2026/01/second-story"))
    build(tmp_path, FIXED_NOW, listings=[web.url("/blog/")])
    assert sorted(e.title for e in entries(tmp_path)) == ["First", "Second"]
    assert "/about" not in web.hits
    web.article("/2026/01/third-story", "Third")
    web.pages["/blog/"] = (200, listing("/2026/01/third-story", "/2026/01/first-story", "/2026/01/second-story"))
    web.hits.clear()
    # 30 minutes later the listing is fetched again; its known articles are not due for a refresh yet
    build(tmp_path, FIXED_NOW + timedelta(minutes=30), due=lambda s, last, now: s.kind == "listing",
          listings=[web.url("/blog/")])
    assert sorted(e.title for e in entries(tmp_path)) == ["First", "Second", "Third"]
    assert web.hits == ["/blog/", "/2026/01/third-story"]


def test_private_addresses_are_refused_by_default(tmp_path, web):
    web.article("/a", "Private")
    result = run_cli("build", "--url", web.url("/a"), cwd=tmp_path)
    assert result.returncode == 0
    assert web.url("/a") in result.stderr and "allow-private" in result.stderr.replace("_", "-")
    assert "Traceback" not in result.stderr


def test_build_does_not_refetch_before_the_schedule_says(tmp_path, web):
    web.article("/a", "Once")
    assert run_cli("build", "--url", web.url("/a"), "--allow-private", cwd=tmp_path).returncode == 0
    web.hits.clear()
    assert run_cli("build", "--url", web.url("/a"), "--allow-private", cwd=tmp_path).returncode == 0
    assert web.hits == []
    assert run_cli("build", "--url", web.url("/a"), "--allow-private", "--refresh", cwd=tmp_path).returncode == 0
    assert web.hits == ["/a"]


def test_extract_prints_what_it_found_for_a_saved_page_and_a_url(tmp_path, web):
    """``seedfeed extract`` (README: "prints, as JSON, ...title, summary, body, dates, author, image, canonical
    URL, language and which rule produced each"), run as a user runs it, on a saved file and on a URL."""
    import json

    web.article("/news/x", "Extracted story", "Body words.")
    saved = tmp_path / "page.html"
    saved.write_text(web.pages["/news/x"][1], encoding="utf-8")
    from_file = run_cli("extract", str(saved), "--url", web.url("/news/x"), cwd=tmp_path)
    from_url = run_cli("extract", web.url("/news/x"), "--allow-private", cwd=tmp_path)
    for result in (from_file, from_url):
        assert result.returncode == 0, result.stderr
        page = json.loads(result.stdout)
        assert page["title"] == "Extracted story" and page["url"] == web.url("/news/x")
        assert page["published"] == "2026-02-01T10:00:00+01:00" and page["language"] == "en"
        assert page["author"] == "Jane Writer" and page["summary"].startswith("A summary of Extracted story")
        assert "Body words." in page["body_html"] and web.url("/rel/link") in page["body_html"]
        assert {"title", "published"} <= set(page["provenance"])
    missing = run_cli("extract", str(tmp_path / "nope.html"), cwd=tmp_path)
    assert missing.returncode == 1 and "nope.html" in missing.stderr and not missing.stdout
