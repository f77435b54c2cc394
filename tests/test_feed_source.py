"""Feed sources (``--feed`` / ``[[sources]] feed = ...``): full text from truncated feeds, against a real local
server serving the feed shapes in tests/data/feeds/ (RSS 2.0 + content:encoded, Atom + xml:base, JSON Feed)."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from seedfeed.config import Overrides, load
from seedfeed.pipeline import run_once
from werkzeug import Request, Response

from tests.conftest import run_cli, write

DATA = Path(__file__).parent / "data" / "feeds"
NOW = datetime(2026, 11, 4, 12, 0, tzinfo=UTC)
ORIGIN = b"https://news.example.org"


class FeedSite:
    """Serves the test feeds (their https://news.example.org links pointing back here), an article page for
    every other path, conditional GETs, and a log of every path asked for."""

    def __init__(self, server) -> None:
        self.server = server
        self.feeds: dict[str, tuple[bytes, str]] = {}
        self.broken: set[str] = set()
        self.hits: list[str] = []
        server.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
        server.expect_request(re.compile(r"^/(?!robots\.txt).*")).respond_with_handler(self.handle)

    @property
    def base(self) -> bytes:
        return self.server.url_for("").rstrip("/").encode()

    def url(self, path: str) -> str:
        return self.server.url_for(path)

    def serve(self, path: str, name: str, content_type: str = "application/rss+xml", edit=None) -> str:  # noqa: ANN001
        data = (DATA / name).read_bytes().replace(ORIGIN, self.base)
        self.feeds[path] = (edit(data) if edit else data, content_type)
        return self.url(path)

    def handle(self, request: Request) -> Response:
        self.hits.append(request.full_path.rstrip("?"))
        if request.path in self.broken:
            return Response("gone fishing", status=500)
        if request.path in self.feeds:
            body, ctype = self.feeds[request.path]
        else:
            page = (DATA / "articles" / "article.html").read_text(encoding="utf-8")
            body = page.replace("{{TITLE}}", request.path.strip("/").replace("/", " ")).replace(
                "{{URL}}", request.base_url).encode()
            ctype = "text/html; charset=utf-8"
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(body, headers={"ETag": etag}, content_type=ctype)

    def articles_fetched(self) -> list[str]:
        return [h for h in self.hits if h not in self.feeds and not h.endswith((".xml", ".json"))]


@pytest.fixture
def site(httpserver, only_loopback) -> FeedSite:  # noqa: ANN001
    return FeedSite(httpserver)


def build(folder: Path, now: datetime = NOW, config: str | None = None, **overrides):  # noqa: ANN003
    """One real run (real pipeline, SQLite and HTTP), without the per-host politeness delay."""
    from seedfeed.fetch import Fetcher, FetchPolicy

    path = write(folder / "seedfeed.toml", config) if config is not None else None
    loaded = load(path, Overrides(allow_private=True, **overrides), folder)
    with Fetcher(FetchPolicy(allow_private=True, per_host_delay=0, retries=0)) as fetcher:
        return run_once(loaded, now, fetcher=fetcher)


def parsed(folder: Path, name: str = "rss.xml"):  # noqa: ANN201
    return feedparser.parse((folder / "output" / name).read_bytes())


# ------------------------------------------------------------------------------------------ through the CLI

def test_cli_rss_feed_becomes_full_text_items_and_a_304_fetches_nothing(tmp_path, site):
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    args = ("--feed", url, "--allow-private", "--refresh")
    result = run_cli("build", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rss = parsed(tmp_path)
    assert rss.bozo == 0 and len(rss.entries) == 3
    ferry = next(e for e in rss.entries if e.title.startswith("Ferry"))
    # identity, title, link, date, author and categories come from the feed; the body is the whole article
    assert ferry.id == site.base.decode() + "/?p=4711"
    assert ferry.link.startswith(site.url("/2026/11/ferry-timetable-winter/"))
    assert ferry.author == "Mara Lindqvist" and [t.term for t in ferry.tags] == ["Transport", "Ferries"]
    assert ferry.published_parsed[:5] == (2026, 11, 3, 9, 0)
    assert "FULLTEXT-MARKER" in ferry.content[0].value and "continues on our site" not in ferry.content[0].value
    atom = parsed(tmp_path, "atom.xml")
    assert {e.id for e in atom.entries} == {e.id for e in rss.entries}
    assert json.loads((tmp_path / "output" / "feed.json").read_text())["items"][0]["content_html"].count("FULLTEXT")

    # The same source from a config file: the feed answers 304, and nothing else is fetched.
    fetched = len(site.articles_fetched())
    write(tmp_path / "seedfeed.toml", f'[[sources]]\nfeed = "{url}"\n')
    again = run_cli("build", "--allow-private", "--refresh", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert len(site.articles_fetched()) == fetched, "the feed answered 304: no article may be fetched again"

    check = run_cli("check", cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    status = run_cli("status", "--json", cwd=tmp_path)
    rows = [r for r in json.loads(status.stdout)["feeds"] if r["kind"] == "feed"]
    assert rows and rows[0]["source"] == url and rows[0]["items"] == 3 and rows[0]["http_status"] == 304


def test_cli_bad_feeds_are_clear_errors_and_lose_nothing(tmp_path, site):
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    assert run_cli("build", "--feed", url, "--allow-private", cwd=tmp_path).returncode == 0
    before = {e.id for e in parsed(tmp_path).entries}
    for name, ctype, expected in (
            ("error-page.html", "text/html", "is an HTML page, not a feed"),
            ("not-a-feed.txt", "text/plain", "not a feed"),
            ("billion-laughs.xml", "application/rss+xml", "declares entities"),
            ("external-entity.xml", "application/rss+xml", "declares entities")):
        site.serve("/feed/", name, ctype)
        result = run_cli("build", "--feed", url, "--allow-private", "--refresh", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert url in result.stderr and expected in result.stderr, (name, result.stderr)
        assert {e.id for e in parsed(tmp_path).entries} == before, f"{name}: published items were lost"
    assert not any("xxe" in hit or "passwd" in hit for hit in site.hits), "an external entity was fetched"
    write(tmp_path / "seedfeed.toml", f'[[sources]]\nfeed = "{url}"\n')
    status = run_cli("status", "--json", cwd=tmp_path)
    row = next(r for r in json.loads(status.stdout)["feeds"] if r["kind"] == "feed")
    assert "declares entities" in row["last_error"] and row["last_success"] and row["items"] == 3


# ------------------------------------------------------------------------------------------ in-process runs

def test_atom_xml_base_resolves_links_and_next_pages_are_followed_only_when_asked(tmp_path, site):
    url = site.serve("/notes/atom.xml", "atom-xml-base.xml", "application/atom+xml")
    site.serve("/notes/atom-page2.xml", "atom-page2.xml", "application/atom+xml")
    build(tmp_path, feed_urls=[url])
    atom = parsed(tmp_path, "atom.xml")
    assert sorted(e.link for e in atom.entries) == [site.url("/notes/2026/seabird-count"),
                                                   site.url("/notes/2026/tide-tables")]
    assert {e.id for e in atom.entries} == {"tag:news.example.org,2026-11-03:/notes/tide-tables",
                                            "tag:news.example.org,2026-10-28:/notes/seabird-count"}
    assert "atom-page2.xml" not in " ".join(site.hits)
    assert all("FULLTEXT-MARKER" in e.content[0].value for e in atom.entries)

    paged = tmp_path / "paged"   # a fresh state: the first one would get a 304 for the unchanged feed
    build(paged, config=f'[[sources]]\nfeed = "{url}"\nmax_pages = 2\n')
    links = {e.link for e in parsed(paged, "atom.xml").entries}
    assert site.url("/notes/2025/harbour-wall") in links and len(links) == 3


def test_json_feed_ids_edits_and_entries_leaving_the_source(tmp_path, site):
    url = site.serve("/podcast/feed.json", "feed.json", "application/feed+json")
    build(tmp_path, feed_urls=[url])
    items = {i["title"]: i for i in json.loads((tmp_path / "output" / "feed.json").read_text())["items"]}
    ep42 = items["Episode 42: Nets, knots and net zero"]
    assert ep42["id"] == site.url("/podcast/episode-42")           # a URI id is kept as the item id
    ep41_id = items["Episode 41: The storm of '87"]["id"]
    assert ep41_id.startswith("urn:uuid:")                         # "41" is not stable: one is minted
    assert ep42["tags"] == ["crafts", "climate"] and ep42["authors"][0]["name"] == "Priya Natarajan"

    # Edited at the source (new title and date): the same items, updated, and 41 keeps its minted id.
    site.serve("/podcast/feed.json", "feed.json", "application/feed+json", edit=lambda d: d.replace(
        b"Episode 41: The storm of '87", b"Episode 41: The great storm of 1987").replace(
        b'"2026-11-02T09:30:00+00:00"', b'"2026-11-03T09:30:00+00:00"'))
    report = build(tmp_path, now=NOW.replace(hour=13), feed_urls=[url])
    assert (report.feeds[0].new, report.feeds[0].updated) == (0, 2)
    items = {i["title"]: i for i in json.loads((tmp_path / "output" / "feed.json").read_text())["items"]}
    assert items["Episode 41: The great storm of 1987"]["id"] == ep41_id

    # Gone from the source feed: still in ours.
    site.serve("/podcast/feed.json", "feed.json", "application/feed+json",
               edit=lambda d: re.sub(rb',\s*\{\s*"id": "41".*?\}\s*\]', b"]", d, flags=re.S))
    report = build(tmp_path, now=NOW.replace(hour=14), feed_urls=[url])
    assert report.feeds[0].removed == 0 and report.feeds[0].items == 2


def test_max_new_and_max_entries_bound_the_work(tmp_path, site):
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    config = f'[[sources]]\nfeed = "{url}"\nmax_new = 1\nmax_entries = 2\n'
    first = build(tmp_path, config=config)
    assert first.feeds[0].new == 1 and len(site.articles_fetched()) == 1
    second = build(tmp_path, now=NOW.replace(hour=13), config=config)
    # the feed was read in full again (no 304: entries were waiting), and only the newest 2 are ever looked at
    assert second.feeds[0].new == 1 and second.feeds[0].items == 2
    assert not any("sponsored" in h for h in site.hits)
    third = build(tmp_path, now=NOW.replace(hour=14), config=config)
    assert third.feeds[0].new == 0 and len(site.articles_fetched()) == 2


def test_an_article_that_fails_keeps_the_feeds_content_and_is_reported(tmp_path, site):
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    site.broken.add("/2026/11/lighthouse-reopens/")
    report = build(tmp_path, feed_urls=[url])
    assert any("lighthouse-reopens" in e and "feed's own content" in e for e in report.source_errors)
    light = next(e for e in parsed(tmp_path).entries if e.title.startswith("Lighthouse"))
    assert "After two years behind scaffolding" in light.content[0].value
    # The next time the feed is read, the failed article is tried again, and its full text replaces the feed's.
    site.broken.clear()
    site.serve("/feed/", "rss20-content-encoded.xml", edit=lambda d: d.replace(b"Harbour Town News", b"Harbour News"))
    report = build(tmp_path, now=NOW.replace(hour=13), feed_urls=[url])
    assert report.source_errors == [] and report.feeds[0].updated == 1
    light = next(e for e in parsed(tmp_path).entries if e.title.startswith("Lighthouse"))
    assert "FULLTEXT-MARKER" in light.content[0].value


def test_size_cap_of_the_source_feed(tmp_path, site):
    url = site.serve("/feed/", "rss20-content-encoded.xml")
    report = build(tmp_path, config=f'[[sources]]\nfeed = "{url}"\nmax_bytes = 1000\n')
    assert [e for e in report.source_errors if e.startswith(url) and "larger than 1000 bytes" in e], report.source_errors
    assert report.feeds[0].items == 0


def test_awkward_entries_are_reported_and_kept_when_possible(tmp_path, site):
    url = site.serve("/awkward.xml", "awkward-entries.xml")
    report = build(tmp_path, feed_urls=[url])
    text = "\n".join(report.warnings)
    assert "has no link; published with the feed's own content" in text
    assert "neither a link nor an id; skipped" in text
    assert "in the future" in text and "unreadable published date" in text
    assert "duplicate id or link" in text
    entries = {e.title: e for e in parsed(tmp_path).entries}
    assert set(entries) == {"Note without a link", "From the future", "Unreadable date"}
    assert entries["Note without a link"].id == "urn:uuid:0d2c3f3e-8a2b-4c1e-9d5f-1b2a3c4d5e6f"
    assert "Only the feed has this text." in entries["Note without a link"].content[0].value
    assert entries["From the future"].published_parsed[0] == 2026   # the 2038 date is not believed


def test_feedparser_itself_neither_expands_nor_fetches(site):
    """Belt and braces under our refusal: feedparser alone on the hostile documents stays small and offline."""
    from seedfeed.sources.feedparse import NotAFeed, parse

    for name in ("billion-laughs.xml", "external-entity.xml"):
        data = (DATA / name).read_bytes().replace(ORIGIN, site.base)
        with pytest.raises(NotAFeed, match="declares entities"):
            parse(data, "http://127.0.0.1/x.xml", "application/rss+xml", NOW, 50)
        result = feedparser.parse(data)
        assert len(json.dumps(result, default=str)) < 20_000, f"{name}: entities were expanded"
        assert "root:" not in json.dumps(result, default=str)
    assert site.hits == [], "feedparser made a request"
