"""Extraction: raw documents become :class:`~seedfeed.models.Document` records with sanitized HTML.

Takes a ``RawDoc`` (seed bytes) or a fetched page's HTML. Gives out a ``Document``: title, summary, body HTML
(sanitized by :mod:`.sanitize`), dates and author. :mod:`.document` handles text, Markdown and HTML seeds;
:mod:`.page` and its rule modules handle web pages. Heavy libraries (lxml, trafilatura) load only when used.
"""

from .page import PageData, extract_page, page_to_json

__all__ = ["PageData", "extract_page", "page_to_json"]
