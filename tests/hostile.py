"""Hostile-input helpers shared by the hardening tests: the XSS vector corpus, a checker for executable
markup that does not use (or trust) ``seedfeed.extraction.sanitize``, and a checker that every published output parses.

The executable checker parses each HTML fragment twice, with lxml (libxml2) and with html5lib (the WHATWG
algorithm browsers use, so mutation-XSS that only appears after a browser re-parses is seen), and flags:
script-like elements, ``on*`` attributes, URL attributes whose scheme (after entity decoding and the
whitespace/control stripping browsers do) is not a plain link scheme, style with ``expression(`` /
``url(`` / ``javascript:`` / bindings, ``meta http-equiv`` other than our own CSP, and scriptable SVG/MathML.
"""

from __future__ import annotations

import html
import itertools
import json
import re
from pathlib import Path

import feedparser
import html5lib
import lxml.html
from lxml import etree

HOSTILE_DIR = Path(__file__).parent / "data" / "hostile"
ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"

# ------------------------------------------------------------------------------------------------ corpus

_ESCAPE = re.compile(r"\\x\{([0-9a-fA-F]{1,6})\}")


def load_vectors() -> list[tuple[str, str, str]]:
    """``(id, family, vector)`` for every line of ``tests/data/hostile/vectors.txt``.

    Format: ``# family: NAME`` starts a family; every other non-blank line is one vector; ``\\x{HEX}`` is the
    character U+HEX (for tabs, newlines, NULs and other bytes a text file cannot show).
    """
    family, out = "?", []
    for line in (HOSTILE_DIR / "vectors.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("# family:"):
            family = line.split(":", 1)[1].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        vector = _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), line)
        out.append((f"v{len(out) + 1:03d}", family, vector))
    return out


# --------------------------------------------------------------------------------------- executable check

_SCRIPTING_TAGS = {"script", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal",
                   "import", "xml", "xss", "layer", "ilayer", "bgsound", "handler", "listener", "foreignobject",
                   "animate", "set", "animatetransform", "animatemotion"}
_URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "codebase",
              "cite", "dynsrc", "lowsrc", "longdesc", "usemap", "manifest", "ping", "icon", "profile", "archive",
              "classid", "srcdoc", "from", "to", "values", "by", "xml:base", "content"}
_SAFE_SCHEMES = {"http", "https", "mailto", "tel", "ftp", "ftps"}
_STRIP = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]")
_CSS_ESCAPE = re.compile(r"\\([0-9a-fA-F]{1,6})\s?|\\(.)", re.S)
_CSS_BAD = re.compile(r"expression\s*\(|javascript:|vbscript:|url\s*\(|-moz-binding|behavior\s*:|@import", re.I)
# Our pages' own empty icon (`<link rel="icon" href="data:,">`, so browsers ask for no /favicon.ico): an
# empty data: URL in an icon link, which browsers never run. Exactly this value and nothing else is let through.
_OUR_ICON = "data:,"
_OUR_META = {"content-security-policy"}


def _scheme(value: str) -> str | None:
    """The scheme a browser would see in a URL attribute, or None for a relative URL."""
    url = _STRIP.sub("", html.unescape(value))
    head = re.split(r"[/?#]", url, maxsplit=1)[0]
    if ":" not in head:
        return None
    return head.split(":", 1)[0].lower()


def _css(value: str) -> str:
    value = re.sub(r"/\*.*?\*/", "", html.unescape(value), flags=re.S)
    value = _CSS_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2), value)
    return _STRIP.sub("", value)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def _check_element(tag: str, attrs: dict[str, str], text: str, problems: list[str], where: str) -> None:
    if tag in _SCRIPTING_TAGS:
        problems.append(f"{where}: <{tag}> element")
    if tag == "meta" and any(k.lower() == "http-equiv" and v.strip().lower() not in _OUR_META
                             for k, v in attrs.items()):
        problems.append(f"{where}: <meta http-equiv={attrs.get('http-equiv')!r}>")
    if tag == "form" or (tag in ("input", "button") and "formaction" in attrs):
        problems.append(f"{where}: <{tag}> can submit")
    if tag == "style" and _CSS_BAD.search(_css(text)):
        problems.append(f"{where}: <style> with {_CSS_BAD.search(_css(text)).group(0)!r}")
    if tag == "link" and (attrs.get("rel") or "").lower() in ("import", "stylesheet", "preload", "prefetch"):
        problems.append(f"{where}: <link rel={attrs.get('rel')!r}>")
    for name, value in attrs.items():
        key = _local(name) if "}" in name else name.lower()
        if "xlink" in name.lower() and key == "href":
            key = "xlink:href"
        if key.startswith("on"):
            problems.append(f"{where}: <{tag} {name}=...> event handler")
        elif key == "style" and _CSS_BAD.search(_css(value)):
            problems.append(f"{where}: <{tag} style=...> with {_CSS_BAD.search(_css(value)).group(0)!r}")
        elif key == "srcset" or key == "imagesrcset":
            for candidate in value.split(","):
                parts = candidate.split()
                scheme = _scheme(parts[0]) if parts else None
                if scheme is not None and scheme not in _SAFE_SCHEMES:
                    problems.append(f"{where}: <{tag} srcset> with {scheme}: URL")
        elif key in _URL_ATTRS:
            if key == "content" and tag != "meta":
                continue
            if key == "content":  # <meta http-equiv=refresh content="0;url=javascript:...">
                if not any(k.lower() == "http-equiv" for k in attrs):
                    continue
                match = re.search(r"url\s*=\s*['\"]?(.*)", html.unescape(value), re.I)
                if not match:
                    continue
                value = match.group(1)
            if key == "srcdoc":
                problems.append(f"{where}: <{tag} srcdoc>")
                continue
            if tag == "link" and (attrs.get("rel") or "").lower() == "icon" and value == _OUR_ICON:
                continue
            scheme = _scheme(value)
            if scheme is not None and scheme not in _SAFE_SCHEMES:
                problems.append(f"{where}: <{tag} {name}={value[:60]!r}> {scheme}: URL")


def executable_problems(fragment: str, where: str = "html") -> list[str]:
    """Everything in ``fragment`` (a document or a fragment) that a browser could execute; [] when clean."""
    if not fragment or not fragment.strip():
        return []
    problems: list[str] = []
    # 1. lxml (libxml2's HTML parser)
    try:
        root = lxml.html.fromstring(fragment) if fragment.lstrip()[:9].lower() == "<!doctype" or \
            fragment.lstrip()[:5].lower() == "<html" else lxml.html.fragment_fromstring(fragment, create_parent="div")
    except (etree.ParserError, ValueError):
        root = None
    if root is not None:
        for el in root.iter():
            if not isinstance(el.tag, str):
                continue
            _check_element(_local(el.tag), dict(el.attrib), el.text or "", problems, f"{where} (lxml)")
    # 2. html5lib (the browser algorithm): a fragment is parsed in a <div>, a document as a document
    if fragment.lstrip()[:9].lower() == "<!doctype" or fragment.lstrip()[:5].lower() == "<html":
        tree = html5lib.parse(fragment, treebuilder="etree", namespaceHTMLElements=True)
        elements = tree.iter()
    else:  # as a fragment in a <div>, and as a whole document (where <body onload> lands on the body)
        tree = html5lib.parseFragment(fragment, container="div", treebuilder="etree", namespaceHTMLElements=True)
        document = html5lib.parse(fragment, treebuilder="etree", namespaceHTMLElements=True)
        elements = itertools.chain((e for top in tree for e in top.iter()), document.iter())
    for el in elements:
        if not isinstance(el.tag, str):
            continue
        ns = el.tag[1:].split("}", 1)[0] if el.tag.startswith("{") else ""
        tag = _local(el.tag)
        if ns.endswith(("/svg", "/MathML")) and tag in ("script", "foreignobject", "animate", "set", "use", "handler",
                                                         "iframe"):
            problems.append(f"{where} (html5lib): <{tag}> inside SVG/MathML")
        _check_element(tag, dict(el.attrib), el.text or "", problems, f"{where} (html5lib)")
    return list(dict.fromkeys(problems))


# ------------------------------------------------------------------------------------------- outputs

def html_fields(output: Path) -> list[tuple[str, str]]:
    """``(where, html)`` for every piece of HTML the published feeds and pages carry.

    RSS ``description`` is HTML by convention (readers render it), so it is checked as HTML even though it holds
    the summary. Fields their format declares as text (Atom ``type="text"`` summary and title, JSON Feed
    ``summary`` and ``title``, RSS ``title``) are text: "<script>" there is shown, not run, so they are not
    HTML-checked — but an Atom text construct declared ``html``/``xhtml`` is.
    """
    out: list[tuple[str, str]] = []
    for path in sorted(output.rglob("*.html")):
        out.append((str(path.relative_to(output)), path.read_text(encoding="utf-8")))
    for rss in sorted(output.rglob("rss.xml")):
        root = etree.fromstring(rss.read_bytes())
        for i, item in enumerate(root.iter("item")):
            for name in ("description", CONTENT):
                for el in item.findall(name):
                    out.append((f"{rss.relative_to(output)} item {i} {_local(name)}", el.text or ""))
    for atom in sorted(output.rglob("atom.xml")):
        root = etree.fromstring(atom.read_bytes())
        for i, entry in enumerate(root.iter(f"{ATOM}entry")):
            for name in ("content", "summary", "title"):
                for el in entry.findall(f"{ATOM}{name}"):
                    if el.get("type", "text") == "text":
                        continue
                    if el.get("type") == "xhtml":
                        text = "".join(etree.tostring(c, encoding="unicode") for c in el)
                    else:
                        text = el.text or ""
                    out.append((f"{atom.relative_to(output)} entry {i} {name}", text))
    for js in sorted(output.rglob("feed.json")):
        feed = json.loads(js.read_bytes())
        for i, item in enumerate(feed["items"]):
            for name in ("content_html",):
                if item.get(name):
                    out.append((f"{js.relative_to(output)} item {i} {name}", item[name]))
    return out


def unsafe_links(output: Path) -> list[str]:
    """Addresses the feeds give readers to open or load (item links, images) that are not http(s)."""
    urls: list[tuple[str, str]] = []
    for rss in sorted(output.rglob("rss.xml")):
        root = etree.fromstring(rss.read_bytes())
        urls += [(f"{rss.name} link", el.text or "") for el in root.iter("link")]
        urls += [(f"{rss.name} {_local(el.tag)}", el.get("url") or el.get("href") or "")
                 for el in root.iter() if isinstance(el.tag, str) and (el.get("url") or el.get("href"))]
    for atom in sorted(output.rglob("atom.xml")):
        root = etree.fromstring(atom.read_bytes())
        urls += [(f"{atom.name} {_local(el.tag)}", el.get("href") or el.get("url") or "")
                 for el in root.iter() if isinstance(el.tag, str) and (el.get("href") or el.get("url"))]
    for js in sorted(output.rglob("feed.json")):
        feed = json.loads(js.read_bytes())
        urls += [(f"{js.name} {k}", feed[k]) for k in ("home_page_url", "feed_url") if k in feed]
        for item in feed["items"]:
            urls += [(f"{js.name} item {k}", item[k]) for k in ("url", "external_url", "image", "banner_image")
                     if k in item]
    return [f"{where}: {url!r}" for where, url in urls if _scheme(url) not in ("http", "https")]


def executable_in_output(output: Path) -> list[str]:
    """Every executable thing anywhere in ``output`` (see :func:`executable_problems`), and every link a
    feed gives out that is not http(s)."""
    problems: list[str] = []
    for where, fragment in html_fields(output):
        problems += executable_problems(fragment, where)
    return problems + unsafe_links(output)


def invalid_outputs(output: Path) -> list[str]:
    """Why each published file would be rejected: XML not well-formed (no recovery), feedparser ``bozo``,
    JSON not JSON or not a JSON Feed, an item page libxml2 reports errors for at the document level."""
    problems: list[str] = []
    strict = etree.XMLParser(recover=False, resolve_entities=False, no_network=True)
    for name in ("rss.xml", "atom.xml"):
        for path in sorted(output.rglob(name)):
            data = path.read_bytes()
            try:
                etree.fromstring(data, strict)
            except etree.XMLSyntaxError as exc:
                problems.append(f"{path}: not well-formed XML ({exc})")
                continue
            parsed = feedparser.parse(data)
            if parsed.bozo:
                problems.append(f"{path}: feedparser bozo ({parsed.bozo_exception!r})")
    for path in sorted(output.rglob("feed.json")):
        try:
            feed = json.loads(path.read_bytes())
            assert feed["version"] == "https://jsonfeed.org/version/1.1" and isinstance(feed["items"], list)
            for item in feed["items"]:
                assert isinstance(item["id"], str) and item["id"]
        except (ValueError, KeyError, TypeError, AssertionError) as exc:
            problems.append(f"{path}: not a valid JSON Feed ({exc!r})")
    for path in sorted(output.rglob("*.html")):
        text = path.read_bytes().decode("utf-8", errors="strict")
        if "\x00" in text:
            problems.append(f"{path}: NUL in HTML")
        root = lxml.html.document_fromstring(text)
        if root.find("body") is None:
            problems.append(f"{path}: no <body>")
    return problems


def feed_entries(output: Path) -> tuple[set[str], set[str], set[str]]:
    """The item ids in rss.xml, atom.xml and feed.json (each must list the same items)."""
    rss = {e.id for e in feedparser.parse((output / "rss.xml").read_bytes()).entries}
    atom = {e.id for e in feedparser.parse((output / "atom.xml").read_bytes()).entries}
    js = {i["id"] for i in json.loads((output / "feed.json").read_bytes())["items"]}
    return rss, atom, js
