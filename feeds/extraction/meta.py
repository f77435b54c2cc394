"""Parse a page once and collect what the field rules need: meta tags, JSON-LD objects, <title>, <h1>s,
canonical link and language."""

from __future__ import annotations

import html
import json
import re

import lxml.html
from lxml import etree

from ..records import field, record
from .sanitize import http_url, language_tag

_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_TRAILING_COMMA = re.compile(r",\s*([\]}])")

ARTICLE_TYPES = {
    "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle", "opinionnewsarticle",
    "reviewnewsarticle", "backgroundnewsarticle", "techarticle", "scholarlyarticle", "report", "posting",
    "socialmediaposting", "discussionforumposting", "liveblogposting", "medicalwebpage", "review", "recipe",
    "howto", "qapage", "question", "videoobject", "podcastepisode", "creativework", "medicalscholarlyarticle",
    "advertisercontentarticle", "satiricalarticle", "event", "course", "product", "faqpage",
}
PAGE_TYPES = {"webpage", "itempage", "aboutpage", "contactpage", "collectionpage", "searchresultspage",
              "profilepage", "checkoutpage"}


class _Parser(etree.HTMLParser):
    """lxml.html's parser with its element classes picked in C.

    ``lxml.html.HTMLParser`` asks a Python method for the class of every element proxy lxml makes (millions a
    page between our rules, trafilatura and htmldate, which all walk this tree): about 8 % of ``extract_page``'s
    CPU. Every element here is an ``HtmlElement`` (the form, input, select, textarea and label subclasses only
    add form-handling properties that none of them uses); the trees and every extracted field are the same
    (docs/extraction.md, round 8).
    """

    def __init__(self) -> None:
        super().__init__(encoding="utf-8", remove_comments=True)
        self.set_element_class_lookup(etree.ElementDefaultClassLookup(
            element=lxml.html.HtmlElement, comment=lxml.html.HtmlComment, pi=lxml.html.HtmlProcessingInstruction,
            entity=lxml.html.HtmlEntity))


def parse_html(markup: str) -> lxml.html.HtmlElement | None:
    """An lxml tree of the document (None when there is nothing to parse)."""
    markup = _XML_DECL.sub("", markup, count=1)
    if not markup.strip():
        return None
    parser = _Parser()
    try:
        root = lxml.html.document_fromstring(markup.encode("utf-8", "replace"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


_INVISIBLE = {"script", "style", "noscript", "template", "svg"}


def text_of(el) -> str:
    """Visible text of ``el`` (script and style content left out), whitespace collapsed."""
    parts: list[str] = []
    _visible(el, parts)
    return " ".join("".join(parts).split())


def _visible(el, parts: list[str]) -> None:
    if isinstance(el.tag, str) and el.tag not in _INVISIBLE:
        if el.text:
            parts.append(el.text)
        for child in el:
            _visible(child, parts)
            if child.tail:
                parts.append(child.tail)


def _types(obj: dict) -> set[str]:
    t = obj.get("@type")
    if isinstance(t, str):
        return {t.lower().rsplit("/", 1)[-1]}
    if isinstance(t, list):
        return {x.lower().rsplit("/", 1)[-1] for x in t if isinstance(x, str)}
    return set()


@record(frozen=False)
class LDObject:
    data: dict
    types: set[str]
    depth: int


@record(frozen=False)
class PageMeta:
    metas: dict[str, list[str]] = field(default_factory=dict)
    jsonld: list[LDObject] = field(default_factory=list)
    title_tag: str = ""
    h1: list[str] = field(default_factory=list)
    canonical: str | None = None
    lang: str | None = None

    def meta(self, *names: str) -> str | None:
        """First non-empty content among meta tags named (name/property/itemprop) ``names``, in order."""
        for name in names:
            for value in self.metas.get(name, ()):
                if value.strip():
                    return " ".join(value.split())
        return None

    def ld(self, types: set[str] | None = None) -> list[LDObject]:
        """JSON-LD objects, optionally only those of ``types``, shallow ones first."""
        found = [o for o in self.jsonld if types is None or o.types & types]
        return sorted(found, key=lambda o: o.depth)

    def articles(self) -> list[LDObject]:
        return self.ld(ARTICLE_TYPES)


def _walk_ld(obj, depth: int, out: list[LDObject]) -> None:
    if isinstance(obj, list):
        for item in obj:
            _walk_ld(item, depth, out)
        return
    if not isinstance(obj, dict):
        return
    types = _types(obj)
    if types:
        out.append(LDObject(obj, types, depth))
    for key, value in obj.items():
        if key == "@graph":
            _walk_ld(value, depth, out)
        elif isinstance(value, dict | list) and key not in ("author", "publisher", "creator", "itemListElement"):
            _walk_ld(value, depth + 1, out)


def _load_json(raw: str):
    raw = raw.strip()
    if raw.startswith("<!--"):
        raw = raw[4:]
    if raw.endswith("-->"):
        raw = raw[:-3]
    raw = raw.strip().rstrip(";")
    for attempt in (raw, _TRAILING_COMMA.sub(r"\1", _CONTROL.sub(" ", raw))):
        try:
            return json.loads(attempt, strict=False)
        except ValueError:
            continue
    return None


def collect(root, url: str | None) -> PageMeta:
    pm = PageMeta()
    for el in root.iter("meta"):
        content = el.get("content")
        if content is None:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = el.get(attr)
            if key:
                pm.metas.setdefault(key.strip().lower(), []).append(content)
    for el in root.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        data = _load_json(el.text or "")
        if data is not None:
            _walk_ld(data, 0, pm.jsonld)
    title = root.find(".//title")
    if title is not None:
        pm.title_tag = text_of(title)
    if not pm.title_tag:
        svg_free = [t for t in root.iter("title") if t.getparent() is not None and t.getparent().tag != "svg"]
        pm.title_tag = text_of(svg_free[0]) if svg_free else ""
    pm.h1 = [t for t in (text_of(h) for h in root.iter("h1")) if t]
    for link in root.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            pm.canonical = http_url(href, url or "")   # not javascript:, nor anything no parser accepts
            break
    if not pm.canonical:
        og = pm.meta("og:url")
        if og and og.strip().startswith(("http://", "https://", "/")):
            pm.canonical = http_url(og, url or "")
    lang = root.get("lang") or root.get("xml:lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not lang:
        lang = pm.meta("content-language", "og:locale", "language", "dc.language")
    pm.lang = language_tag(lang)
    return pm


def ld_text(value) -> str | None:
    """A plain string out of a JSON-LD value (a string, a {"@value"}, a {"name"} or the first of a list)."""
    if isinstance(value, str):
        return " ".join(html.unescape(value).split()) or None
    if isinstance(value, dict):
        return ld_text(value.get("@value") or value.get("name"))
    if isinstance(value, list) and value:
        return ld_text(value[0])
    return None


_FORUM_SOFTWARE = re.compile(r"\b(discourse|vbulletin|phpbb|xenforo|invision|mybb|smf|simple machines|nodebb|"
                             r"flarum|vanilla|discuz|bbpress)\b", re.I)


_ITEMTYPES = etree.XPath("//@itemtype", smart_strings=False)


def looks_like_forum(pm: PageMeta, root) -> bool:
    """A discussion thread: JSON-LD / microdata DiscussionForumPosting or QAPage, or forum software."""
    if any(o.types & {"discussionforumposting", "qapage"} for o in pm.jsonld):
        return True
    if _FORUM_SOFTWARE.search(pm.meta("generator") or ""):
        return True
    # the itemtype values read in C and searched in Python: a third of the CPU of an XPath predicate on every element
    return any("DiscussionForumPosting" in v or "QAPage" in v for v in _ITEMTYPES(root))
