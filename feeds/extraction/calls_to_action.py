"""Calls to action: a link or button whose whole text tells the reader what to click ("Read more", "Add to
cart", "Weiterlesen"), not what the page says.

Why: the main region and resiliparse keep every card's button, so a grid of twenty cards carries twenty "Learn
more" lines; each one also glues the card before it to the card after it in the 4-word runs the body is scored
by. trafilatura drops most of them already. The phrases are the interface words of web pages in English, German,
French, Spanish, Portuguese, Italian and Dutch, not words of any page of the development sets; an element is
dropped only when its text is one of them as a whole ("Read more about our ferries" stays).

Off by default (``Tuning.cta_drop``): held out it gains 0.001 of body F1 for about 0.35 ms a page, which the CPU
limit has no room for today (round 14 of docs/extraction.md).
"""

from __future__ import annotations

import re

_PHRASES = {
    # English
    "read more", "learn more", "see more", "show more", "view more", "load more", "find out more", "more info",
    "more details", "view details", "see details", "details", "continue reading", "keep reading", "read full story",
    "read the full story", "read full review", "read review", "view all", "see all", "show all", "shop all", "shop now",
    "buy now", "order now", "book now", "add to cart", "add to bag", "add to basket", "add to wishlist",
    "add to wish list", "quick view", "quick shop", "select options", "choose options", "view product", "compare",
    "add to compare", "get started", "get a quote", "request a quote", "request a demo", "book a demo",
    "try it free", "try for free", "start free trial", "sign up", "subscribe", "contact us", "back to top",
    "click to expand", "expand", "collapse", "show less", "see less", "read less", "reply", "permalink", "share",
    "tweet", "pin it", "email", "print",
    # German
    "weiterlesen", "mehr lesen", "mehr erfahren", "mehr anzeigen", "alle anzeigen", "details anzeigen",
    "in den warenkorb", "jetzt kaufen", "zum produkt", "zur merkliste", "teilen", "antworten",
    # French
    "lire la suite", "en savoir plus", "voir plus", "voir tout", "voir le produit", "ajouter au panier",
    "acheter", "partager", "répondre",
    # Spanish
    "leer más", "ver más", "saber más", "ver todo", "ver producto", "añadir al carrito", "agregar al carrito",
    "comprar ahora", "compartir", "responder",
    # Portuguese
    "leia mais", "ler mais", "saiba mais", "ver mais", "adicionar ao carrinho", "comprar agora", "compartilhar",
    # Italian
    "leggi di più", "leggi tutto", "scopri di più", "scopri", "aggiungi al carrello", "acquista ora", "condividi",
    "rispondi",
    # Dutch
    "lees meer", "meer lezen", "meer informatie", "bekijk meer", "in winkelwagen", "toevoegen aan winkelwagen",
    "delen", "reageren",
}
_WORD = re.compile(r"\w+")
PHRASES = frozenset(" ".join(_WORD.findall(p)) for p in _PHRASES)
#: the longest phrase, in words: longer texts are not looked up
_MAX_WORDS = max(len(p.split()) for p in PHRASES)
_MAX_CHARS = 2 * max(len(p) for p in PHRASES)
#: elements that can be a button or link on their own; blocks with several children are never one
_TAGS = ("a", "button", "span", "p", "li", "div", "strong", "b", "small", "label")
_WALKED = ("a", "button", "li", "p")


def is_call_to_action(text: str) -> bool:
    """Whether ``text`` is, as a whole, one of the phrases (case and punctuation ignored: "Read more »")."""
    words = _WORD.findall(text.casefold())
    return 0 < len(words) <= _MAX_WORDS and " ".join(words) in PHRASES


def _short_text(el) -> str | None:
    """The element's text, or None as soon as it is longer than any phrase (no walk of a big subtree)."""
    parts, length = [], 0
    for piece in el.itertext():
        length += len(piece.strip())
        if length > _MAX_CHARS:
            return None
        parts.append(piece)
    return " ".join(parts)


def drop_calls_to_action(root) -> None:
    """Remove (in place) the elements of an lxml.html tree whose whole text is a call to action.

    Most elements are decided by their own leading text, without a walk of their subtree (a walk for every
    element cost 1.1 ms a page, a fifth of the main region's own cost); only a link, button, list item or
    paragraph with no text of its own and at most two children (``<a><i></i> Read more</a>``) is walked."""
    found = []
    for el in root.iter(_TAGS):
        own = el.text
        if own and own.strip():
            if len(own) <= _MAX_CHARS and is_call_to_action(own) and (len(el) == 0 or is_call_to_action(
                    _short_text(el) or "")):
                found.append(el)
        elif 0 < len(el) <= 2 and el.tag in _WALKED:
            text = _short_text(el)
            if text and is_call_to_action(text):
                found.append(el)
    for el in found:
        if el.getparent() is not None:
            el.drop_tree()


def without_calls_to_action(paragraphs: list[str]) -> list[str]:
    """The paragraphs of a plain text that are not a call to action."""
    return [p for p in paragraphs if not is_call_to_action(p)]
