"""Title: candidates from JSON-LD, Open Graph, Twitter, <h1> and <title>, site names stripped, chosen by
agreement."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from .meta import PageMeta, ld_text

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


def extract_title(pm: PageMeta, url: str | None) -> tuple[str, str]:
    """(title, rule)."""
    sites = site_names(pm, url)
    cands: list[tuple[str, str]] = []
    for obj in pm.articles():
        value = ld_text(obj.data.get("headline")) or ld_text(obj.data.get("name"))
        if value:
            cands.append(("json-ld headline", value))
            break
    for key in ("og:title", "twitter:title"):
        value = pm.meta(key)
        if value:
            cands.append((key, value))
    if pm.h1:
        cands.append(("h1", pm.h1[0]))
    if pm.title_tag:
        cands.append(("<title>", pm.title_tag))
    if not cands:
        return "", "none"
    cleaned = [(rule, strip_site(value, sites)) for rule, value in cands]
    normed = [norm(v) for _, v in cleaned]
    # 1. the <title> (site name stripped) when another source agrees with it
    by_rule = {rule: (value, n) for (rule, value), n in zip(cleaned, normed, strict=True)}
    if "<title>" in by_rule:
        tv, tn = by_rule["<title>"]
        agree = [r for r, (_, n) in by_rule.items() if r != "<title>" and n == tn]
        if agree:
            return tv, f"<title> (site name stripped, agrees with {', '.join(agree)})"
    # 2. two other sources agreeing
    for i, (rule, value) in enumerate(cleaned):
        agree = [cleaned[j][0] for j in range(len(cleaned)) if j != i and normed[j] == normed[i] and normed[i]]
        if agree:
            return value, f"{rule} (agrees with {', '.join(agree)})"
    # 3. the <title> without the site name, else the first candidate
    if "<title>" in by_rule and by_rule["<title>"][1]:
        return by_rule["<title>"][0], "<title> (site name stripped)"
    return cleaned[0][1], cleaned[0][0]
