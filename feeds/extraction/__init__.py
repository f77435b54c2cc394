"""Extraction: raw documents become :class:`~seedfeed.models.Document` records with sanitized HTML.

Takes a ``RawDoc`` (seed bytes) or a fetched page's HTML. Gives out a ``Document``: title, summary, body HTML
(sanitized by :mod:`.sanitize`), dates and author. :mod:`.document` handles text, Markdown and HTML seeds;
:mod:`.page` and its rule modules handle web pages, with every threshold in :mod:`.tuning` (chosen by k-fold
selection in ``bench/extraction.py``). Heavy libraries (lxml, trafilatura) load only when used, and nothing is
re-exported here: a build of text and Markdown seeds never imports the web page extractor.
"""
