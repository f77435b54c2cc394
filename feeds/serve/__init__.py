"""Serve: ``output/`` over HTTP to feed readers, with correct caching (RFC 9110/9111).

Takes the output folder and each feed's max-age. Gives out HTTP responses: ETag, Last-Modified, gzip, 304s,
through one ASGI app (:mod:`.asgi`) under uvicorn (:mod:`.server`); the caching core (:mod:`.app`) is a plain
function of method, path and headers (answering a :mod:`.response`), so it is tested without a server. The
header rules are pure functions in :mod:`.http`.
"""

from .app import FeedApp, Health, MaxAge, default_max_age, make_app
from .asgi import AsgiApp
from .http import accepts_gzip, content_type_for, etag_matches, http_date, parse_http_date
from .response import NeedsRead, Response
from .server import FeedServer, parse_listen

__all__ = [
    "AsgiApp", "FeedApp", "FeedServer", "Health", "MaxAge", "NeedsRead", "Response", "accepts_gzip",
    "content_type_for", "default_max_age", "etag_matches", "http_date", "make_app", "parse_http_date",
    "parse_listen",
]
