"""Fallback main content: the text of the page's main region (<main>, role=main, or the body) with navigation,
headers, footers, sidebars, forms and cookie/newsletter boxes removed. Used when trafilatura keeps only a small
part of a page that is not an article (product grids, listings, service pages)."""

from __future__ import annotations

import copy
import re

import lxml.html

from .tuning import DEFAULT, Tuning

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
              "button", "select", "iframe", "dialog", "head")
_BOILER = ("nav", "menu", "footer", "header", "sidebar", "cookie", "consent", "newsletter", "subscribe", "breadcrumb",
           "social", "share", "banner", "popup", "modal", "related", "skip", "login", "signup", "search")
# ASCII-only lower-casing, as XPath translate() did before: the same elements match.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BOILER_RE = re.compile("|".join(_BOILER))
# region_word_start: a boilerplate word counts only at the start of a class/id word ("site-search", "navbar",
# "SearchBox"), not inside one ("research", "canvas").
_BOILER_START_RE = re.compile(r"(?:^|[^a-z])(?:" + "|".join(_BOILER) + ")")
_SECTIONS = {"article", "section"}


def _keep(el) -> bool:
    """A <header>/<footer> inside an <article>/<section>: by HTML's sectioning rules it heads (or closes) that
    card or section, not the page."""
    return el.tag in ("header", "footer") and any(a.tag in _SECTIONS for a in el.iterancestors())


def region_root(tree, tuning: Tuning = DEFAULT):
    """A cleaned copy of the main region of ``tree``."""
    mains = tree.xpath('//main|//*[@role="main"]')
    base = mains[0] if len(mains) == 1 else tree.find(".//body")
    if base is None:
        base = tree
    root = copy.deepcopy(base)
    hidden = '|.//*[@hidden]' if tuning.region_drop_hidden else ""
    aria = '|.//*[@aria-hidden="true"]' if tuning.region_drop_aria_hidden else ""
    for el in root.xpath("|".join(f".//{t}" for t in _DROP_TAGS) + '|.//*[@role="navigation"]' + hidden + aria):
        if el.getparent() is not None and not (tuning.region_sectional and _keep(el)):
            el.drop_tree()
    # a compiled regex over class + id instead of one XPath contains(translate(...)) per word: region_root was
    # the most expensive function of our own (1.0 s of 18 s on 150 pages)
    pattern = _BOILER_START_RE if tuning.region_word_start else _BOILER_RE
    boiler = [el for el in root.iter() if isinstance(el.tag, str) and el.tag not in ("body", "main")
              and (el.get("class") or el.get("id"))
              and pattern.search(f" {el.get('class') or ''} {el.get('id') or ''} ".translate(_ASCII_LOWER))]
    for el in boiler:
        if el.getparent() is not None and len(" ".join(el.itertext()).split()) < 400:
            el.drop_tree()
    if tuning.cta_drop:
        from .calls_to_action import drop_calls_to_action

        drop_calls_to_action(root)
    return root


def region_html(tree, tuning: Tuning = DEFAULT) -> str:
    root = region_root(tree, tuning)
    return lxml.html.tostring(root, encoding="unicode", method="html")
