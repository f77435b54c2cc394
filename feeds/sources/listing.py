"""Find the article links on a listing page (a blog index, a news section, a "latest posts" page).

With a CSS selector the answer is exact: the links in (or being) the matching elements, in page order.

Without one, every same-site link is scored, and links scoring :data:`THRESHOLD` or more are returned:

* excluded outright: links inside ``nav``/``aside``/``form`` (or ARIA navigation/complementary/search),
  inside a page-level ``header``/``footer`` or an element whose class/id says header/footer/masthead (a
  header *inside* an ``<article>`` is where titles live, so those are kept), inside elements whose class/id
  says navigation, menu, sidebar, breadcrumb, pagination, share, comments, related, widget or cookie;
  links to other sites; the page itself and the site root; tag, category, author, pagination, login, feed,
  search and similar pages; files (images, PDFs, feeds, scripts ...);
* points for: being inside ``<article>`` (+2) or ``<main>`` (+1); being in or wrapping a heading (+3);
  ``rel="bookmark"`` (+3); a date in the path (``/2024/05/``, ``2024-05-12``) (+3); a slug-like last path
  segment (``my-post-title`` +2, ``two-words`` +1); a long numeric id (+1); a path at least two segments
  deep (+1); a ``.html`` page (+1); link text of four or more words (+2) or two or three (+1).

A page usually links each article several times (image, title, "read more"): links are de-duplicated by
:func:`seedfeed.urls.normalize_url`, keep the position of the first and the best score of all. Same site means
the same host, ignoring a leading ``www.``. The URLs returned are absolute, without fragment, otherwise as
written on the page (fetch those; use ``normalize_url`` for identity).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit, urlunsplit

from ..urls import normalize_url

if TYPE_CHECKING:  # bs4 is imported lazily, inside the function
    from bs4 import Tag

THRESHOLD = 4

_EXCLUDED_TAGS = frozenset({"nav", "aside", "form", "menu"})
_PAGE_CHROME = frozenset({"header", "footer"})
_EXCLUDED_ROLES = frozenset({"navigation", "complementary", "search", "banner", "contentinfo", "menu", "menubar"})
_EXCLUDED_TOKENS = frozenset({
    "nav", "navbar", "navigation", "menu", "submenu", "sidebar", "breadcrumb", "breadcrumbs",
    "pagination", "pager", "share", "sharing", "social", "comments", "comment", "cookie", "cookies", "skip",
    "related", "widget", "subscribe", "newsletter", "tags", "tagcloud", "categories",
})
_CHROME_TOKENS = frozenset({"header", "footer", "masthead", "topbar", "banner"})   # fine inside an <article>
_NEUTRAL_CONTAINERS = frozenset({"html", "body", "main", "article"})
_EXCLUDED_SEGMENTS = frozenset({
    "tag", "tags", "category", "categories", "author", "authors", "page", "login", "logout", "signin",
    "sign-in", "signup", "sign-up", "register", "feed", "feeds", "rss", "atom", "search", "cart", "checkout",
    "account", "subscribe", "wp-admin", "wp-login.php", "cdn-cgi", "comments", "share", "user", "users",
    "profile", "privacy", "privacy-policy", "terms", "terms-of-service", "about", "contact", "newsletter",
    "topics", "topic", "label", "labels", "archive", "archives", "sitemap", "wp-json", "xmlrpc.php",
})
_EXCLUDED_QUERY = frozenset({"page", "paged", "replytocom", "share", "action", "s", "q", "lang", "sort"})
_ASSET = re.compile(
    r"\.(?:jpe?g|png|gif|webp|avif|svg|ico|bmp|tiff?|css|js|mjs|map|pdf|zip|gz|tgz|bz2|xz|7z|rar|mp3|m4a|ogg|"
    r"wav|flac|mp4|m4v|webm|mov|avi|mkv|xml|rss|atom|json|txt|csv|woff2?|ttf|otf|eot|epub|mobi|docx?|xlsx?|"
    r"pptx?|odt|exe|dmg|apk|msi|deb|rpm|iso)$", re.I)
_DATE_IN_PATH = re.compile(r"/(?:19|20)\d\d(?:/(?:0?[1-9]|1[0-2])(?:/|$)|-(?:0[1-9]|1[0-2])-\d\d)")
_TOKEN_SPLIT = re.compile(r"[\s_\-]+")
_PAGE_TAIL = re.compile(r"/page/\d+/?$|/p\d+/?$", re.I)


def _soup(html: str):  # type: ignore[no-untyped-def]
    from bs4 import BeautifulSoup, FeatureNotFound

    try:
        return BeautifulSoup(html, "lxml")
    except FeatureNotFound:   # pragma: no cover - lxml is a dependency
        return BeautifulSoup(html, "html.parser")


def _absolute(href: str, base: str) -> str | None:
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urljoin(base, href)
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError when out of range; one such link must not sink the listing
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


def _site(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port if parts.port not in (80, 443) else None
    return host.removeprefix("www."), port


def _dedupe(urls: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for url in urls:
        try:
            key = normalize_url(url)
        except ValueError:
            continue
        if key not in seen:
            seen.add(key)
            out.append(url)
    return out


def _excluded_by_context(a: Tag) -> bool:
    ancestors = list(a.parents)
    names = [p.name for p in ancestors]
    article_at = names.index("article") if "article" in names else -1
    for i, parent in enumerate(ancestors):
        name = parent.name
        if name in _EXCLUDED_TAGS:
            return True
        if name in _PAGE_CHROME and article_at < i:
            return True   # a page header/footer; a header inside an <article> is where its title is
        if name in _NEUTRAL_CONTAINERS or name is None or name == "[document]":
            continue
        role = (parent.get("role") or "").strip().lower()
        if role in _EXCLUDED_ROLES:
            return True
        classes = parent.get("class") or []
        tokens = {t for value in [*classes, parent.get("id") or ""] for t in _TOKEN_SPLIT.split(value.lower())}
        if tokens & _EXCLUDED_TOKENS or (tokens & _CHROME_TOKENS and article_at < i):
            return True
    return False


def _excluded_by_url(url: str) -> bool:
    parts = urlsplit(url)
    path = parts.path
    if _ASSET.search(path) or _PAGE_TAIL.search(path):
        return True
    segments = [s.lower() for s in path.split("/") if s]
    if any(s in _EXCLUDED_SEGMENTS for s in segments):
        return True
    names = {p.partition("=")[0].lower() for p in parts.query.split("&") if p}
    return bool(names & _EXCLUDED_QUERY)


def _score(a: Tag, url: str) -> int:
    score = 0
    ancestors = list(a.parents)
    names = {p.name for p in ancestors}
    if "article" in names:
        score += 2
    if "main" in names or any((p.get("role") or "") == "main" for p in ancestors if p.name):
        score += 1
    if names & {"h1", "h2", "h3", "h4", "h5", "h6"} or a.find(re.compile(r"^h[1-6]$")) is not None:
        score += 3
    rel = a.get("rel") or []
    if "bookmark" in [r.lower() for r in rel]:
        score += 3
    path = urlsplit(url).path
    if _DATE_IN_PATH.search(path):
        score += 3
    segments = [s for s in path.split("/") if s]
    last = segments[-1] if segments else ""
    stem = re.sub(r"\.(?:html?|php|aspx?)$", "", last, flags=re.I)
    words = [w for w in re.split(r"[-_+]|%20", stem) if w]
    if len(words) >= 3:
        score += 2
    elif len(words) == 2:
        score += 1
    if re.search(r"\d{4,}", stem):
        score += 1
    if len(segments) >= 2:
        score += 1
    if stem != last and len(stem) > 3:
        score += 1
    text = " ".join(a.get_text(" ", strip=True).split())
    n_words = len(text.split())
    if n_words >= 4 or len(text) >= 25:
        score += 2
    elif n_words >= 2:
        score += 1
    return score


def find_article_links(html: str, base_url: str, selector: str | None = None) -> list[str]:
    """Absolute URLs of the articles ``html`` (a listing page at ``base_url``) links to, in page order.

    ``selector`` (CSS) picks the links exactly; a bad selector is a ``ValueError`` saying so.
    """
    soup = _soup(html)
    base = base_url
    base_tag = soup.find("base", href=True)
    if base_tag is not None:
        base = urljoin(base_url, str(base_tag["href"]).strip())

    if selector:
        try:
            elements = soup.select(selector)
        except Exception as e:   # soupsieve raises its own SelectorSyntaxError (a ValueError) and others
            raise ValueError(f"invalid CSS selector {selector!r}: {e}") from e
        found: list[str] = []
        for element in elements:
            anchors = [element] if element.name == "a" else element.find_all("a", href=True)
            for a in anchors:
                url = _absolute(str(a.get("href") or ""), base)
                if url and not _ASSET.search(urlsplit(url).path):
                    found.append(url)
        return _dedupe(found)

    site = _site(base_url)
    try:
        page_key = normalize_url(base_url)
        root_key = normalize_url(urljoin(base_url, "/"))
    except ValueError:
        page_key = root_key = ""
    best: dict[str, tuple[int, int, str]] = {}     # key -> (first position, best score, url)
    for position, a in enumerate(soup.find_all("a", href=True)):
        url = _absolute(str(a["href"]), base)
        if url is None or _site(url) != site:
            continue
        try:
            key = normalize_url(url)
        except ValueError:
            continue
        if key in (page_key, root_key) or _excluded_by_url(url) or _excluded_by_context(a):
            continue
        score = _score(a, url)
        if key in best:
            first, old, kept = best[key]
            best[key] = (first, max(old, score), kept)
        else:
            best[key] = (position, score, url)
    return [url for _pos, score, url in sorted(best.values()) if score >= THRESHOLD]
