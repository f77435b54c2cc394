"""Rendered feeds checked with real consumers (feedparser, lxml) and against feedgen's known traps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import feedparser
from lxml import etree
from seedfeed.models import Document, Item
from seedfeed.render.base import FeedMeta
from seedfeed.render.item_page import render_page
from seedfeed.render.json_feed import render_json
from seedfeed.render.xml_feeds import render_atom, render_rss

T = datetime(2025, 6, 1, 9, 0, tzinfo=UTC)
NS = {"atom": "http://www.w3.org/2005/Atom", "content": "http://purl.org/rss/1.0/modules/content/",
      "dc": "http://purl.org/dc/elements/1.1/", "media": "http://search.yahoo.com/mrss/"}


def meta(**kw) -> FeedMeta:
    defaults = dict(id="urn:uuid:00000000-0000-0000-0000-000000000001", title="T", description="D",
                    site_url="https://example.org/", base_url="https://example.org/feeds/", updated=T + timedelta(days=2),
                    language="en")
    return FeedMeta(**{**defaults, **kw})


def item(n: int, **kw) -> Item:
    doc = Document(key=f"{n}.md", origin=f"{n}.md", title=kw.pop("title", f"Item {n}"), summary=f"Summary {n}",
                   body_html=kw.pop("body_html", f"<p>Body {n}</p>"), **kw)
    return Item(f"urn:uuid:{n:08d}-0000-0000-0000-000000000000", f"item-{n}", doc, T + timedelta(days=n),
                T + timedelta(days=n, hours=1), "h")


def test_rss_follows_the_rss_advisory_board_profile():
    items = [item(2, author="Ann", tags=("a", "b"), image="https://example.org/i.png"), item(1)]
    root = etree.fromstring(render_rss(meta(hub="https://hub.example/"), items))
    ch = root.find("channel")
    assert ch.findtext("link") == "https://example.org/"  # the site, never the feed itself
    assert ch.findtext("language") == "en"
    assert parsedate_to_datetime(ch.findtext("lastBuildDate")) == T + timedelta(days=2)  # not "now"
    links = {link.get("rel"): link.get("href") for link in ch.findall("atom:link", NS)}
    assert links == {"self": "https://example.org/feeds/rss.xml", "hub": "https://hub.example/"}
    assert ch.findtext("generator").startswith("seedfeed")
    first = ch.findall("item")[0]
    assert first.find("guid").get("isPermaLink") == "false"
    assert first.findtext("link") == "https://example.org/feeds/items/item-2.html"
    assert parsedate_to_datetime(first.findtext("pubDate")) == T + timedelta(days=2)
    assert first.findtext("description") == "Summary 2"
    assert first.findtext("content:encoded", namespaces=NS) == "<p>Body 2</p>"
    assert first.findtext("dc:creator", namespaces=NS) == "Ann"
    assert [c.text for c in first.findall("category")] == ["a", "b"]
    assert first.find("media:content", NS).get("url") == "https://example.org/i.png"


def test_items_keep_the_given_order_feedgen_would_prepend():
    items = [item(3), item(2), item(1)]
    for data in (render_rss(meta(), items), render_atom(meta(), items)):
        parsed = feedparser.parse(data)
        assert [e.title for e in parsed.entries] == ["Item 3", "Item 2", "Item 1"]


def test_atom_follows_rfc_4287():
    root = etree.fromstring(render_atom(meta(), [item(1, author="Bo")]))
    a = "{http://www.w3.org/2005/Atom}"
    assert root.findtext(f"{a}id") == "urn:uuid:00000000-0000-0000-0000-000000000001"
    assert root.findtext(f"{a}updated") == (T + timedelta(days=2)).isoformat()
    rels = {link.get("rel"): link.get("href") for link in root.findall(f"{a}link")}
    assert rels == {"self": "https://example.org/feeds/atom.xml", "alternate": "https://example.org/"}
    entry = root.find(f"{a}entry")
    assert entry.find(f"{a}content").get("type") == "html"  # not read as text
    assert entry.findtext(f"{a}published") == (T + timedelta(days=1)).isoformat()
    assert entry.findtext(f"{a}updated") == (T + timedelta(days=1, hours=1)).isoformat()
    assert entry.findtext(f"{a}summary") == "Summary 1"
    assert entry.find(f"{a}author").findtext(f"{a}name") == "Bo"
    parsed = feedparser.parse(etree.tostring(root))
    assert parsed.entries[0].content[0].value == "<p>Body 1</p>"


def test_atom_feed_without_configured_author_is_still_valid():
    root = etree.fromstring(render_atom(meta(title="Site"), [item(1)]))
    assert root.find("{http://www.w3.org/2005/Atom}author").findtext("{http://www.w3.org/2005/Atom}name") == "Site"


def test_control_characters_do_not_raise_and_vanish():
    bad = item(1, title="Bell\x07 and \x1b escape", body_html="<p>nul\x00 here</p>")
    for render in (render_rss, render_atom):
        data = render(meta(title="Feed\x0c"), [bad])
        etree.fromstring(data)
        assert b"\x07" not in data and b"\x00" not in data


def test_json_feed_1_1():
    feed = json.loads(render_json(meta(hub="https://hub.example/"), [item(1, image="https://example.org/i.png", tags=("x",))]))
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert feed["feed_url"] == "https://example.org/feeds/feed.json"
    assert feed["home_page_url"] == "https://example.org/"
    (entry,) = feed["items"]
    assert entry["id"] == "urn:uuid:00000001-0000-0000-0000-000000000000"
    assert entry["url"] == "https://example.org/feeds/items/item-1.html"
    assert entry["date_published"] == "2025-06-02T09:00:00Z"
    assert entry["content_html"] == "<p>Body 1</p>"
    assert entry["image"] == "https://example.org/i.png" and entry["tags"] == ["x"]
    assert feed["hubs"] == [{"type": "WebSub", "url": "https://hub.example/"}]


def test_documents_with_their_own_link_point_there():
    linked = item(1, link="https://elsewhere.example/post")
    parsed = feedparser.parse(render_rss(meta(), [linked]))
    assert parsed.entries[0].link == "https://elsewhere.example/post"


def test_item_page_escapes_fields_and_is_parseable():
    page = render_page(item(1, title="<script>alert(1)</script>Ferry & <b>times</b>", author="A & B"), meta()).decode()
    assert "alert(1)" not in page and "<h1>Ferry &amp; times</h1>" in page and "A &amp; B" in page
    etree.fromstring(page.encode(), etree.HTMLParser())
    assert 'href="https://example.org/feeds/atom.xml"' in page
