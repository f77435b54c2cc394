"""Fallback main content: the text of the page's main region (<main>, role=main, or the body) with navigation,
headers, footers, sidebars, forms and cookie/newsletter boxes removed. Used when trafilatura keeps only a small
part of a page that is not an article (product grids, listings, service pages)."""

from __future__ import annotations

import copy

import lxml.html

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside", "form",
              "button", "select", "iframe", "dialog", "head")
_BOILER = ("nav", "menu", "footer", "header", "sidebar", "cookie", "consent", "newsletter", "subscribe", "breadcrumb",
           "social", "share", "banner", "popup", "modal", "related", "skip", "login", "signup", "search")
_BOILER_XPATH = " or ".join(
    f'contains(translate(concat(" ", @class, " ", @id, " "), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", '
    f'"abcdefghijklmnopqrstuvwxyz"), "{word}")' for word in _BOILER)


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
    for el in root.xpath(f".//*[not(self::body or self::main)][{_BOILER_XPATH}]"):
        if el.getparent() is not None and len(" ".join(el.itertext()).split()) < 400:
            el.drop_tree()
    return root


def region_html(tree) -> str:
    root = region_root(tree)
    return lxml.html.tostring(root, encoding="unicode", method="html")

