"""RFC 5005 (Feed Paging and Archiving) archive documents, and the links that chain them.

Section 4, archived feeds: the subscription documents (``rss.xml``, ``atom.xml``) link ``prev-archive`` to the
newest archive document; each archive document (``archive/rss-N.xml``, ``archive/atom-N.xml``) carries
``<fh:archive/>``, a ``current`` link to the subscription document, and ``prev-archive``/``next-archive`` links to
its neighbours -- as ``atom:link`` in RSS too. Archive documents are rendered by the same renderers as the
subscription documents, so the RSS profile and RFC 4287 rules hold for them as well; only their self link,
``updated`` and these links differ.

JSON Feed has no archives; its paging is ``next_url`` (older items): ``feed.json`` -> ``archive/feed-N.json`` ->
``archive/feed-(N-1).json`` ... -> ``archive/feed-1.json``. A page's ``next_url`` never changes, so full pages are
stable from the start.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from lxml import etree

from ..models import Item
from ..records import replace
from .base import ARCHIVE_DIR, ATOM_FILE, JSON_FILE, RSS_FILE, FeedMeta, archive_file
from .json_feed import render_json
from .xml_feeds import render_atom, render_rss

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"


def _links(root: etree._Element, rss: bool, self_url: str, links: dict[str, str], archive: bool) -> bytes:
    parent = root.find("channel") if rss else root
    assert parent is not None
    tag = f"{{{ATOM_NS}}}link"
    self_link = next((el for el in parent.findall(tag) if el.get("rel") == "self"), None)
    assert self_link is not None
    self_link.set("href", self_url)
    anchor = self_link
    added = [etree.Element(tag, nsmap=None if not rss else {"atom": ATOM_NS}, rel=rel, href=href)
             for rel, href in links.items()]
    if archive:
        added.append(etree.Element(f"{{{FH_NS}}}archive", nsmap={"fh": FH_NS}))
    for element in added:
        element.tail = anchor.tail   # the indentation feedgen gave its neighbour (re-indenting all is slow)
        anchor.addnext(element)
        anchor = element
    etree.cleanup_namespaces(root, top_nsmap={"fh": FH_NS} if archive else None)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xml(data: bytes, rss: bool, self_url: str, links: dict[str, str], archive: bool) -> bytes:
    return _links(etree.fromstring(data), rss, self_url, links, archive)


def render_current(meta: FeedMeta, items: Sequence[Item], last: int) -> tuple[bytes, bytes, bytes]:
    """The subscription documents (RSS, Atom, JSON Feed), linked to the newest archive page ``last`` (0: none
    yet, and then exactly what the renderers give)."""
    rss, atom = render_rss(meta, items), render_atom(meta, items)
    if last < 1:
        return rss, atom, render_json(meta, items)
    return (_xml(rss, True, meta.url(RSS_FILE), {"prev-archive": meta.url(archive_file(RSS_FILE, last))}, False),
            _xml(atom, False, meta.url(ATOM_FILE), {"prev-archive": meta.url(archive_file(ATOM_FILE, last))}, False),
            render_json(meta, items, next_url=meta.url(archive_file(JSON_FILE, last))))


def render_archive_page(meta: FeedMeta, page: int, last: int, items: Sequence[Item]) -> Iterator[tuple[str, bytes]]:
    """(path relative to the feed folder, bytes) of archive page ``page`` of ``last``, in the three formats."""
    # The page's own newest change, not the feed's: a full page's bytes must not move when newer items arrive.
    page_meta = replace(meta, updated=max((i.updated for i in items), default=meta.updated), ttl_minutes=None,
                        hub=None)
    for name, render, rss in ((RSS_FILE, render_rss, True), (ATOM_FILE, render_atom, False)):
        links = {"current": meta.url(name)}
        if page > 1:
            links["prev-archive"] = meta.url(archive_file(name, page - 1))
        if page < last:
            links["next-archive"] = meta.url(archive_file(name, page + 1))
        yield archive_file(name, page), _xml(render(page_meta, items), rss, meta.url(archive_file(name, page)), links, True)
    older = meta.url(archive_file(JSON_FILE, page - 1)) if page > 1 else None
    yield archive_file(JSON_FILE, page), render_json(page_meta, items, feed_url=meta.url(archive_file(JSON_FILE, page)),
                                                     next_url=older)


__all__ = ["ARCHIVE_DIR", "render_archive_page", "render_current"]
