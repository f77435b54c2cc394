"""RSS 2.0 (RSS Advisory Board profile) and Atom 1.0 (RFC 4287) through feedgen.

feedgen traps, each guarded by a regression test in tests/test_render.py:
- ``updated``/``lastBuildDate`` default to *now* → always set them to the newest real change;
- ``add_entry`` prepends by default → ``order="append"`` over items already sorted newest first;
- the *last* ``link()`` call becomes the RSS channel ``<link>`` → the site link is added last;
- content without ``type="html"`` is read as text → always pass the type;
- control characters raise → every string goes through :func:`strip_xml_illegal`;
- ``description()`` without ``isSummary=True`` replaces the Atom content → set it first, as a summary.
The summary is plain text, but readers render RSS ``<description>`` as HTML: it is HTML-escaped first, so a
summary reading "<img src=x onerror=...>" is shown, not run. Atom's ``<summary>`` gets the same escaped text with
``type="html"``: as a bare text construct, a summary about the ``<head>`` tag made the W3C validator warn that
"summary should not contain HTML unless declared in the type attribute".
feedgen's RSS writer only copies the first ``rel="self"`` link, so the WebSub ``rel="hub"`` link is added
to the RSS tree afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from feedgen.feed import FeedGenerator
from lxml import etree

from ..extraction.sanitize import strip_xml_illegal as x
from ..models import Item
from .base import ATOM_FILE, GENERATOR, RSS_FILE, FeedMeta, feed_body_html, item_link, item_title

ATOM_NS = "http://www.w3.org/2005/Atom"
SY_NS = "http://purl.org/rss/1.0/modules/syndication/"


def _generator(meta: FeedMeta, items: Sequence[Item], self_file: str, self_type: str, *, rss: bool) -> FeedGenerator:
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.load_extension("media", atom=True, rss=True)
    fg.id(meta.id)
    title = x(meta.title).strip() or "(untitled feed)"  # RSS requires a non-empty title and description
    fg.title(title)
    fg.description(x(meta.description).strip() or title)
    if meta.language:
        fg.language(meta.language)
    # RFC 4287 4.1.1: a feed without an author is valid only if every entry has one; the feed's own
    # title stands in when none is configured.
    fg.author({"name": x(meta.author or "").strip() or title})
    fg.generator(*GENERATOR)
    fg.updated(meta.updated)
    fg.lastBuildDate(meta.updated)
    if meta.ttl_minutes:
        fg.ttl(meta.ttl_minutes)
    fg.link(href=meta.url(self_file), rel="self", type=self_type)
    if meta.hub:
        fg.link(href=meta.hub, rel="hub")
    fg.link(href=meta.site_url, rel="alternate", type="text/html")  # last: it becomes the RSS <link>
    for item in items:
        doc = item.doc
        fe = fg.add_entry(order="append")
        fe.guid(item.id, permalink=False)
        fe.title(x(item_title(item)) or "(untitled)")
        fe.link(href=item_link(item, meta), rel="alternate", type="text/html")
        fe.published(item.published)
        fe.updated(item.updated)
        if doc.summary:
            # RSS <description> and Atom <summary type="html">: the plain text, HTML-escaped (see the docstring)
            fe.summary(escape(x(doc.summary), quote=False), type="html")
        if doc.body_html:
            fe.content(x(feed_body_html(item, meta)), type="html")  # after description(), which would overwrite it
        if doc.author:
            fe.author({"name": x(doc.author)})
            fe.dc.dc_creator(x(doc.author))
        for tag in doc.tags:
            fe.category(term=x(tag))
        if doc.image:
            fe.media.content({"url": doc.image, "medium": "image"}, group=None)
    return fg


def update_hint(ttl_minutes: int) -> tuple[str, int]:
    """RSS Syndication module ``(updatePeriod, updateFrequency)`` for a feed that changes every ``ttl_minutes``."""
    for period, minutes in (("hourly", 60), ("daily", 1440), ("weekly", 10080), ("monthly", 43200)):
        if ttl_minutes <= minutes:
            return period, max(1, minutes // max(1, ttl_minutes))
    return "yearly", 1


def _hints(parent: etree._Element, meta: FeedMeta, before: etree._Element | None) -> None:
    """Add sy:updatePeriod / sy:updateFrequency (feedgen's syndication extension misspells them)."""
    if not meta.ttl_minutes:
        return
    period, frequency = update_hint(meta.ttl_minutes)
    elements = [etree.Element(f"{{{SY_NS}}}updatePeriod", nsmap={"sy": SY_NS}),
                etree.Element(f"{{{SY_NS}}}updateFrequency", nsmap={"sy": SY_NS})]
    elements[0].text, elements[1].text = period, str(frequency)
    for element in elements:
        if before is not None:
            before.addprevious(element)
        else:
            parent.append(element)


def _reserialize(root: etree._Element) -> bytes:
    etree.cleanup_namespaces(root, top_nsmap={"sy": SY_NS} if root.find(f".//{{{SY_NS}}}updatePeriod") is not None else None)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def render_atom(meta: FeedMeta, items: Sequence[Item]) -> bytes:
    fg = _generator(meta, items, ATOM_FILE, "application/atom+xml", rss=False)
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8")
    if not meta.ttl_minutes:
        return data
    root = etree.fromstring(data)
    _hints(root, meta, root.find(f"{{{ATOM_NS}}}entry"))
    return _reserialize(root)


def render_rss(meta: FeedMeta, items: Sequence[Item]) -> bytes:
    fg = _generator(meta, items, RSS_FILE, "application/rss+xml", rss=True)
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8")
    if not meta.hub and not meta.ttl_minutes:
        return data
    root = etree.fromstring(data)
    channel = root.find("channel")
    assert channel is not None
    if meta.hub:
        self_link = channel.find(f"{{{ATOM_NS}}}link")
        hub = etree.Element(f"{{{ATOM_NS}}}link", href=meta.hub, rel="hub")
        if self_link is not None:
            self_link.addnext(hub)
        else:
            channel.insert(0, hub)
    _hints(channel, meta, channel.find("item"))
    return _reserialize(root)
