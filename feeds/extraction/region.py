"""Fallback main content: the text of the page's main region (<main>, role=main, or the body) with navigation,
headers, footers, sidebars, forms and cookie/newsletter boxes removed. Used when trafilatura keeps only a small
part of a page that is not an article (product grids, listings, service pages)."""

from __future__ import annotations

import copy
import re

import lxml.html

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
              "button", "select", "iframe", "dialog", "head")
_BOILER = ("nav", "menu", "footer", "header", "sidebar", "cookie", "consent", "newsletter", "subscribe", "breadcrumb",
           "social", "share", "banner", "popup", "modal", "related", "skip", "login", "signup", "search")
# ASCII-only lower-casing, as XPath translate() did before: the same elements match.
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BOILER_RE = re.compile("|".join(_BOILER))


def region_root(tree):
    """A cleaned copy of the main region of ``tree``."""
    mains = tree.xpath('//main|//*[@role="main"]')
    base = mains[0] if len(mains) == 1 else tree.find(".//body")
    if base is None:
        base = tree
    root = copy.deepcopy(base)
    for el in root.xpath("|".join(f".//{t}" for t in _DROP_TAGS) + '|.//*[@role="navigation"]|.//*[@hidden]'
                         '|.//*[@aria-hidden="true"]'):
        if el.getparent() is not None:
            el.drop_tree()
    # a compiled regex over class + id instead of one XPath contains(translate(...)) per word: region_root was
    # the most expensive function of our own (1.0 s of 18 s on 150 pages)
    boiler = [el for el in root.iter() if isinstance(el.tag, str) and el.tag not in ("body", "main")
              and (el.get("class") or el.get("id"))
              and _BOILER_RE.search(f" {el.get('class') or ''} {el.get('id') or ''} ".translate(_ASCII_LOWER))]
    for el in boiler:
        if el.getparent() is not None and len(" ".join(el.itertext()).split()) < 400:
            el.drop_tree()
    return root


def region_html(tree) -> str:
    root = region_root(tree)
    return lxml.html.tostring(root, encoding="unicode", method="html")

