"""Cookie-consent and privacy dialogs, removed from a copy of the page before the main content is chosen.

Why: a consent manager's dialog is often the longest block of prose in a saved page (hundreds of words about
cookies and partners), so trafilatura can take it for the page (round 10 of docs/extraction.md: 4 dev pages
at 0.00 body F1). Two general signals, no site or vendor names:

* a class or id word that starts with a consent word (``cookie-banner``, ``js-consent-dialog``,
  ``gdpr-notice``; also the French/Spanish/German/Portuguese law names);
* a dialog (``<dialog>``, ``role="dialog"``/``"alertdialog"``, ``aria-modal="true"``) whose text speaks of
  cookies.

An element is kept when it holds the page's heading or main region (a wrapper whose class merely says
"cookie-accepted"), or most of the page's visible words without a word about cookies.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

#: class/id words, at the start of a word ("cookie-notice", "js-consent"); not "cmp", which is also a common
#: prefix of page components ("cmp-teaser", "cmp-container")
_WORDS = ("cookie", "consent", "gdpr", "rgpd", "dsgvo", "lgpd")
_ATTR = re.compile(r"(?<![a-zA-Z])(?:" + "|".join(_WORDS) + ")", re.I)
#: dialog text: "cookie" is the word consent dialogs share across languages (English, German, French, Spanish,
#: Italian, Dutch and Polish dialogs all say "cookies"); "consent" alone also asks for a newsletter or a
#: parent's permission inside sign-up forms
_TEXT = re.compile(r"cookie", re.I)
_DIALOG_ROLES = ("dialog", "alertdialog")
_GUARDED = ("main", "article", "h1")
#: an element with more than this share of the page's visible words is kept unless it speaks of cookies (a
#: wrapper of the page; a consent wall over a page whose text is rendered by script is dropped)
_PAGE_SHARE = 0.8
#: dialogs longer than this are left alone (a modal can hold real content)
_DIALOG_MAX_WORDS = 1500
#: each candidate looked at costs a walk of its subtree (nested ones: the same words again), each one found a
#: walk up its ancestors: only the first ones count, so the work stays linear in the page (the most any dev page
#: has: 248 found, 10 looked at)
_MAX_FOUND = 2000
_MAX_LOOKED = 200


_HIDDEN_TEXT = ("script", "style", "noscript", "template")


def _words(el) -> int:
    """Visible words (no script or style text)."""
    return sum(len((t.text or "").split()) * (t.tag not in _HIDDEN_TEXT) + len((t.tail or "").split())
               for t in el.iter() if isinstance(t.tag, str))


def _kind(el) -> str | None:
    """"attr" (a consent class/id word), "dialog" (a dialog about cookies) or None."""
    cls, eid = el.get("class"), el.get("id")
    if (cls and _ATTR.search(cls)) or (eid and _ATTR.search(eid)):
        return "attr"
    dialog = el.tag == "dialog" or (el.get("role") or "").strip().lower() in _DIALOG_ROLES \
        or (el.get("aria-modal") or "").strip().lower() == "true"
    return "dialog" if dialog and _TEXT.search(" ".join(el.itertext())[:3000]) else None


#: the elements _kind looks at (an XPath in C, then one regex per element: a contains(translate(...)) XPath per
#: consent word cost 15 ms per page, this about 2)
#: relative: a parsed document can hold a second top-level <html> beside the root (seen on a dev page), which
#: "//" would search too
_MAYBE = etree.XPath("descendant-or-self::*[@class or @id or @role or @aria-modal or self::dialog]")


def _candidates(root) -> list:
    """(element, kind) of every marked element; nested ones too (an outer one may be guarded)."""
    found = []
    for el in _MAYBE(root):
        if el.tag in ("html", "body", "head", "main", "script", "style"):
            continue
        kind = _kind(el)
        if kind:
            found.append((el, kind))
    return found


def _path(el) -> list[int]:
    """Child indices from the root down to ``el``."""
    path = []
    parent = el.getparent()
    while parent is not None:
        path.append(parent.index(el))
        el, parent = parent, parent.getparent()
    return path[::-1]


def without_consent(root):
    """A copy of ``root`` without its consent dialogs, or ``root`` itself when it has none (no copy made)."""
    found = _candidates(root)
    if not found:
        return root
    body = root.find(".//body")
    page_words = _words(body if body is not None else root)
    drop, dropped, looked = [], set(), 0
    for el, kind in found[:_MAX_FOUND]:
        if any(a in dropped for a in el.iterancestors()):
            continue  # inside one already dropped
        looked += 1
        if looked > _MAX_LOOKED:
            break
        if (el.get("role") or "").lower() == "main" or any(True for _ in el.iter(*_GUARDED)) \
                or el.xpath('.//*[@role="main"]'):
            continue
        words = _words(el)
        if not words or (kind == "dialog" and words > _DIALOG_MAX_WORDS):  # an empty one: nothing to gain, no copy
            continue
        if words > _PAGE_SHARE * page_words and not _TEXT.search(" ".join(el.itertext())[:3000]):
            continue  # most of the page and not about cookies: a wrapper of the page
        drop.append(_path(el))
        dropped.add(el)
    if not drop:
        return root
    clean = copy.deepcopy(root)
    targets = []
    for path in drop:
        el = clean
        for i in path:
            el = el[i]
        targets.append(el)
    for el in targets:  # found first, dropped after: dropping changes the indices of the paths
        if el.getparent() is not None:
            el.drop_tree()
    return clean
