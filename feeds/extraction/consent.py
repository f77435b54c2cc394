"""Cookie-consent and privacy dialogs, removed from a copy of the page before the main content is chosen.

Why: a consent manager's dialog is often the longest block of prose in a saved page (hundreds of words about
cookies and partners), so trafilatura can take it for the page (round 10 of docs/extraction.md: 7 dev pages
under 0.2 body F1, 4 of them at 0.00). Two general signals, no site or vendor names:

* a class or id word that starts with a consent word (``cookie-banner``, ``onetrust-consent-sdk``,
  ``gdpr-notice``; also the French/Spanish/German/Portuguese law names);
* a dialog (``<dialog>``, ``role="dialog"``/``"alertdialog"``, ``aria-modal="true"``) whose text speaks of
  cookies.

An element is kept when it holds the page's heading or main region (a wrapper whose class merely says
"cookie-accepted"), or most of the page's visible words.
"""

from __future__ import annotations

import copy
import re

# ASCII-only lower-casing, as in .region
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: class/id words, at the start of a word ("cookie-notice", "js-consent"); not "cmp", which is also a common
#: prefix of page components ("cmp-teaser", "cmp-container")
_ATTR = re.compile(r"(?:^|[^a-z])(?:cookie|consent|gdpr|rgpd|dsgvo|lgpd)")
#: dialog text: "cookie" is the word consent dialogs share across languages (English, German, French, Spanish,
#: Italian, Dutch and Polish dialogs all say "cookies"); "consent" alone also asks for a newsletter or a
#: parent's permission inside sign-up forms
_TEXT = re.compile(r"cookie", re.I)
_DIALOG_ROLES = ("dialog", "alertdialog")
_GUARDED = ("main", "article", "h1")
#: an element with more than this share of the page's visible words is kept (it is the page)
_PAGE_SHARE = 0.8
#: dialogs longer than this are left alone (a modal can hold real content)
_DIALOG_MAX_WORDS = 1500


_HIDDEN_TEXT = ("script", "style", "noscript", "template")


def _words(el) -> int:
    """Visible words (no script or style text)."""
    return sum(len((t.text or "").split()) * (t.tag not in _HIDDEN_TEXT) + len((t.tail or "").split())
               for t in el.iter() if isinstance(t.tag, str))


def _kind(el) -> str | None:
    """"attr" (a consent class/id word), "dialog" (a dialog about cookies or consent) or None."""
    marks = f" {el.get('class') or ''} {el.get('id') or ''} "
    if _ATTR.search(marks.translate(_ASCII_LOWER)):
        return "attr"
    dialog = el.tag == "dialog" or (el.get("role") or "").strip().lower() in _DIALOG_ROLES \
        or (el.get("aria-modal") or "").strip().lower() == "true"
    return "dialog" if dialog and _TEXT.search(" ".join(el.itertext())[:3000]) else None


def _candidates(root) -> list:
    """(element, kind) of every marked element; nested ones too (an outer one may be guarded)."""
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("html", "body", "head", "main", "script", "style"):
            continue
        if el.get("class") or el.get("id") or el.get("role") or el.get("aria-modal") or el.tag == "dialog":
            kind = _kind(el)
            if kind:
                found.append((el, kind))
    return found


def without_consent(root):
    """A copy of ``root`` without its consent dialogs, or ``root`` itself when it has none (no copy made)."""
    if not _candidates(root):
        return root
    body = root.find(".//body")
    page_words = _words(body if body is not None else root)
    clean = copy.deepcopy(root)
    for el, kind in _candidates(clean):
        if el.getparent() is None or (el.get("role") or "").lower() == "main":
            continue
        if any(True for _ in el.iter(*_GUARDED)) or el.xpath('.//*[@role="main"]'):
            continue
        words = _words(el)
        if words > _PAGE_SHARE * page_words or (kind == "dialog" and words > _DIALOG_MAX_WORDS):
            continue
        el.drop_tree()
    return clean
