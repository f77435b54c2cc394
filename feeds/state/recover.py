"""The published output as a backup of the ids: what a lost state file would otherwise re-broadcast.

When the state does not know a document (it was deleted, or restored from an old backup), the id and dates that
the published files already gave the same document are adopted before a new id is minted, so readers see
nothing new. Two places hold them:

- each item page carries its item's id, dates and a hash of its source key in ``<meta name="seedfeed:...">``
  (:func:`seedfeed.render.item_page.page_metas`)
  (so items that scrolled out of the feeds are recovered too); the page is found at the slug the document would
  get, and adopted only when the source hash matches;
- the Atom feed lists id, link, title and dates of the newest items: documents with their own address (web
  pages, front matter ``link``) are matched by link, and pages written before the metas existed by link and title.

What cannot be recovered (see the README): ids of documents with their own link that scrolled out of the feed,
items whose slug or source changed while the state was lost, tombstones, and source health (ETags, schedules).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from ..models import Document
from ..records import record
from ..render.item_page import source_hash

ATOM = "{http://www.w3.org/2005/Atom}"
_META = re.compile(r'<meta name="seedfeed:(id|published|updated|source)" content="([^"]*)">')
_HEAD_BYTES = 16384   # the metas are in the <head>, before the stylesheet
_MAX_SLUG_TRIES = 50


@record
class Published:
    """What the output says was published for one document."""

    id: str
    published: datetime
    updated: datetime
    slug: str | None = None   # the item page's slug, kept so the page (and the item's link) stays where it was


class Recovery:
    """Looks up what ``folder`` (one feed's output folder) published; files are read only when asked."""

    def __init__(self, folder: Path, items_dir: str, atom_file: str, base_url: str,
                 known: Callable[[str], bool] = lambda item_id: False) -> None:
        self.known = known   # ids the state already has (under another key): never adopted twice
        self.folder = folder
        self.items = folder / items_dir
        self.items_dir = items_dir
        self.atom = folder / atom_file
        self.base_url = base_url
        self._feed: dict[str, tuple[Published, str]] | None = None   # link -> (what, title)
        self._found: set[str] = set()
        self._pages: bool | None = None   # whether there is an items folder at all (a first build has none)

    def adopted_id(self, item_id: str) -> bool:
        """True when :meth:`find` gave out ``item_id``."""
        return item_id in self._found

    def find(self, doc: Document, slug_base: str) -> Published | None:
        """What was published for ``doc`` (found by its key, or by its own link if it has one)."""
        found = self._find(doc.key, doc.title, doc.link, slug_base)
        if found is None or self.known(found.id):
            return None
        self._found.add(found.id)
        return found

    def _find(self, key: str, title: str, link: str | None, slug_base: str) -> Published | None:
        if link:
            found = self._by_link().get(link)
            return found[0] if found else None
        if self._pages is None:
            self._pages = self.items.is_dir()
        if not self._pages:
            return None   # no item page anywhere: a first build need not try to open 100,000 of them
        for n in range(1, _MAX_SLUG_TRIES + 1):
            slug = slug_base if n == 1 else f"{slug_base}-{n}"
            metas = self._page_metas(self.items / f"{slug}.html")
            if metas is None:
                return None   # slugs are handed out in order: no page here, none further
            if metas.get("source") == source_hash(key) and metas.get("id"):
                try:
                    published = datetime.fromisoformat(metas["published"])
                    updated = datetime.fromisoformat(metas.get("updated") or metas["published"])
                except (KeyError, ValueError):
                    continue
                return Published(metas["id"], published, updated, slug)
            if not metas:   # a page written before pages carried metas: the feed may still list it
                found = self._by_link().get(f"{self.base_url}{self.items_dir}/{slug}.html")
                if found and found[1] == title:
                    return Published(found[0].id, found[0].published, found[0].updated, slug)
        return None

    def _page_metas(self, path: Path) -> dict[str, str] | None:
        try:
            with open(path, "rb") as handle:
                head = handle.read(_HEAD_BYTES).decode("utf-8", "replace")
        except OSError:
            return None
        return {name: html.unescape(value) for name, value in _META.findall(head)}

    def _by_link(self) -> dict[str, tuple[Published, str]]:
        if self._feed is None:
            from lxml import etree  # only when a document the state does not know needs it

            self._feed = {}
            try:
                root = etree.parse(str(self.atom), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
            except (OSError, etree.XMLSyntaxError):
                return self._feed
            for entry in root.iter(f"{ATOM}entry"):
                link = next((el.get("href") for el in entry.iter(f"{ATOM}link")
                             if el.get("rel", "alternate") == "alternate"), None)
                item_id = entry.findtext(f"{ATOM}id")
                try:
                    updated = datetime.fromisoformat(entry.findtext(f"{ATOM}updated") or "")
                    published = datetime.fromisoformat(entry.findtext(f"{ATOM}published") or "") \
                        if entry.find(f"{ATOM}published") is not None else updated
                except ValueError:
                    continue
                if link and item_id:
                    self._feed.setdefault(link, (Published(item_id, published, updated), entry.findtext(f"{ATOM}title") or ""))
        return self._feed


def published_feed_id(atom: Path) -> str | None:
    """The feed id the published Atom feed carries, so a lost state does not make the feed a new one."""
    from lxml import etree

    try:
        for _event, element in etree.iterparse(str(atom), tag=f"{ATOM}id", resolve_entities=False, no_network=True):
            return (element.text or "").strip() or None
    except (OSError, etree.XMLSyntaxError):
        return None
    return None
