"""Links in seed documents that point next to them: local files and other seed documents.

A Markdown seed linking ``img/ferry-map.png`` or ``timetable.html`` means the files beside it. Published as they
were, those links resolved against the item page (``.../items/img/ferry-map.png``): 404 in every reader. Here,
after extraction, each relative link in a seed's sanitized body is rewritten:

- to another seed document: a ``seedfeed:doc/<key>`` marker, which rendering turns into that document's item
  page (its slug is only known once the state has it: :func:`seedfeed.render.base.body_html`);
- to any other file under the seed folder: ``../files/<path>``, relative to the item page, and the file is
  published at ``<feed output>/files/<path>`` (:func:`publish_files`, through :func:`seedfeed.publish.sync_files`).

Nothing outside the seed folder is published, nor hidden files, nor anything reached through a symlink that
leaves the folder; a file over ``max_bytes`` is reported and not published. Root-relative links (``/docs/``) are
left for rendering, which resolves them against the feed's site link.
"""

from __future__ import annotations

import html
import logging
import os
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from ..publish import sync_files
from ..render.base import DOC_MARKER, FILES_DIR
from .walk import KINDS, ignore_reason

_URL_ATTR = re.compile(r'\b(href|src)="([^"]*)"')
log = logging.getLogger(__name__)


def rewrite_local_links(body: str, key: str, root: str, prefix: str, max_bytes: int
                        ) -> tuple[str, tuple[str, ...], list[str]]:
    """``(body, files, problems)``: ``body`` with links to local files and seeds rewritten, the files it needs
    published (paths relative to the feed's ``files/``), and what is wrong with the others.

    ``key`` is the document's key, ``root`` its seed folder, ``prefix`` the folder's name + "/" when a feed has
    several seed folders (keys and published paths carry it), else "".
    """
    if "=\"" not in body:
        return body, (), []
    here = posixpath.dirname(key[len(prefix):])
    files: dict[str, None] = {}
    problems: list[str] = []

    done: dict[str, str] = {}   # a huge document may link one file thousands of times: look at it once

    def rewrite(match: re.Match[str]) -> str:
        attr, raw = match.group(1), match.group(2)
        if raw not in done:
            done[raw] = resolve(raw)
        return f'{attr}="{done[raw]}"'

    def resolve(raw: str) -> str:
        url = html.unescape(raw)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or url.startswith(("/", "#", "?")) or not parts.path:
            return raw
        rel = posixpath.normpath(posixpath.join(here, unquote(parts.path)))
        if rel == ".." or rel.startswith("../") or rel == ".":
            problems.append(f"links to {url!r}, outside the seed folder; it is not published")
            return raw
        tail = (f"?{parts.query}" if parts.query else "") + (f"#{parts.fragment}" if parts.fragment else "")
        name = posixpath.basename(rel)
        path = os.path.join(root, *rel.split("/"))
        is_doc = posixpath.splitext(name)[1].lower() in KINDS and ignore_reason(name) is None
        if is_doc and os.path.isfile(path):
            target = DOC_MARKER + quote(prefix + rel) + (f"#{parts.fragment}" if parts.fragment else "")
            return html.escape(target)
        reason = file_problem(root, rel, max_bytes)
        if reason:
            problems.append(f"links to {url!r}, which {reason}; it is not published")
        else:
            files[prefix + rel] = None
        return html.escape("../" + FILES_DIR + "/" + quote(prefix + rel) + tail)

    return _URL_ATTR.sub(rewrite, body), tuple(files), problems


def file_problem(root: str, rel: str, max_bytes: int | None = None) -> str | None:
    """Why the file ``rel`` under seed folder ``root`` may not be published, or ``None`` when it may."""
    if any(part.startswith(".") for part in rel.split("/")):
        return "is a hidden file"
    path = os.path.join(root, *rel.split("/"))
    real_root = os.path.realpath(root)
    real = os.path.realpath(path)
    if os.path.commonpath([real_root, real]) != real_root:
        return "is a symlink out of the seed folder"
    try:
        st = os.stat(real)
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not os.path.isfile(real):
        return "is not a file"
    if max_bytes is not None and st.st_size > max_bytes:
        return f"is too large ({st.st_size:,} bytes, the cap is {max_bytes:,}; raise max_bytes to publish it)"
    return None


def local_files(wanted: set[str], roots: dict[str, str], max_bytes: int) -> tuple[dict[str, str], list[str]]:
    """``({published path: source file}, problems)`` for the files the feed's documents link to.

    ``roots`` maps each prefix ("" or "<folder name>/") to its seed folder. Checked again here, at copy time: a
    file may have grown, or a link been swapped for a symlink, since the document was read."""
    found: dict[str, str] = {}
    problems: list[str] = []
    for path in sorted(wanted):
        prefix = next((p for p in sorted(roots, key=len, reverse=True) if path.startswith(p)), None)
        if prefix is None:
            continue
        root, rel = roots[prefix], path[len(prefix):]
        reason = file_problem(root, rel, max_bytes)
        if reason is None:
            found[path] = os.path.join(root, *rel.split("/"))
        else:   # reported when the document was read; `seedfeed check` reports the broken link
            problems.append(f"{os.path.join(root, rel)}: {reason}")
    return found, problems


def publish_files(wanted: set[str], seeds: Sequence[Path], max_bytes: int, root: Path) -> int:
    """Publish the local files a feed's documents link to (``wanted``) into ``root`` (its ``files/``), and remove
    those nothing links to any more. Returns how many files were written or removed."""
    roots = {(f"{seed.name}/" if len(seeds) > 1 else ""): str(seed) for seed in seeds}
    files, problems = local_files(wanted, roots, max_bytes)
    if problems:   # reported on stderr when the linking document was read; `check` reports the broken links
        log.info("not published: %s", "; ".join(problems))
    return sync_files(root, files)
