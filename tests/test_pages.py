"""The human-facing pages and feeds.opml, built by the real CLI and read back with lxml and html5lib.

Every page is parsed strictly (html5lib raises on any HTML5 parse error), checked for duplicate ids and scripts,
and every relative link is followed to a file on disk: the pages must work from ``file://``.
"""

from __future__ import annotations

import http.client
import json
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import html5lib
import pytest
from lxml import etree, html
from seedfeed.extraction.sanitize import title_text

from tests.conftest import run_cli, snapshot, write

BASE = "https://example.org/feeds/"
TYPES = {"application/rss+xml": "rss.xml", "application/atom+xml": "atom.xml", "application/feed+json": "feed.json"}
LONG_WORD = "x" * 300
HOSTILE = f'<script>alert("t")</script> & \'q\' "Q" שלום 🎉 {LONG_WORD}'


def post(title: str, day: int, body: str = "Body text.") -> str:
    return f"---\ntitle: {json.dumps(title, ensure_ascii=False)}\ndate: 2026-01-{day:02d}\n---\n\n{body}\n"


def page(path: Path) -> html.HtmlElement:
    """Parse ``path`` strictly, and check what every page must have."""
    data = path.read_bytes()
    html5lib.HTMLParser(strict=True).parse(data)  # raises on any parse error
    root = html.fromstring(data)
    ids = root.xpath("//@id")
    assert len(ids) == len(set(ids)), f"{path}: duplicate ids {ids}"
    assert not root.xpath("//script"), f"{path}: pages need no script"
    assert len(root.xpath("//h1")) == 1 and root.findtext(".//title")
    assert root.xpath("//meta[@name='viewport']")
    for href in root.xpath("//a/@href"):
        if not urlsplit(href).scheme:
            target = (path.parent / unquote(href)).resolve()
            assert target.is_file(), f"{path}: link {href} points at nothing"
    return root


def feeds_discovered(root: html.HtmlElement) -> dict[str, str]:
    return {link.get("type"): link.get("href") for link in root.xpath("//link[@rel='alternate']")}


def build(cwd: Path, *args: str) -> None:
    done = run_cli("build", "--base-url", BASE, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr


def opml(path: Path) -> etree._Element:
    root = etree.fromstring(path.read_bytes())
    assert root.tag == "opml" and root.get("version") == "2.0"
    parsedate_to_datetime(root.findtext("head/dateCreated"))  # RFC 822
    return root


def test_single_feed_index_is_the_feed_page(site: Path):
    write(site / "seeds" / "a.md", post("First post", 1, "Hello there."))
    write(site / "seeds" / "b.md", post("Second post", 2))
    build(site, "--title", "My Notes")
    out = site / "output"
    root = page(out / "index.html")
    assert root.findtext(".//h1") == "My Notes"
    assert root.findtext(".//p[@class='lede']") == "My Notes, published by seedfeed"  # not "seedfeed, ..."
    assert "2 items" in root.text_content()
    titles = [a.text_content() for a in root.xpath("//ol[@class='items']//h3/a")]
    assert titles == ["Second post", "First post"]  # newest first
    assert all(href.startswith("items/") for href in root.xpath("//ol[@class='items']//h3/a/@href"))
    assert feeds_discovered(root) == {kind: BASE + name for kind, name in TYPES.items()}
    urls = [c.text for c in root.xpath("//code[@class='url']")]
    assert urls == [BASE + "atom.xml", BASE + "rss.xml", BASE + "feed.json"]
    assert "feed reader is" in root.text_content()
    assert not root.xpath("//nav")  # no overview to go back to
    item = page(out / root.xpath("//ol[@class='items']//h3/a/@href")[1])
    assert item.xpath("//nav/a/@href") == ["../index.html"]
    assert feeds_discovered(item) == {kind: BASE + name for kind, name in TYPES.items()}
    outlines = opml(out / "feeds.opml").findall("body/outline")
    assert [(o.get("text"), o.get("xmlUrl"), o.get("htmlUrl"), o.get("type")) for o in outlines] == [
        ("My Notes", BASE + "atom.xml", BASE, "rss")]


@pytest.fixture
def multi(tmp_path: Path) -> Path:
    write(tmp_path / "news" / "a.md", post("Bridge approved", 3))
    write(tmp_path / "news" / "b.md", post("Market moves", 4))
    write(tmp_path / "news" / "c.md", post("Older news", 2))
    write(tmp_path / "news" / "d.md", post("Oldest news", 1))
    write(tmp_path / "notes" / "x.md", post("Swallows", 5))
    (tmp_path / "quiet").mkdir()
    write(tmp_path / "seedfeed.toml", f'base_url = "{BASE}"\n'
          '[[feeds]]\nname = "news"\ntitle = "News"\ndescription = "Town news"\nseeds = ["news"]\n'
          '[[feeds]]\nname = "notes"\ntitle = "Notes"\nseeds = ["notes"]\n'
          '[[feeds]]\nname = "quiet"\ntitle = "Quiet"\nseeds = ["quiet"]\n')
    build(tmp_path)
    return tmp_path


def test_overview_lists_every_feed_with_counts_latest_items_and_formats(multi: Path):
    out = multi / "output"
    root = page(out / "index.html")
    cards = root.xpath("//ul[@class='feeds']/li")
    assert [c.findtext("h2/a") for c in cards] == ["News", "Notes", "Quiet"]
    assert [c.xpath("h2/a/@href")[0] for c in cards] == ["news/index.html", "notes/index.html", "quiet/index.html"]
    news = cards[0].text_content()
    assert "4 items" in news and "Town news" in news and "Bridge approved" in news and "Oldest news" not in news
    assert "No items yet" in cards[2].text_content()
    assert set(cards[0].xpath(".//a/@href")) >= {"news/atom.xml", "news/rss.xml", "news/feed.json"}
    links = root.xpath("//link[@rel='alternate']")
    assert {(link.get("type"), link.get("href")) for link in links} == {
        (kind, f"{BASE}{feed}/{name}") for feed in ("news", "notes", "quiet") for kind, name in TYPES.items()}
    assert root.xpath("//a[@href='feeds.opml']")
    outlines = opml(out / "feeds.opml").findall("body/outline")
    assert [(o.get("title"), o.get("xmlUrl"), o.get("htmlUrl")) for o in outlines] == [
        (name.title(), f"{BASE}{name}/atom.xml", f"{BASE}{name}/") for name in ("news", "notes", "quiet")]


def test_each_feed_has_its_page_linking_back_to_the_overview(multi: Path):
    out = multi / "output"
    for name, count in (("news", "4 items"), ("notes", "1 item")):
        root = page(out / name / "index.html")
        assert root.findtext(".//h1") == name.title() and count in root.text_content()
        assert root.xpath("//nav/a/@href") == ["../index.html"]
        assert feeds_discovered(root) == {kind: f"{BASE}{name}/{file}" for kind, file in TYPES.items()}
        for href in root.xpath("//ol[@class='items']//a/@href"):
            page(out / name / href)  # item pages: valid, and their links resolve too


def test_zero_item_feed_page_says_so(multi: Path):
    root = page(multi / "output" / "quiet" / "index.html")
    text = root.text_content()
    assert "no items yet" in text.lower() and not root.xpath("//ol[@class='items']/li")
    assert len(root.xpath("//code[@class='url']")) == 3  # people can subscribe before the first item


def test_hostile_text_is_escaped_and_kept_whole(tmp_path: Path):
    write(tmp_path / "s" / "a.md", post(HOSTILE, 1, f"Summary {HOSTILE}"))
    toml = json.dumps(HOSTILE, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    write(tmp_path / "seedfeed.toml", f'base_url = "{BASE}"\n[[feeds]]\nname = "h"\ntitle = {toml}\n'
          f'description = {toml}\nseeds = ["s"]\n[[feeds]]\nname = "other"\nseeds = ["s"]\n')
    build(tmp_path)
    out = tmp_path / "output"
    item_page = next((out / "h" / "items").glob("*.html"))
    headings = {out / "index.html": "//ul[@class='feeds']/li[1]/h2", out / "h" / "index.html": "//h1", item_page: "//h1"}
    # The feed's title comes from the config and is kept whole; a document's title loses its markup (the
    # <script> element) and is cut at TITLE_LIMIT.
    doc_title = title_text(HOSTILE)
    assert doc_title.startswith("& 'q'")
    assert doc_title != HOSTILE and doc_title.endswith("…")
    for path, heading in headings.items():
        root = page(path)
        assert HOSTILE in root.findtext(".//title") or path.parent == out  # the overview's title is the site's
        assert root.xpath(heading)[0].text_content() == (doc_title if path == item_page else HOSTILE)
        assert root.xpath(heading)[0].get("dir") == "auto" or root.xpath(heading + "/ancestor::*[@dir='auto']")
        assert {link.get("title") for link in root.xpath("//link[@rel='alternate']")} >= {HOSTILE}
        assert b"<script>" not in path.read_bytes()
    feed_page = page(out / "h" / "index.html")
    assert feed_page.xpath("//p[@class='lede']")[0].text_content() == HOSTILE
    summary = feed_page.xpath("//ol[@class='items']//p")[0].text_content()  # the body's <script> was sanitized away
    assert summary.startswith("Summary & 'q' \"Q\" שלום 🎉 xxx") and summary.endswith("…")
    outline = opml(out / "feeds.opml").find("body/outline")
    assert outline.get("text") == HOSTILE and outline.get("description") == HOSTILE
    assert "overflow-wrap:anywhere" in (out / "index.html").read_text(encoding="utf-8")


def test_unchanged_run_writes_nothing_and_a_change_updates_the_overview(multi: Path):
    out = multi / "output"
    before = snapshot(out)
    build(multi)
    assert snapshot(out) == before
    write(multi / "notes" / "y.md", post("Herons", 6))
    build(multi)
    after = snapshot(out)
    changed = {name for name in after if after[name] != before.get(name)}
    assert {"index.html", "notes/index.html", "feeds.opml"} <= changed
    assert not any(name.startswith("news/") for name in changed)
    assert "Herons" in page(out / "index.html").text_content()


def test_missing_site_files_come_back_on_the_next_run(multi: Path):
    out = multi / "output"
    for name in ("index.html", "feeds.opml", "news/index.html"):
        (out / name).unlink()
    build(multi)
    assert all((out / name).is_file() for name in ("index.html", "feeds.opml", "news/index.html"))


def test_served_with_proper_types_and_page_lifetimes(multi: Path):
    """Feeds keep their own types; pages are HTML that caches as briefly as their feed; OPML has its type."""
    from seedfeed.serve import FeedServer

    expected = {"/": ("text/html; charset=utf-8", 300), "/news/": ("text/html; charset=utf-8", 300),
                "/news/rss.xml": ("application/rss+xml; charset=utf-8", 300),
                "/news/atom.xml": ("application/atom+xml; charset=utf-8", 300),
                "/news/feed.json": ("application/feed+json", 300),
                "/feeds.opml": ("text/x-opml; charset=utf-8", 3600)}
    with FeedServer(multi / "output", port=0) as server:
        for path, (ctype, max_age) in expected.items():
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            conn.close()
            assert (resp.status, resp.getheader("Content-Type"), resp.getheader("Cache-Control")) == (
                200, ctype, f"max-age={max_age}"), path


def test_an_edited_document_that_left_the_window_has_its_page_rewritten(tmp_path: Path):
    """An item page outlives the item's time in the feed (readers keep the link), so an edit of a document that
    scrolled out is published on its page, though no feed file shows the document any more."""
    (tmp_path / "seedfeed.toml").write_text("archives = false\nmax_items = 2\n")
    write(tmp_path / "seeds" / "old.md", post("Old post", 1, "First words."))
    build(tmp_path)
    for day in (2, 3):
        write(tmp_path / "seeds" / f"new{day}.md", post(f"New post {day}", day))
    build(tmp_path)
    atom = tmp_path / "output" / "atom.xml"
    assert b"Old post" not in atom.read_bytes()
    write(tmp_path / "seeds" / "old.md", post("Old post", 1, "Second words."))
    build(tmp_path)
    assert "Second words." in page(tmp_path / "output" / "items" / "old.html").text_content()
    assert b"Old post" not in atom.read_bytes()
