"""Author: JSON-LD author names (``@id`` references resolved), meta tags, labelled bylines ("Written by"),
trafilatura's author XPaths, itemprop/rel=author and byline elements, then the analytics data layer.

Organisation names are kept: when a page names a company as its author, that is what readers see (measured on
wcxb-dev: leaving them out lost 0.09 of article author matches).
"""

from __future__ import annotations

import re
from itertools import islice

from lxml import etree

from .meta import PageMeta, ld_text, text_of
from .tuning import DEFAULT, Tuning

_BY = re.compile(r"^\s*(?:(?:written|posted|published|reviewed|words|text|story|report(?:ed)?|photos?)\s+)?"
                 r"(?:by|from|von|par|por|di|door|av|af)\s*:?\s+", re.I)
_AUTHOR_WORD = re.compile(r"^\s*(?:about\s+the\s+)?(?:author|authors|autor|auteur|written by|posted by)\b\s*:?\s*",
                          re.I)
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_CUT = re.compile(r"\s*(?:[|•·]|\s-\s|\b(?:last\s+)?(?:updated|published|posted|modified|reviewed)\b|"
                  rf"\b{_MONTH}\.?\s+\d|\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}|\d{{4}}-\d\d-\d\d|"
                  r"\d+\s+min(?:ute)?s?\s+read).*$", re.I)
_ONLY_DATE = re.compile(rf"^(?:{_MONTH}|\d+|on|by|and|the|author|admin|[\W_])(?:\s+|$)", re.I)
_BAD = re.compile(r"https?://|www\.|\S@\S|\b(post time|posted|date|comments?|replies|reply|views)\b|"
                  r"^(admin|administrator|anonymous|unknown|user|webmaster|guest|"
                  r"author|authors|by|share|follow|home|menu|search|login|sign in|read more|view all)$", re.I)
_LABEL = re.compile(r"^\s*(?:written\s+by|author(?:s|\(s\))?|posted\s+by|by|words\s+by|auteur|autor)\s*:?\s*$", re.I)
#: The same, with more "... by" labels ("Article by", "Story by", "Text by").
_LABEL_MORE = re.compile(r"^\s*(?:(?:written|article|story|words|text|posted)\s+by|author(?:s|\(s\))?|by|auteur|autor)"
                         r"\s*:?\s*$", re.I)
_NESTED = re.compile(r"[\"'](?:author|authors|creator)[\"']\s*:\s*\[?\s*\{[^{}]{0,300}?[\"'](?:name|display_name|"
                     r"displayName)[\"']\s*:\s*[\"']([^\"'\\{}<>]{3,60})[\"']")
#: "By Jane Doe" as the whole text of a short element, in the languages of _BY.
_BYLINE = re.compile(r"^\s*(?:by|von|par|por|door|di|av|af|от|przez)\s*:?\s+(\S.{1,60})$", re.I)
#: Paths of user-profile pages (forum software, CMS author pages): the link text is the person.
_PROFILE = ('contains(@href, "/author/") or contains(@href, "/authors/") or contains(@href, "/members/") or '
            'contains(@href, "/member/") or contains(@href, "/u/") or contains(@href, "/user/") or '
            'contains(@href, "/users/") or contains(@href, "/profile/") or contains(@href, "viewprofile") or '
            'contains(@href, "member.php")')
#: The same in escaped JSON inside a script (a framework's state: \\"author\\":{\\"name\\":\\"Jane\\"}).
_NESTED_ESCAPED = re.compile(r"\\?[\"'](?:author|authors|creator)\\?[\"']\s*:\s*\[?\s*\{[^{}]{0,300}?\\?[\"']"
                             r"(?:name|display_name|displayName)\\?[\"']\s*:\s*\\?[\"']([^\"'\\{}<>]{3,60})\\?[\"']")
#: "Written by Jane Doe", "Posted by ...": _BYLINE with the "... by" labels of _BY.
_BYLINE_MORE = re.compile(r"^\s*(?:(?:written|posted|published|reviewed|words|text|story|article)\s+)?"
                          r"(?:by|von|par|por|door|di|av|af|от|przez)\s*:?\s+(\S.{1,60})$", re.I)
_DATALAYER = re.compile(r"[\"'](?:pagePostAuthor|author|authors|authorName|author_name|articleAuthor)[\"']\s*:"
                        r"\s*[\"']([^\"'\\{}<>]{3,60})[\"']")


def clean_name(text: str | None) -> str | None:
    """``text`` without "By"/"Author:" prefixes and trailing dates; None when it is not a plausible name."""
    if not text:
        return None
    text = " ".join(text.split())
    text = _AUTHOR_WORD.sub("", text)
    text = _BY.sub("", text)
    text = _CUT.sub("", text).strip(" ,;:|-–—·•")
    if not text or len(text) > 100 or not re.search(r"[^\W\d_]", text):
        return None
    if text.startswith(("http://", "https://", "/")) or _BAD.search(text):
        return None
    if _ONLY_DATE.fullmatch(text) or re.fullmatch(_MONTH, text, re.I):
        return None
    return text


def _ld_name(item, by_id: dict[str, dict]) -> str | None:
    if isinstance(item, dict):
        if set(item) <= {"@id", "@type"} and item.get("@id") in by_id:
            item = by_id[item["@id"]]
        name = ld_text(item.get("name"))
        if not name and item.get("givenName"):
            name = f"{ld_text(item.get('givenName'))} {ld_text(item.get('familyName')) or ''}".strip()
        return clean_name(name)
    return clean_name(ld_text(item))


_ORG_TYPES = {"organization", "newsmediaorganization", "corporation", "website", "brand", "localbusiness",
              "educationalorganization", "governmentorganization", "ngo", "onlinebusiness", "medicalorganization"}


def _ld_authors(pm: PageMeta) -> tuple[list[str], bool]:
    """(names, whether they are all organisations)."""
    by_id = {o.data["@id"]: o.data for o in pm.jsonld if isinstance(o.data.get("@id"), str)}
    for obj in pm.articles() + pm.ld({"webpage"}):
        value = obj.data.get("author") or obj.data.get("creator")
        if not value:
            continue
        items = value if isinstance(value, list) else [value]
        names, orgs = [], 0
        for item in items:
            name = _ld_name(item, by_id)
            if not name:
                continue
            names.append(name)
            if isinstance(item, dict):
                data = by_id.get(item.get("@id"), item) if set(item) <= {"@id", "@type"} else item
                types = data.get("@type")
                types = {types.lower()} if isinstance(types, str) else {t.lower() for t in types or ()
                                                                          if isinstance(t, str)}
                orgs += bool(types & _ORG_TYPES)
        if names:
            return list(dict.fromkeys(names)), orgs == len(names)
    return [], False


def _labelled(root, more: bool = False) -> str | None:
    """A name right after a label element: <p>Written by</p><p>Jane Doe</p>, <h3>Author</h3><p>Jane</p>."""
    for el in root.xpath('//body//*[not(*) and string-length(normalize-space(text())) < 14]'
                         '[contains(translate(text(), "ABWTRUHOSY", "abwtruhosy"), "by") or '
                         'contains(translate(text(), "ABWTRUHOSY", "abwtruhosy"), "author")]')[:20]:
        if not (_LABEL_MORE if more else _LABEL).match(el.text or ""):
            continue
        nxt = el.getnext()
        candidates = []
        if nxt is not None:
            candidates.append(text_of(nxt))
        elif el.tail and el.tail.strip():
            candidates.append(el.tail)
        elif el.getparent() is not None and el.getparent().getnext() is not None:
            candidates.append(text_of(el.getparent().getnext()))
        for value in candidates:
            name = clean_name(value)
            if name and len(name) <= 60 and len(name.split()) <= 8:
                return name
    return None


def _dom_authors(root, hint: bool = True) -> tuple[list[str], str]:
    if not hint:  # no attribute holds "uthor" or "yline", which each XPath below needs
        return [], ""
    for xpath, rule in (
        ('//*[@itemprop="author"]//*[@itemprop="name"]', "itemprop author name"),
        ('//*[@itemprop="author"]', "itemprop author"),
        ('//a[contains(concat(" ", normalize-space(@rel), " "), " author ")]', "rel=author"),
        ('//*[contains(@class, "byline") or contains(@class, "author-name") or contains(@class, "authorName")'
         ' or contains(@class, "author_name") or contains(@class, "post-author") or contains(@class, "entry-author")]',
         "byline class"),
    ):
        names = []
        for el in root.xpath(xpath)[:5]:
            value = el.get("content") if el.tag in ("meta", "link") else text_of(el)
            name = clean_name(value)
            if name and len(name) <= 60:
                names.append(name)
        if names:
            return list(dict.fromkeys(names))[:3], rule
    return [], ""


# Every element trafilatura's author XPaths (trafilatura.xpaths.AUTHOR_XPATHS) can match has a class, id, rel,
# itemprop, data-testid or data-component value holding one of these strings, or is an <author> element, or has
# a <rel> child (their ``rel='me'``). Those XPaths test class and id with regular expressions called back in
# Python on every element of a deep copy of the page: about 18 ms a page, and on three pages of four that reach
# them they find nothing. This test (the attribute values read in C, one regex over them: about 1.5 ms) is looser
# than they are (substrings, no tag names), and pruning the copy only removes elements, so when it finds nothing
# they would find nothing either, and trafilatura is not called. The XPaths of _dom_authors need "uthor" or
# "yline" in an itemprop, rel or class value too.
_AUTHOR_ATTRS = etree.XPath("//@class|//@id|//@rel|//@itemprop|//@data-testid|//@data-component", smart_strings=False)
_AUTHOR_HINT = re.compile(r"uthor|yline|writer|screenname|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|"
                          r"journalist-name|username|byl|BBL")


def _may_name_author(root) -> bool:
    return bool(_AUTHOR_HINT.search("\n".join(_AUTHOR_ATTRS(root)))) or next(root.iter("author", "rel"), None) \
        is not None


def _trafilatura_author(root, hint: bool = True) -> str | None:
    if not hint:
        return None
    try:
        from trafilatura.metadata import extract_author as traf_author

        found = traf_author(root)
    except Exception:  # noqa: BLE001 - a library failure only loses this rule
        return None
    if not found:
        return None
    names = [n for n in (clean_name(n) for n in found.split(";")) if n]
    return ", ".join(dict.fromkeys(names)) or None


def _data_layer(root) -> str | None:
    for script in root.iter("script"):
        text = script.text or ""
        if "uthor" not in text or "ld+json" in (script.get("type") or ""):
            continue
        m = _DATALAYER.search(text)
        if m:
            name = clean_name(m.group(1))
            if name and not re.search(r"\d{3}|[=;()]", name):
                return name
    return None


def _byline_text(root, more: bool = False) -> str | None:
    """A short element whose whole text is "By Jane Doe" (``more``: or "Written by Jane Doe"), in the page body
    outside navigation and footers."""
    byline = _BYLINE_MORE if more else _BYLINE
    for el in root.xpath('//body//*[self::p or self::span or self::div or self::li or self::a or self::em or '
                         'self::strong or self::small][not(ancestor::nav or ancestor::footer)]'
                         '[string-length(normalize-space(.)) < 70]')[:3000]:
        text = text_of(el)
        m = byline.match(text)
        if m:
            name = clean_name(m.group(1))
            if name and len(name.split()) <= 6:
                return name
    return None


def _profile_link(root) -> str | None:
    """The first link to a user or author profile page in the content (not in navigation, header, footer)."""
    for el in root.xpath(f'//body//a[{_PROFILE}][not(ancestor::nav or ancestor::header or ancestor::footer)]')[:20]:
        name = clean_name(text_of(el))
        if name and len(name) <= 40 and len(name.split()) <= 4:
            return name
    return None


def _nested_json(root, escaped: bool = False) -> str | None:
    for script in root.iter("script"):
        text = script.text or ""
        if "uthor" not in text and "reator" not in text:
            continue
        m = _NESTED.search(text) or (_NESTED_ESCAPED.search(text) if escaped else None)
        if m:
            name = clean_name(m.group(1))
            if name and not re.search(r"\d{3}|[=;()]", name):
                return name
    return None


_GLUED_LABEL = re.compile(r"^\s*(?:written|posted|reviewed|published|words)\s*by(?=[^\W\d_])", re.I)


def _repair(name: str | None, rule: str, root, tuning: Tuning) -> tuple[str | None, str]:
    """Undo two losses of the rules above: a label glued to the name ("Written byJane Doe", from elements
    without a space between them) and the digits trafilatura strips from user names ("member42" -> "member")."""
    if not name:
        return None, ""
    if tuning.author_glued and _GLUED_LABEL.match(name):
        name = _GLUED_LABEL.sub("", name).strip() or name
    if tuning.author_digits and rule == "trafilatura author xpaths" and re.fullmatch(r"[^\W\d]\w{1,30}", name):
        body = root.find(".//body")
        m = re.search(rf"(?<!\w){re.escape(name)}(\d+)(?!\w)", text_of(body) if body is not None else "")
        if m:
            name += m.group(1)
    return name, rule


def _author_class(root) -> str | None:
    """A short, name-like text ("Jane Doe": 2-4 capitalised words) in an element whose class or id says
    "author", outside navigation and footers."""
    body = root.find(".//body")
    found = [el for el in (body.iter() if body is not None else ()) if isinstance(el.tag, str)
             and "author" in f"{el.get('class') or ''} {el.get('id') or ''}".lower()]
    for el in [e for e in found if not any(a.tag in ("nav", "footer") for a in e.iterancestors())][:40]:
        # the element itself, else its first leaves ("<div class=author-box><img><div>Jane Doe</div><p>bio"); at
        # most 200 descendants looked at, and the element's own text only when it is small: a page-wide element
        # (<body class="author-page">) costs no more than a small one
        leaves = [d for d in islice(el.iterdescendants(), 200) if isinstance(d.tag, str) and not len(d)][:10]
        for leaf in ([el] if len(el) <= 3 else []) + leaves:
            text = text_of(leaf)
            if not text or len(text) > 40:
                continue
            name = clean_name(text)
            words = (name or "").split()
            if name and 2 <= len(words) <= 4 and all(w[0].isupper() for w in words):
                return name
    return None


def _as_written(name: str, root) -> str:
    """Several names ("A, B, C") joined as the page text joins them ("A, B and C"), when it does."""
    parts = name.split(", ")
    if len(parts) < 2 or len(parts) > 8:
        return name
    pattern = r"\s*,\s*".join(re.escape(p) for p in parts[:-1]) + r"\s*,?\s+(?:and|&|und|et|y|e)\s+" \
        + re.escape(parts[-1])
    body = root.find(".//body")
    m = re.search(pattern, text_of(body) if body is not None else "")
    return " ".join(m.group(0).split()) if m else name


def _flip(name: str, root) -> str:
    """"Doe, Jane" (citation meta tags) -> "Jane Doe", when the page text writes it so and not the other way."""
    m = re.fullmatch(r"([^,]+),\s*([^,]+)", name)
    if not m or len(name.split()) > 4:
        return name
    flipped = f"{m.group(2).strip()} {m.group(1).strip()}"
    body = root.find(".//body")
    text = text_of(body) if body is not None else ""
    return flipped if flipped in text and name not in text else name


def extract_author(pm: PageMeta, root, url: str | None, tuning: Tuning = DEFAULT) -> tuple[str | None, str]:
    """(author names joined with ", ", rule)."""
    name, rule = _extract_author(pm, root, url, tuning)
    name, rule = _repair(name, rule, root, tuning)
    if name and tuning.author_flip and rule in ("meta citation_author", "meta dc.creator", "meta dcterms.creator"):
        name = _flip(name, root)
    if name and tuning.author_and and ", " in name:
        name = _as_written(name, root)
    return name, rule


def _extract_author(pm: PageMeta, root, url: str | None, tuning: Tuning) -> tuple[str | None, str]:
    names, orgs = _ld_authors(pm)
    if names and not orgs:
        return ", ".join(names), "json-ld author"
    if names:  # an organisation: a person named on the page wins
        name = _labelled(root, tuning.author_label)
        if name:
            return name, "labelled byline (json-ld author is an organisation)"
        people, rule = _dom_authors(root, _may_name_author(root))
        if people:
            return ", ".join(people), f"{rule} (json-ld author is an organisation)"
        return ", ".join(names), "json-ld author (organisation)"
    for key in ("author", "article:author", "parsely-author", "sailthru.author", "dc.creator", "dcterms.creator",
                "citation_author", "byl", "twitter:data1"):
        value = pm.meta(key)
        if key == "twitter:data1" and (pm.meta("twitter:label1") or "").lower() not in ("written by", "author"):
            continue
        name = clean_name(value)
        if name:
            return name, f"meta {key}"
    name = _labelled(root, tuning.author_label)
    if name:
        return name, "labelled byline"
    hint = _may_name_author(root)
    name = _trafilatura_author(root, hint)
    if name:
        return name, "trafilatura author xpaths"
    names, rule = _dom_authors(root, hint)
    if names:
        return ", ".join(names), rule
    name = _data_layer(root)
    if name:
        return name, "analytics data layer"
    for on, rule, func in ((tuning.author_byline, "'By' byline text",
                            lambda r: _byline_text(r, tuning.author_written)),
                           (tuning.author_json, "author object in a script",
                            lambda r: _nested_json(r, tuning.author_escaped)),
                           (tuning.author_profile, "profile link", _profile_link),
                           (tuning.author_class, "author class", _author_class)):
        name = func(root) if on else None
        if name:
            return name, rule
    return None, ""
