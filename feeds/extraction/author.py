"""Author: JSON-LD author names, meta tags, rel=author links, itemprop=author and byline elements; names of
organisations and the site are left out."""

from __future__ import annotations

import re

from .meta import PageMeta, ld_text, text_of
from .title import norm, site_names

_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website", "brand", "localbusiness",
              "educationalorganization", "govermentorganization", "governmentorganization", "ngo"}
_BY = re.compile(r"^\s*(?:(?:written|posted|published|reviewed|words|text|story|report(?:ed)?|photos?)\s+)?"
                 r"(?:by|from|von|par|por|di|door|av|af)\s*:?\s+", re.I)
_BAD = re.compile(r"https?://|www\.|@|\b(admin|administrator|staff|editor(ial)? team|team|guest|anonymous|"
                  r"unknown|user|webmaster|redac(tion|ción))\b", re.I)
_DATEISH = re.compile(r"\b(\d{1,2}[:/.]\d{1,2}|\d{4}|jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|"
                      r"aug(ust)?|sep(tember)?|oct(ober)?|nov(ember)?|dec(ember)?|updated|published|min read)\b",
                      re.I)


def clean_name(text: str | None) -> str | None:
    if not text:
        return None
    text = " ".join(text.split())
    text = _BY.sub("", text).strip(" ,;:|-–—·•")
    if not text or len(text) > 100 or not re.search(r"[^\W\d_]", text):
        return None
    if text.startswith(("http://", "https://", "/")):
        return None
    return text


def _ld_authors(pm: PageMeta, sites) -> list[str]:
    for obj in pm.articles():
        value = obj.data.get("author") or obj.data.get("creator")
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        names = []
        for item in items:
            if isinstance(item, dict):
                types = {t.lower() for t in ([item.get("@type")] if isinstance(item.get("@type"), str)
                                             else item.get("@type") or []) if isinstance(t, str)}
                if types & _ORG_TYPES:
                    continue
                name = ld_text(item.get("name"))
                if not name and item.get("givenName"):
                    name = f"{ld_text(item.get('givenName'))} {ld_text(item.get('familyName')) or ''}"
            else:
                name = ld_text(item)
            name = clean_name(name)
            if name and not _is_site(name, sites):
                names.append(name)
        if names:
            return list(dict.fromkeys(names))
    return []


def _is_site(name: str, sites) -> bool:
    n = norm(name)
    return any(n == s or "".join(n) == "".join(s) for s in sites)


def _dom_authors(root) -> tuple[list[str], str]:
    for xpath, rule in (
        ('//*[@itemprop="author"]//*[@itemprop="name"]', "itemprop author name"),
        ('//*[@itemprop="author"]', "itemprop author"),
        ('//a[contains(concat(" ", normalize-space(@rel), " "), " author ")]', "rel=author"),
        ('//*[contains(@class, "byline") or contains(@class, "author-name") or contains(@class, "authorName")'
         ' or contains(@class, "author_name")]', "byline class"),
    ):
        names = []
        for el in root.xpath(xpath)[:5]:
            if el.tag in ("meta", "link"):
                value = el.get("content")
            else:
                value = text_of(el)
            name = clean_name(value)
            if name and len(name) <= 60 and not _DATEISH.search(name):
                names.append(name)
        if names:
            return list(dict.fromkeys(names))[:3], rule
    return [], ""


def extract_author(pm: PageMeta, root, url: str | None) -> tuple[str | None, str]:
    sites = site_names(pm, url)
    names = _ld_authors(pm, sites)
    if names:
        return ", ".join(names), "json-ld author"
    for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator",
                "citation_author", "byl", "twitter:data1"):
        value = pm.meta(key)
        if key == "twitter:data1" and (pm.meta("twitter:label1") or "").lower() not in ("written by", "author"):
            continue
        name = clean_name(value)
        if name and not _BAD.search(name) and not _is_site(name, sites):
            return name, f"meta {key}"
    names, rule = _dom_authors(root)
    names = [n for n in names if not _is_site(n, sites) and not _BAD.search(n)]
    if names:
        return ", ".join(names), rule
    return None, ""
