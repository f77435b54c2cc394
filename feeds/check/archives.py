"""Follow every RFC 5005 chain a feed publishes and report what a reader walking it would trip over.

From ``rss.xml`` and ``atom.xml`` the chain runs through ``prev-archive`` links; from ``feed.json`` through
``next_url``. Each archive document is linted like a subscription document (its self link must be its own
address) and must also be what it claims: an archive (``<fh:archive/>`` in RSS and Atom) whose ``current`` link
is the subscription document and whose ``next-archive`` link points back at the document the walk came from.
Reported as errors:

- **broken links**: a link to a file that does not exist, or to an address outside the feed's folder;
- **gaps**: archive documents in ``archive/`` that the chain never reaches (a missing or wrong ``prev-archive``),
  a ``next-archive`` that does not point back, a loop;
- **duplicates**: an id in two archive documents, or in an archive and the subscription document.
"""

from __future__ import annotations

import json
from pathlib import Path

from lxml import etree

from ..render.base import ARCHIVE_DIR, archive_page
from .lint import lint
from .rules import Problem

ATOM = "{http://www.w3.org/2005/Atom}"
FH_ARCHIVE = "{http://purl.org/syndication/history/1.0}archive"


def _links(kind: str, data: bytes) -> tuple[dict[str, str], bool]:
    """The paging links of one document (rel -> href) and whether it says it is an archive."""
    if kind == "json":
        try:
            feed = json.loads(data)
        except ValueError:
            return {}, False
        return ({"prev-archive": feed["next_url"]} if isinstance(feed, dict) and isinstance(feed.get("next_url"), str)
                else {}), True
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return {}, False
    parent = root.find("channel") if kind == "rss" else root
    if parent is None:
        return {}, False
    links = {el.get("rel", ""): el.get("href", "") for el in parent.findall(f"{ATOM}link")}
    return links, parent.find(FH_ARCHIVE) is not None


def check_chain(folder: Path, base_url: str, file_name: str, kind: str, show: str, current_ids: set[str]
                ) -> list[Problem]:
    """Walk the archive chain that starts at the subscription document ``file_name`` (already linted)."""
    problems: list[Problem] = []
    current_url = base_url + file_name
    try:
        links, _ = _links(kind, (folder / file_name).read_bytes())
    except OSError:
        return problems
    seen_ids = {i: file_name for i in current_ids}
    visited: set[str] = set()
    came_from, here = current_url, links.get("prev-archive")
    shown_from = show
    while here:
        if not here.startswith(base_url):
            problems.append(Problem("error", shown_from, f"archive link {here!r} points outside the feed ({base_url})"))
            break
        rel = here[len(base_url):]
        shown = str(Path(show).parent / rel) if Path(show).parent != Path(".") else rel
        if rel in visited:
            problems.append(Problem("error", shown_from, f"archive chain loops back to {rel}"))
            break
        visited.add(rel)
        try:
            data = (folder / rel).read_bytes()
        except OSError:
            problems.append(Problem("error", shown_from, f"broken archive link: {here} (no {rel}); run seedfeed build"))
            break
        linted = lint(kind, data, shown, here)
        problems += linted.problems
        links, is_archive = _links(kind, data)
        if kind != "json":
            if not is_archive:
                problems.append(Problem("error", shown, "is linked as an archive but has no <fh:archive/> (RFC 5005)"))
            if links.get("current") != current_url:
                problems.append(Problem("error", shown, f"current link {links.get('current')!r} is not {current_url}"))
            if came_from != current_url and links.get("next-archive") != came_from:
                problems.append(Problem("error", shown, f"next-archive {links.get('next-archive')!r} does not point "
                                        f"back to {came_from} (a gap in the chain)"))
        for seen in linted.items or []:
            if seen.id in seen_ids:
                problems.append(Problem("error", shown, f"duplicate: also in {seen_ids[seen.id]}", seen.id))
            seen_ids.setdefault(seen.id, rel)
        came_from, here, shown_from = here, links.get("prev-archive"), shown
    problems += _unreached(folder, file_name, visited, show)
    return problems


def _unreached(folder: Path, file_name: str, visited: set[str], show: str) -> list[Problem]:
    archive = folder / ARCHIVE_DIR
    if not archive.is_dir():
        return []
    found = sorted(f"{ARCHIVE_DIR}/{p.name}" for p in archive.iterdir()
                   if (page := archive_page(f"{ARCHIVE_DIR}/{p.name}")) and page[0] == file_name)
    return [Problem("error", show, f"{rel} is not reachable through the archive chain (a gap: a missing or wrong "
                    "prev-archive link); run seedfeed build") for rel in found if rel not in visited]
