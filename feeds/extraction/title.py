"""Title: candidates from JSON-LD, Open Graph, Twitter, <h1> and <title>, site names stripped, chosen by
agreement."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from .meta import PageMeta, ld_text
from .tuning import DEFAULT, Tuning

_SEPARATORS = re.compile(r"\s+(?:\||-|–|—|·|•|::|»|«|›|‹|~|/|\\|:)\s+|\s*(?:\||·|•|»|«|›|‹)\s*")
_WORD = re.compile(r"\w+")
_SITE_TYPES = {"website", "organization", "newsmediaorganization", "corporation", "localbusiness", "onlinestore",
               "store", "brand"}


def norm(text: str | None) -> tuple[str, ...]:
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text or "").casefold()))


def site_names(pm: PageMeta, url: str | None) -> list[tuple[str, ...]]:
    names: list[str] = []
    for key in ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site", "publisher",
                "al:ios:app_name", "al:android:app_name"):
        for value in pm.metas.get(key, ()):
            names.append(value.lstrip("@"))
    for obj in pm.jsonld:
        if obj.types & _SITE_TYPES:
            for key in ("name", "alternateName"):
                value = ld_text(obj.data.get(key))
                if value:
                    names.append(value)
        publisher = obj.data.get("publisher")
        if isinstance(publisher, dict | list):
            value = ld_text(publisher)
            if value:
                names.append(value)
    host = urlsplit(url or "").hostname or ""
    if host:
        labels = host.split(".")
        if labels[0] in ("www", "m", "blog", "en", "amp", "news", "shop", "store", "docs") and len(labels) > 2:
            labels = labels[1:]
        names.append(".".join(labels))
        names.append(labels[0])
    out = [n for n in (norm(x) for x in names) if n]
    return list(dict.fromkeys(out))


def _is_site(part: tuple[str, ...], sites: list[tuple[str, ...]]) -> bool:
    if not part:
        return True
    joined = "".join(part)
    for site in sites:
        site_joined = "".join(site)
        if part == site or joined == site_joined:
            return True
        if len(joined) >= 3 and (site_joined.startswith(joined) or joined.startswith(site_joined)) \
                and min(len(joined), len(site_joined)) / max(len(joined), len(site_joined)) > 0.6:
            return True
    return False


def split_parts(text: str) -> list[str]:
    return [p.strip() for p in _SEPARATORS.split(text) if p and p.strip()]


def strip_site(text: str, sites: list[tuple[str, ...]]) -> str:
    """``text`` without leading/trailing parts that name the site."""
    parts = split_parts(text)
    if len(parts) < 2:
        return text.strip()
    # keep the text between the first and last non-site parts, with the original separators
    keep = [i for i, p in enumerate(parts) if not _is_site(norm(p), sites)]
    if not keep:
        return text.strip()
    if len(keep) == len(parts):
        return text.strip()
    first, last = parts[keep[0]], parts[keep[-1]]
    start = text.find(first)
    end = text.rfind(last) + len(last)
    if start < 0 or end <= start:
        return " ".join(parts[i] for i in keep)
    return text[start:end].strip(" -|–—:·•")


_ARTICLE_LD = {"article", "newsarticle", "blogposting", "reportagenewsarticle", "techarticle", "analysisnewsarticle",
               "opinionnewsarticle", "discussionforumposting", "socialmediaposting", "scholarlyarticle",
               "liveblogposting"}
_ARCHIVES = re.compile(r"\s+(archives?|archiv)$", re.I)


def looks_like_article(pm: PageMeta) -> bool:
    """Open Graph type article, a JSON-LD article/posting or an article:published_time."""
    if (pm.meta("og:type") or "").lower() == "article" or pm.meta("article:published_time"):
        return True
    return any(o.types & _ARTICLE_LD for o in pm.jsonld)


#: What an <h1> may add to the title proper: a date ("Dec 18 2025"), a byline ("Posted on ... by"), a label
#: ("Blog:").
_EXTRA = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|"
                    r"\d{4}-\d\d-\d\d|(?<![\w-])(?:posted|updated|published|by)(?![\w-])|^\s*[^\W\d_][\w ]{0,20}:\s*$",
                    re.I)


def _inside(small: tuple[str, ...], big: tuple[str, ...]) -> bool:
    """``small`` (3 words or more) is a contiguous part of ``big`` and shorter."""
    n = len(small)
    return 3 <= n < len(big) and any(big[i:i + n] == small for i in range(len(big) - n + 1))


def extract_title(pm: PageMeta, url: str | None, tuning: Tuning = DEFAULT) -> tuple[str, str]:
    """(title, rule).

    The <h1> wins when another source agrees with it (a part of the <title>, og:title or the JSON-LD
    headline without the site name), and on article pages; otherwise a <title> part that og:title repeats,
    an <h1> found inside the <title>, the first <title> part that is not the site name.
    """
    sites = site_names(pm, url)
    title = _ARCHIVES.sub("", pm.title_tag or "")
    parts = [_ARCHIVES.sub("", p) for p in split_parts(title)]
    nonsite = [p for p in parts if not _is_site(norm(p), sites)] or parts
    h1s = [h for h in pm.h1 if norm(h) and not _is_site(norm(h), sites)]
    if tuning.title_h1_strip:  # "Thread title - Site Forum" in the <h1> itself
        h1s = [strip_site(h, sites) for h in h1s]
    h1 = h1s[0] if h1s else None
    og = pm.meta("og:title") or pm.meta("twitter:title") or ""
    og_clean = _ARCHIVES.sub("", strip_site(og, sites)) if og else ""
    headline = None
    for obj in pm.articles():
        headline = ld_text(obj.data.get("headline"))
        if headline:
            break
    stripped = norm(strip_site(title, sites))
    others = {"<title>": stripped, "og:title": norm(og_clean), "json-ld headline": norm(headline)}
    part_norms = [norm(p) for p in parts]
    last_only = None
    for h in h1s[:3]:
        nh = norm(h)
        agree = [k for k, v in others.items() if v and v == nh]
        if not agree and nh in part_norms:
            if tuning.title_last_part and len(parts) > 1 and nh == part_norms[-1] and nh not in part_norms[:-1]:
                last_only = last_only or h
                continue
            agree = ["a <title> part"]
        if agree:
            return h, f"h1 (agrees with {', '.join(agree)})"
    if last_only:  # the site or book name: the rules below choose among the other candidates
        h1s = [h for h in h1s if h != last_only]
        h1 = h1s[0] if h1s else None
    if h1 and len(norm(h1)) <= 30 and looks_like_article(pm):
        if tuning.title_contained:
            for value, name in ((og_clean, "og:title"), (strip_site(title, sites), "<title>"), (headline, "json-ld")):
                if value and _inside(norm(value), norm(h1)) and value in h1 and _EXTRA.search(h1.replace(value, "", 1)):
                    return value, f"{name} (inside the <h1>, which adds a date, byline or label)"
        return h1, "h1 (article page)"
    if og_clean and norm(og_clean) in part_norms:
        return og_clean, "og:title (agrees with a <title> part)"
    if h1 and len(norm(h1)) >= 2 and " ".join(norm(h1)) in " ".join(norm(title)):
        return h1, "h1 (inside <title>)"
    if nonsite and norm(nonsite[0]):
        rule = "<title> (site name stripped)" if len(parts) > 1 else "<title>"
        return nonsite[0], rule
    for value, rule in ((h1, "h1"), (og_clean, "og:title"), (headline, "json-ld headline")):
        if value:
            return value, rule
    return "", "none"
