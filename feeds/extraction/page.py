"""Web page extraction: title, summary, main content, dates, author, lead image, canonical URL and language.

Each field comes from general rules over the page's structured data (JSON-LD, Open Graph / Twitter / Dublin
Core meta tags, microdata) and its markup; the main content comes from trafilatura. ``provenance`` records
which rule produced each field. Measured by ``bench/extraction.py``.

This package imports lxml and trafilatura: import it lazily from the CLI.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from ..records import field, record
from .sanitize import NAME_LIMIT, TEXT_LIMIT, http_url, plain_text, title_text
from .tuning import DEFAULT, NAMES, Tuning

__all__ = ["PageData", "Tuning", "extract_page", "extract_variants", "page_to_json"]


@record
class PageData:
    title: str
    summary: str
    body_html: str
    body_text: str
    published: datetime | None
    updated: datetime | None
    author: str | None
    image: str | None
    url: str | None
    language: str | None
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()    # dates the page states but that cannot be read


def _summary(pm, body_text: str) -> tuple[str, str]:
    for key in ("og:description", "description", "twitter:description"):
        value = pm.meta(key)
        if value and len(value) >= 20:
            return plain_text(value, TEXT_LIMIT), f"meta {key}"
    for para in body_text.split("\n\n"):
        para = " ".join(para.split())
        if len(para) >= 60:
            if len(para) > 300:
                cut = para[:300].rsplit(" ", 1)[0]
                para = cut + "…"
            return para, "first body paragraph"
    return "", "none"


def _image(pm, url: str | None) -> tuple[str | None, str]:
    from .meta import ld_text

    for key in ("og:image:secure_url", "og:image", "og:image:url", "twitter:image", "twitter:image:src"):
        value = pm.meta(key)
        image = http_url(value, url or "")
        if image:
            return image, f"meta {key}"
    for obj in pm.articles():
        img = obj.data.get("image") or obj.data.get("thumbnailUrl")
        if isinstance(img, list) and img:
            img = img[0]
        value = img.get("url") or img.get("contentUrl") if isinstance(img, dict) else ld_text(img)
        image = http_url(value, url or "") if isinstance(value, str) else None
        if image:
            return image, "json-ld image"
    return None, "none"


def extract_page(html: str, url: str | None = None, *, default_tz: tzinfo = UTC, tuning: Tuning = DEFAULT) -> PageData:
    """Extract the fields of one web page (``url`` is its address, used for relative links and site names).

    ``tuning`` is for the benchmark only: production code uses the defaults, chosen there by k-fold selection.
    """
    return extract_variants(html, url, [tuning], default_tz=default_tz)[0]


def extract_variants(html: str, url: str | None, tunings: list[Tuning], *, default_tz: tzinfo = UTC
                     ) -> list[PageData]:
    """``extract_page`` under several tunings, parsing the page and running each extractor once
    (``bench/extraction.py --kfold`` scores every candidate on every page this way)."""
    from .author import extract_author
    from .body import HUGE_PAGE, extract_body, mark_images, resolve_lazy_images
    from .dates import extract_dates
    from .meta import collect, looks_like_forum, parse_html
    from .title import extract_title, looks_like_article

    root = parse_html(html or "")
    if root is None:
        return [PageData("", "", "", "", None, None, None, None, url, None, {"body": "empty page"}) for _ in tunings]
    pm = collect(root, url)
    page_url = pm.canonical or url
    base = url or page_url
    resolve_lazy_images(root)
    title_keys = tuple(n for n in NAMES if n.startswith("title_"))
    titles = {t.key(*title_keys): extract_title(pm, url or page_url, t) for t in tunings}
    # each distinct variant of a metadata rule runs once, however many tunings share it
    dates: dict[tuple, tuple] = {}
    date_keys = tuple(n for n in NAMES if n.startswith("date_"))
    for t in tunings:
        if t.key(*date_keys) not in dates:
            dates[t.key(*date_keys)] = extract_dates(pm, root, html, url, default_tz, t)
    author_keys = tuple(n for n in NAMES if n.startswith("author_"))
    authors: dict[tuple, tuple] = {}
    for t in tunings:
        if t.key(*author_keys) not in authors:
            authors[t.key(*author_keys)] = extract_author(pm, root, url or page_url, t)
    forum = looks_like_forum(pm, root)
    images = mark_images(root)  # the tree is not used after this
    product = (pm.meta("og:type") or "").lower().startswith("product") or bool(pm.meta("product:price:amount")) \
        or any(o.depth == 0 and "product" in o.types for o in pm.jsonld)
    article = looks_like_article(pm) and not forum
    image, irule = _image(pm, base)
    memo: dict = {}
    pages = []
    for tuning in tunings:
        title, title_rule = titles[tuning.key(*title_keys)]
        published, prule, updated, urule, unreadable = dates[tuning.key(*date_keys)]
        author, arule = authors[tuning.key(*author_keys)]
        body_html, body_text, brule = extract_body(root, base, article=article, product=product, forum=forum,
                                                   images=images, huge=len(html) > HUGE_PAGE, tuning=tuning, memo=memo,
                                                   html=html)
        summary, srule = _summary(pm, body_text)
        provenance = {"title": title_rule, "summary": srule, "body": brule, "url": "link rel=canonical"
                      if pm.canonical else "given url", "image": irule}
        if published:
            provenance["published"] = prule
        if updated:
            provenance["updated"] = urule
        if author:
            provenance["author"] = arule
        if pm.lang:
            provenance["language"] = "html lang / meta"
        pages.append(PageData(
            title=title_text(title), summary=summary, body_html=body_html, body_text=body_text,
            published=published, updated=updated, author=plain_text(author, NAME_LIMIT) if author else None,
            image=image, url=page_url, language=pm.lang, provenance=provenance,
            warnings=tuple(unreadable),
        ))
    return pages


def page_to_json(page: PageData) -> dict:
    """A JSON-ready dict of ``page`` (datetimes as ISO 8601 strings, offsets as written on the page)."""
    return {
        "title": page.title,
        "summary": page.summary,
        "body_html": page.body_html,
        "body_text": page.body_text,
        "published": page.published.isoformat() if page.published else None,
        "updated": page.updated.isoformat() if page.updated else None,
        "author": page.author,
        "image": page.image,
        "url": page.url,
        "language": page.language,
        "provenance": dict(page.provenance),
    }
