"""`seedfeed serve`: real FeedServer on an ephemeral port over a temporary output folder."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http import HTTPStatus
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
import requests
import seedfeed.serve as serve
import seedfeed.serve.app as serve_app
from requests.structures import CaseInsensitiveDict
from seedfeed.serve import AsgiApp, FeedServer, accepts_gzip, etag_matches, make_app, parse_listen

RSS = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>' + (
    "<item><title>x</title><description>" + "lorem ipsum " * 100 + "</description></item>"
) * 5 + "</channel></rss>"
ATOM = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">' + (
    "<entry><title>é</title><content>" + "dolor sit amet " * 100 + "</content></entry>"
) * 5 + "</feed>"
FEED_JSON = '{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": []}'
PAGE = "<!doctype html><title>item</title><p>" + "body " * 200 + "</p>"
SECRET = "TOP-SECRET-OUTSIDE-OUTPUT"
PAST = 1_700_000_000  # 2023-11-14, a fixed content-change time


@pytest.fixture
def site(tmp_path: Path) -> Path:
    out = tmp_path / "output"
    (out / "items").mkdir(parents=True)
    (out / "blog" / "items").mkdir(parents=True)
    (out / "rss.xml").write_text(RSS, encoding="utf-8")
    (out / "atom.xml").write_text(ATOM, encoding="utf-8")
    (out / "feed.json").write_text(FEED_JSON, encoding="utf-8")
    (out / "items" / "first.html").write_text(PAGE, encoding="utf-8")
    (out / "blog" / "rss.xml").write_text(RSS, encoding="utf-8")
    (out / "style.css").write_text("body { color: #333 }", encoding="utf-8")
    (out / ".atom.xml.tmp").write_text("half-written", encoding="utf-8")
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    for path in out.rglob("*"):
        os.utime(path, (PAST, PAST))
    return out


@pytest.fixture
def server(site: Path):
    srv = FeedServer(site, port=0)
    srv.start()
    yield srv
    srv.stop()


def url(srv: FeedServer, path: str) -> str:
    return f"http://127.0.0.1:{srv.port}{path}"


def get(srv: FeedServer, path: str, method: str = "GET", **headers: str) -> http.client.HTTPResponse:
    """One request via http.client (no automatic Accept-Encoding); the body is read into ``.data``."""
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        conn.request(method, path, headers={k.replace("_", "-"): v for k, v in headers.items()})
        resp = conn.getresponse()
        resp.data = resp.read()  # type: ignore[attr-defined]
        return resp
    finally:
        conn.close()


def raw(port: int, target: bytes, method: bytes = b"GET") -> tuple[int, bytes]:
    """Send a request line byte for byte (requests/http.client would normalise or refuse it)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(method + b" " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return (int(data.split(b" ", 2)[1]) if data else 0), data  # 0: connection closed, no answer


def lm(resp: http.client.HTTPResponse) -> float:
    value = resp.getheader("Last-Modified")
    assert value is not None
    return email.utils.parsedate_to_datetime(value).timestamp()


# ------------------------------------------------------------------------------------------ 200


@pytest.mark.parametrize(
    ("path", "ctype", "max_age", "body"),
    [
        ("/rss.xml", "application/rss+xml; charset=utf-8", 300, RSS),
        ("/atom.xml", "application/atom+xml; charset=utf-8", 300, ATOM),
        ("/feed.json", "application/feed+json", 300, FEED_JSON),
        ("/items/first.html", "text/html; charset=utf-8", 3600, PAGE),
        ("/blog/rss.xml", "application/rss+xml; charset=utf-8", 300, RSS),
        ("/style.css", "text/css; charset=utf-8", 3600, "body { color: #333 }"),
    ],
    ids=["rss", "atom", "json-feed", "item-page", "subfeed-rss", "css"],
)
def test_get_serves_file_with_caching_headers(server, path, ctype, max_age, body):
    resp = get(server, path)
    assert resp.status == 200
    assert resp.data == body.encode()
    assert resp.getheader("Content-Type") == ctype
    assert resp.getheader("Content-Length") == str(len(body.encode()))
    assert resp.getheader("X-Content-Type-Options") == "nosniff"
    assert resp.getheader("Cache-Control") == f"max-age={max_age}"
    assert resp.getheader("Vary") == "Accept-Encoding"
    assert resp.getheader("Content-Encoding") is None
    etag = resp.getheader("ETag")
    assert etag and etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert lm(resp) == PAST  # the file's mtime, i.e. when its content last changed


def test_requests_client_round_trip(server):
    first = requests.get(url(server, "/atom.xml"), timeout=10)
    assert first.status_code == 200 and first.text == ATOM
    assert first.headers["Content-Encoding"] == "gzip"  # requests asks for gzip by default
    again = requests.get(url(server, "/atom.xml"), headers={"If-None-Match": first.headers["ETag"]}, timeout=10)
    assert again.status_code == 304 and again.content == b""


def test_query_string_is_ignored(server):
    assert get(server, "/atom.xml?nocache=123").data == ATOM.encode()


def test_max_age_callback_receives_relative_path(site):
    seen: list[str] = []

    def max_age(rel: str) -> int:
        seen.append(rel)
        return 900 if rel.startswith("blog/") else 60

    with FeedServer(site, port=0, max_age=max_age) as srv:
        assert get(srv, "/blog/rss.xml").getheader("Cache-Control") == "max-age=900"
        assert get(srv, "/atom.xml").getheader("Cache-Control") == "max-age=60"
        assert get(srv, "/atom.xml", If_None_Match="*").getheader("Cache-Control") == "max-age=60"
    assert seen[:2] == ["blog/rss.xml", "atom.xml"]


def test_head_has_headers_but_no_body(server):
    full = get(server, "/atom.xml")
    head = get(server, "/atom.xml", method="HEAD")
    assert head.status == 200 and head.data == b""
    for name in ("ETag", "Last-Modified", "Content-Type", "Content-Length", "Cache-Control", "Vary"):
        assert head.getheader(name) == full.getheader(name), name
    head_gz = get(server, "/atom.xml", method="HEAD", Accept_Encoding="gzip")
    assert head_gz.getheader("Content-Encoding") == "gzip" and head_gz.data == b""


# ------------------------------------------------------------------------------ conditional GET


def test_if_none_match_gives_304_without_body(server):
    first = get(server, "/atom.xml")
    etag = first.getheader("ETag")
    for value in (etag, f'"nope", {etag}', f"W/{etag}", "*"):
        resp = get(server, "/atom.xml", If_None_Match=value)
        assert resp.status == 304, value
        assert resp.data == b""
        assert resp.getheader("ETag") == etag
        assert resp.getheader("Last-Modified") == first.getheader("Last-Modified")
        assert resp.getheader("Cache-Control") == "max-age=300"
        assert resp.getheader("Vary") == "Accept-Encoding"
        assert resp.getheader("Content-Encoding") is None
    assert get(server, "/atom.xml", If_None_Match='"something-else"').status == 200


def test_if_modified_since(server, site):
    first = get(server, "/rss.xml")
    last_modified = first.getheader("Last-Modified")
    resp = get(server, "/rss.xml", If_Modified_Since=last_modified)
    assert resp.status == 304 and resp.data == b""
    assert resp.getheader("ETag") == first.getheader("ETag")
    later = email.utils.formatdate(PAST + 3600, usegmt=True)
    assert get(server, "/rss.xml", If_Modified_Since=later).status == 304
    earlier = email.utils.formatdate(PAST - 1, usegmt=True)
    assert get(server, "/rss.xml", If_Modified_Since=earlier).status == 200
    assert get(server, "/rss.xml", If_Modified_Since="not a date").status == 200

    # the content really changes after the client's copy: 200 with the new body
    (site / "rss.xml").write_text(RSS.replace("lorem", "LOREM"), encoding="utf-8")
    os.utime(site / "rss.xml", (PAST + 60, PAST + 60))
    changed = get(server, "/rss.xml", If_Modified_Since=last_modified)
    assert changed.status == 200 and b"LOREM" in changed.data
    assert lm(changed) == PAST + 60


def test_if_none_match_takes_precedence_over_if_modified_since(server):
    first = get(server, "/atom.xml")
    etag, last_modified = first.getheader("ETag"), first.getheader("Last-Modified")
    stale_ims = email.utils.formatdate(PAST - 86400, usegmt=True)
    # matching ETag + an If-Modified-Since that alone would give 200 -> 304
    assert get(server, "/atom.xml", If_None_Match=etag, If_Modified_Since=stale_ims).status == 304
    # non-matching ETag + an If-Modified-Since that alone would give 304 -> 200
    resp = get(server, "/atom.xml", If_None_Match='"old"', If_Modified_Since=last_modified)
    assert resp.status == 200 and resp.data == ATOM.encode()


def test_content_change_gives_new_etag(server, site):
    old = get(server, "/atom.xml").getheader("ETag")
    tmp = site / ".atom.xml.new"
    tmp.write_text(ATOM + "<!-- v2 -->", encoding="utf-8")
    os.replace(tmp, site / "atom.xml")  # the writer's temp + rename
    resp = get(server, "/atom.xml", If_None_Match=old)
    assert resp.status == 200 and resp.data.endswith(b"<!-- v2 -->")
    assert resp.getheader("ETag") != old
    assert get(server, "/atom.xml", If_None_Match=resp.getheader("ETag")).status == 304


def test_same_bytes_same_etag_across_servers(site):
    with FeedServer(site, port=0) as one, FeedServer(site, port=0) as two:
        assert get(one, "/rss.xml").getheader("ETag") == get(two, "/rss.xml").getheader("ETag")
        gz = {"Accept_Encoding": "gzip"}
        assert get(one, "/rss.xml", **gz).getheader("ETag") == get(two, "/rss.xml", **gz).getheader("ETag")


def test_last_modified_never_in_the_future(server, site):
    future = time.time() + 10 * 365 * 86400
    os.utime(site / "feed.json", (future, future))
    resp = get(server, "/feed.json")
    assert resp.status == 200
    assert lm(resp) <= time.time()
    date = resp.getheader("Date")   # RFC 9110 6.6.1: an origin server with a clock sends Date
    assert date is not None and lm(resp) <= email.utils.parsedate_to_datetime(date).timestamp()
    assert abs(email.utils.parsedate_to_datetime(date).timestamp() - time.time()) < 300
    # a client echoing that (clamped) date gets a 304 even though the clock has moved on
    again = get(server, "/feed.json", If_Modified_Since=resp.getheader("Last-Modified"))
    assert again.status == 304


def test_last_modified_clamped_to_injected_now(site):
    future = PAST + 1000
    os.utime(site / "feed.json", (future, future))
    app = make_app(site, now=lambda: PAST + 10)
    status, headers, _ = call_asgi(app, "/feed.json")
    assert status.startswith("200")
    assert headers["Last-Modified"] == email.utils.formatdate(PAST + 10, usegmt=True)
    # ...and a client holding that date gets a 304 rather than a loop of 200s
    status, _, body = call_asgi(app, "/feed.json", If_Modified_Since=headers["Last-Modified"])
    assert status.startswith("304") and body == b""


# ------------------------------------------------------------------------------------------ gzip


def test_gzip_negotiated_with_its_own_etag(server):
    plain = get(server, "/atom.xml")
    packed = get(server, "/atom.xml", Accept_Encoding="br;q=1.0, gzip;q=0.8, *;q=0.1")
    assert packed.status == 200
    assert packed.getheader("Content-Encoding") == "gzip"
    assert packed.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(packed.data) == ATOM.encode()
    assert packed.getheader("Content-Length") == str(len(packed.data))
    assert packed.getheader("ETag") != plain.getheader("ETag")
    assert packed.getheader("ETag").endswith('-gz"')
    assert packed.getheader("Last-Modified") == plain.getheader("Last-Modified")
    # each variant revalidates against its own ETag
    gz_etag = packed.getheader("ETag")
    assert get(server, "/atom.xml", Accept_Encoding="gzip", If_None_Match=gz_etag).status == 304
    assert get(server, "/atom.xml", If_None_Match=gz_etag).status == 200
    assert get(server, "/atom.xml", Accept_Encoding="gzip", If_None_Match=plain.getheader("ETag")).status == 200


@pytest.mark.parametrize("accept", ["gzip;q=0", "gzip; q=0.000", "identity", "*;q=0", "gzip;q=0, *", "br", ""])
def test_gzip_refused_or_not_offered(server, accept):
    resp = get(server, "/atom.xml", Accept_Encoding=accept)
    assert resp.status == 200 and resp.data == ATOM.encode()
    assert resp.getheader("Content-Encoding") is None
    assert resp.getheader("Vary") == "Accept-Encoding"


def test_tiny_or_binary_files_are_not_gzipped(server, site):
    (site / "pixel.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(2000))
    resp = get(server, "/pixel.png", Accept_Encoding="gzip")
    assert resp.getheader("Content-Type") == "image/png"
    assert resp.getheader("Content-Encoding") is None and resp.getheader("Vary") is None
    tiny = get(server, "/feed.json", Accept_Encoding="gzip")  # below the gzip threshold
    assert tiny.getheader("Content-Encoding") is None and tiny.getheader("Vary") == "Accept-Encoding"


def test_gzip_starts_at_256_bytes(server, site):
    (site / "a.css").write_text("a" * 256, encoding="utf-8")
    (site / "b.css").write_text("b" * 255, encoding="utf-8")
    assert get(server, "/a.css", Accept_Encoding="gzip").getheader("Content-Encoding") == "gzip"
    assert get(server, "/b.css", Accept_Encoding="gzip").getheader("Content-Encoding") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("deflate, gzip;q=0.5", True),
        ("*", True),
        ("*;q=0.3", True),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *;q=1", False),
        ("*;q=0", False),
        ("br, deflate", False),
        ("gzip;q=bogus", False),
        ("", False),
        (None, False),
    ],
)
def test_accepts_gzip(header, expected):
    assert accepts_gzip(header) is expected


def test_etag_matches_weak_comparison():
    assert etag_matches('"a"', '"a"')
    assert etag_matches('W/"a"', '"a"')
    assert etag_matches('"x", W/"a"', '"a"')
    assert etag_matches('"x,y", "a"', '"a"')
    assert etag_matches("*", '"a"')
    assert not etag_matches('"a-gz"', '"a"')
    assert not etag_matches('"x,a"', '"a"')
    assert not etag_matches("", '"a"')


def test_etag_lists_odd_but_readable():
    assert etag_matches('"a"', 'W/"a"')                # a weak tag of ours compares by its opaque part
    assert etag_matches(',"a"', '"a"') and etag_matches(' \t, "a"', '"a"')   # separators before the first tag
    assert etag_matches('abc, "a"', '"a"')             # an unquoted token does not swallow the next tag
    assert not etag_matches('"a', '"a"')               # an unterminated quote is one (non-matching) tag, and ends
    assert not etag_matches("W/", '"a"')               # a lone weak prefix is no tag
    assert etag_matches('W/"a,b"', '"a,b"')            # a comma inside a weak tag's quotes does not split it
    assert etag_matches('"a", "b"', '"a"') and etag_matches('"", "a"', '"a"')   # first in a list; an empty tag
    assert etag_matches('"a", ', '"a"') and not etag_matches('"x", ', '"a"')    # a trailing separator


def test_a_q_value_that_is_not_a_finite_number_refuses_gzip():
    assert not accepts_gzip("gzip;q=nan") and not accepts_gzip("gzip;q=inf") and not accepts_gzip("*;q=nan")


def test_strong_comparison_never_matches_a_weak_tag():
    from seedfeed.serve.http import etag_matches_strong
    assert etag_matches_strong('"a"', '"a"') and etag_matches_strong("*", '"a"')
    assert not etag_matches_strong('W/"a"', 'W/"a"') and not etag_matches_strong("*", 'W/"a"')


def test_content_types_of_files_not_in_our_table():
    from seedfeed.serve.http import content_type_for
    assert content_type_for("rss.xml") == "application/rss+xml; charset=utf-8"
    assert content_type_for("data.csv") == "text/csv; charset=utf-8"      # guessed text: UTF-8 said
    assert content_type_for("talk.mp3") == "audio/mpeg"
    assert content_type_for("old.pict") == "image/pict"      # a common type outside the official list
    assert content_type_for("site.tar.gz") == "application/octet-stream"   # compressed: not its inner type
    assert content_type_for("README") == "application/octet-stream"


def test_http_dates_at_their_edges():
    import calendar

    from seedfeed.serve.http import parse_http_date
    assert parse_http_date("Sun, 06 Nov 1994 08:49:60 GMT") == 784111799    # a leap second reads as :59
    assert parse_http_date("Sun, 06 Nov 1994 08:60:37 GMT") is None
    assert parse_http_date("Sun, 06 Nov 1994 08:49:61 GMT") is None
    assert parse_http_date("Thursday, 01-Jan-26 00:00:00 GMT") == calendar.timegm((2026, 1, 1, 0, 0, 0))
    assert parse_http_date("Wed, 30 Nov 1994 23:59:59 GMT") == calendar.timegm((1994, 11, 30, 23, 59, 59))
    assert parse_http_date("Tue, 01 Nov 1994 00:00:00 GMT") == calendar.timegm((1994, 11, 1, 0, 0, 0))
    assert parse_http_date("Thu, 29 Feb 1996 12:00:00 GMT") == calendar.timegm((1996, 2, 29, 12, 0, 0))
    this_year = time.gmtime().tm_year     # RFC 9110: a two-digit year more than 50 years ahead is in the past
    for ahead, century in ((50, 2000), (51, 1900)):
        yy = (this_year + ahead) % 100
        parsed = parse_http_date(f"Monday, 01-Jan-{yy:02d} 00:00:00 GMT")
        assert parsed is not None and time.gmtime(parsed).tm_year == century + yy, (ahead, yy)
    for bad in ("Mon, 00 Nov 1994 00:00:00 GMT", "Thu, 31 Nov 1994 00:00:00 GMT", "Thu, 29 Feb 1995 00:00:00 GMT",
                "Tue, 01 Nov 1994 24:00:00 GMT"):
        assert parse_http_date(bad) is None, bad


# ------------------------------------------------------------------------------------ confinement


TRAVERSALS = [
    b"/../secret.txt",
    b"/../../../../../../etc/passwd",
    b"/items/../../secret.txt",
    b"/%2e%2e/secret.txt",
    b"/%2E%2E/secret.txt",
    b"/%2e%2e%2fsecret.txt",
    b"/items%2f..%2f..%2fsecret.txt",
    b"/..%5csecret.txt",
    b"/items\\..\\..\\secret.txt",
    b"/%252e%252e/secret.txt",
    b"//etc/passwd",
    b"/%2fetc%2fpasswd",
    b"/rss.xml%00.html",
    b"/%c0%ae%c0%ae/secret.txt",
    b"http://localhost/../secret.txt",
]


@pytest.mark.parametrize("target", TRAVERSALS, ids=[t.decode() for t in TRAVERSALS])
def test_path_traversal_refused(server, target):
    status, data = raw(server.port, target)
    assert status in (400, 404), data[:200]
    assert SECRET.encode() not in data and b"root:" not in data


def test_nul_byte_in_request_line_refused(server):
    status, data = raw(server.port, b"/rss.xml\x00")
    assert status in (0, 400, 404)


def test_symlink_out_of_folder_refused(server, site):
    (site / "leak.txt").symlink_to(site.parent / "secret.txt")
    (site / "outside").symlink_to(site.parent, target_is_directory=True)
    (site / "alias.xml").symlink_to(site / "rss.xml")  # inside the folder: fine
    (site / "mirror").symlink_to(site / "blog", target_is_directory=True)  # likewise
    (site / "blog" / "up").symlink_to("../..", target_is_directory=True)  # climbs out of output/
    assert get(server, "/mirror/rss.xml").data == RSS.encode()
    assert get(server, "/blog/up/secret.txt").status == 404
    assert get(server, "/mirror/up/secret.txt").status == 404
    for path in ("/leak.txt", "/outside/secret.txt"):
        resp = get(server, path)
        assert resp.status == 404 and SECRET.encode() not in resp.data
    alias = get(server, "/alias.xml")
    assert alias.data == RSS.encode()
    assert alias.getheader("Content-Type") == "application/xml; charset=utf-8"  # typed by its own name
    assert get(server, "/rss.xml").getheader("Content-Type") == "application/rss+xml; charset=utf-8"


def test_no_directory_listing(server, site):
    for path in ("/", "/items/", "/items", "/blog/"):
        resp = get(server, path)
        assert resp.status == 404, path
        assert b"first.html" not in resp.data
    (site / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    (site / "blog" / "index.html").write_text("<h1>blog</h1>", encoding="utf-8")
    assert get(server, "/").data == b"<h1>home</h1>"
    assert get(server, "/blog/").data == b"<h1>blog</h1>"
    redirect = get(server, "/blog")
    assert redirect.status == 301 and redirect.getheader("Location") == "/blog/"


def test_a_folder_whose_index_html_is_not_a_file_is_not_found(server, site):
    (site / "blog" / "index.html").mkdir()
    assert get(server, "/blog/").status == 404


def test_hidden_and_temp_files_not_served(server):
    assert get(server, "/.atom.xml.tmp").status == 404
    assert get(server, "/missing.xml").status == 404
    assert get(server, "/atom.xml/").status == 404


# ------------------------------------------------------------------------------ methods, healthz


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_405(server, method):
    resp = get(server, "/atom.xml", method=method)
    assert resp.status == 405
    assert set(resp.getheader("Allow").replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_healthz(site):
    state = {"ok": True}

    def health() -> tuple[bool, str]:
        if state["ok"] is None:
            raise RuntimeError("probe broke")
        return state["ok"], "last run 12s ago" if state["ok"] else "scheduler stalled"

    with FeedServer(site, port=0, health=health) as srv:
        ok = requests.get(url(srv, "/healthz"), timeout=10)
        assert ok.status_code == 200 and ok.json() == {"ok": True, "detail": "last run 12s ago"}
        assert ok.headers["Cache-Control"] == "no-store"
        state["ok"] = False
        bad = requests.get(url(srv, "/healthz"), timeout=10)
        assert bad.status_code == 503 and bad.json()["detail"] == "scheduler stalled"
        state["ok"] = None
        assert requests.get(url(srv, "/healthz"), timeout=10).status_code == 503
        assert get(srv, "/healthz", method="HEAD").status == 503


def test_healthz_default_always_healthy(server):
    assert requests.get(url(server, "/healthz"), timeout=10).status_code == 200


def test_healthz_allows_only_get_and_head(server):
    resp = get(server, "/healthz", method="POST")
    assert resp.status == 405
    assert set(resp.getheader("Allow").replace(" ", "").split(",")) == {"GET", "HEAD"}


# -------------------------------------------------------------------------------- cache and stream


def test_a_max_age_of_zero_or_less_is_sent_as_zero(site):
    for answer in (0, -5):
        app = make_app(site, max_age=lambda rel, answer=answer: answer)
        assert call_asgi(app, "/atom.xml")[1]["Cache-Control"] == "max-age=0", answer


def test_a_folder_s_index_page_is_known_by_its_own_path_and_unknown_methods_are_501(site):
    """``/blog/`` is ``blog/index.html`` to the cache and to ``max_age`` (the daemon finds its feed by it), ``/``
    is ``index.html``. A method HTTP does not define is 501 from the app itself too (the ASGI face has no parser
    in front of it that would answer first)."""
    (site / "index.html").write_text("<h1>home</h1>", encoding="utf-8")
    (site / "blog" / "index.html").write_text("<h1>blog</h1>", encoding="utf-8")
    asked: list[str] = []
    app = make_app(site, max_age=lambda rel: asked.append(rel) or 60)
    assert call_asgi(app, "/blog/")[2] == b"<h1>blog</h1>" and call_asgi(app, "/")[2] == b"<h1>home</h1>"
    assert asked == ["blog/index.html", "index.html"] and sorted(app._cache) == ["blog/index.html", "index.html"]
    status, headers, _ = call_asgi(app, "/atom.xml", method="BREW")
    assert status.startswith("501") and headers["Allow"] == "GET, HEAD"


def test_hot_polls_reuse_cached_response(site, monkeypatch):
    app = make_app(site)
    call_asgi(app, "/atom.xml")
    entry = app._cache["atom.xml"]
    reads: list[str] = []
    real_open = os.open
    monkeypatch.setattr(serve_app.os, "open", lambda p, *a, **k: reads.append(p) or real_open(p, *a, **k))
    for _ in range(3):
        status, headers, body = call_asgi(app, "/atom.xml", Accept_Encoding="gzip")
        assert status.startswith("200") and gzip.decompress(body) == ATOM.encode()
    assert reads == []
    assert app._cache["atom.xml"] is entry


def test_a_site_s_feeds_all_stay_in_the_cache_and_max_age_is_asked_once_per_path(site, monkeypatch):
    """With the real 64 MiB budget every feed of a small site stays cached: polling them in turn reads no file
    again. The ``max_age`` callback is asked once per path within MAX_AGE_TTL (10 s), not per request."""
    asked: list[str] = []
    app = make_app(site, max_age=lambda rel: asked.append(rel) or 300)
    paths = ("/rss.xml", "/atom.xml", "/feed.json", "/blog/rss.xml")
    for path in paths:
        assert call_asgi(app, path)[0].startswith("200")
    reads: list[str] = []
    real_open = os.open
    monkeypatch.setattr(serve_app.os, "open", lambda p, *a, **k: reads.append(p) or real_open(p, *a, **k))
    for path in paths * 2:
        assert call_asgi(app, path)[0].startswith("200")
    assert reads == []
    assert sorted(asked) == sorted(p[1:] for p in paths)


def test_cache_evicts_to_stay_within_its_budget(site, monkeypatch):
    """The in-memory cache holds at most CACHE_BUDGET bytes of bodies (64 MiB; 10 kB here): older entries go."""
    monkeypatch.setattr(serve_app, "CACHE_BUDGET", 10_000)
    app = make_app(site)
    files = {f"/blob{i}.bin": os.urandom(3_000) for i in range(8)}   # random: nothing to gzip, cost = size
    for path, data in files.items():
        (site / path[1:]).write_bytes(data)
    for path, data in files.items():
        status, _, body = call_asgi(app, path)
        assert status.startswith("200") and body == data
        assert app._cache_bytes <= 10_000 and app._cache_bytes == sum(e.cost for e in app._cache.values())
    assert "blob7.bin" in app._cache and "blob0.bin" not in app._cache and len(app._cache) == 3
    status, _, body = call_asgi(app, "/blob0.bin")                      # an evicted file is read again
    assert status.startswith("200") and body == files["/blob0.bin"]


def test_the_cache_budget_counts_gzipped_copies_and_keeps_at_most_one_file_over_it(site, monkeypatch):
    monkeypatch.setattr(serve_app, "CACHE_BUDGET", 10_000)
    app = make_app(site)
    for i in range(6):   # text: each is cached with its gzipped copy, and both count
        (site / f"page{i}.css").write_text("".join(f".c{i}-{n} {{ color: #{n * 9973 % 16**6:06x} }}\n" for n in range(120)))
        assert call_asgi(app, f"/page{i}.css")[0].startswith("200")
        assert app._cache[f"page{i}.css"].gz_body
        assert app._cache_bytes == sum(len(e.body or b"") + len(e.gz_body or b"") for e in app._cache.values())
        assert app._cache_bytes <= 10_000
    for name in ("big0.bin", "big1.bin"):   # each alone is within the budget, the two are not
        (site / name).write_bytes(os.urandom(6_000))
        assert call_asgi(app, f"/{name}")[0].startswith("200")
    assert list(app._cache) == ["big1.bin"] and app._cache_bytes == 6_000
    (site / "big2.bin").write_bytes(os.urandom(12_000))     # over the budget alone: still kept, as the only one
    assert call_asgi(app, "/big2.bin")[0].startswith("200")
    assert list(app._cache) == ["big2.bin"] and app._cache_bytes == 12_000


def test_files_up_to_8_mib_are_cached_and_bigger_ones_streamed(site):
    """docs/serving.md: "files up to 8 MiB are read once per version" (kept in memory); bigger ones are streamed."""
    app = make_app(site)
    (site / "at.txt").write_bytes(b"a" * (8 * 1024 * 1024))
    (site / "over.txt").write_bytes(b"a" * (8 * 1024 * 1024 + 1))
    for name in ("at.txt", "over.txt"):
        status, headers, body = call_asgi(app, f"/{name}")
        assert status.startswith("200") and len(body) == (site / name).stat().st_size
    assert app._cache["at.txt"].body is not None and app._cache["over.txt"].body is None


def test_large_files_are_streamed(site, monkeypatch):
    monkeypatch.setattr(serve_app, "MAX_CACHED_FILE", 1024)
    big = os.urandom(300_000)
    (site / "big.bin").write_bytes(big)
    with FeedServer(site, port=0) as srv:
        resp = get(srv, "/big.bin")
        assert resp.status == 200 and resp.data == big
        etag = resp.getheader("ETag")
        assert get(srv, "/big.bin", If_None_Match=etag).status == 304
        assert get(srv, "/big.bin").getheader("ETag") == etag
        assert get(srv, "/big.bin", method="HEAD").getheader("Content-Length") == str(len(big))


def test_a_streamed_file_closed_again_after_its_end_closes_nothing_else(site):
    # The server closes a body it has read to the end once more; that must not close another fd (here 0, stdin).
    code = ("import os, sys\nfrom seedfeed.serve.app import _FileStream\n"
            "stream = _FileStream(os.open(sys.argv[1], os.O_RDONLY))\n"
            "assert b''.join(stream) == open(sys.argv[1], 'rb').read()\nstream.close()\nstream.close()\nos.fstat(0)\n")
    done = subprocess.run([sys.executable, "-c", code, str(site / "atom.xml")], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


def test_streamed_file_closed_even_if_never_iterated(site, monkeypatch):
    monkeypatch.setattr(serve_app, "MAX_CACHED_FILE", 1024)
    (site / "big.bin").write_bytes(bytes(10_000))
    app = AsgiApp(make_app(site))

    async def gone(message: dict) -> None:  # the client went away before the body was sent
        raise ConnectionResetError

    opened = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None
    for _ in range(20):
        with pytest.raises(ConnectionResetError):  # the file was opened to stream it, but never read
            asyncio.run(app(http_scope("GET", "/big.bin"), no_body, gone))
        call_asgi(app, "/big.bin", method="HEAD")  # nothing to send: no fd left behind either
    if opened is not None:
        assert len(os.listdir("/proc/self/fd")) <= opened


# ------------------------------------------------------------------------------------ lifecycle


def test_stop_returns_and_frees_the_port(site):
    srv = FeedServer(site, port=0)
    srv.start()
    port = srv.port
    assert port != 0
    keepalive = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    keepalive.request("GET", "/rss.xml")
    keepalive.getresponse().read()  # an idle keep-alive connection must not block stop()
    srv.stop()
    keepalive.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
    srv.stop()  # idempotent


def test_serve_forever_returns_after_stop(site):
    srv = FeedServer(site, port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    for _ in range(500):
        if srv.port:
            break
        time.sleep(0.01)
    for _ in range(500):
        try:
            if get(srv, "/rss.xml").status == 200:
                break
        except OSError:
            time.sleep(0.01)
    srv.stop()
    thread.join(10)
    assert not thread.is_alive()


def test_standalone_serve_forever_stops_on_ctrl_c(site):
    script = (
        # serve_forever() starts the server itself; the port is told from another thread once it is bound, so the
        # Ctrl-C below always comes while serve_forever() runs (a start() before it left a window where it did not)
        "import sys, threading, time\nfrom pathlib import Path\nfrom seedfeed.serve import FeedServer\n"
        "srv = FeedServer(Path(sys.argv[1]), port=0)\n"
        "def tell():\n    while srv.port in (None, 0):\n        time.sleep(0.01)\n    print(srv.port, flush=True)\n"
        "threading.Thread(target=tell, daemon=True).start()\n"
        "srv.serve_forever()\nprint('stopped', flush=True)\n"
    )
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        [sys.executable, "-c", script, str(site)], stdout=subprocess.PIPE, text=True, cwd=repo, env=env
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/rss.xml")
        assert conn.getresponse().read() == RSS.encode()
        conn.close()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert "stopped" in out and proc.returncode == 0


def test_ipv6_loopback(site):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        srv = FeedServer(site, "::1", 0)
        srv.start()
    except OSError:
        pytest.skip("::1 not available")
    try:
        conn = http.client.HTTPConnection("::1", srv.port, timeout=10)
        conn.request("GET", "/rss.xml")
        assert conn.getresponse().read() == RSS.encode()
        conn.close()
        assert srv.url == f"http://[::1]:{srv.port}"
    finally:
        srv.stop()


def test_event_loop_never_reads_files(site):
    """The ASGI face reads files (cache misses) only in a worker thread, never on the loop."""
    app = make_app(site)
    with pytest.raises(serve.NeedsRead):
        app.respond("GET", "/atom.xml", lambda name: None, may_read=False)
    assert app.respond("GET", "/atom.xml", lambda name: None).status == 200
    assert app.respond("GET", "/atom.xml", lambda name: None, may_read=False).status == 200  # hit
    assert app.respond("GET", "/missing", lambda name: None, may_read=False).status == 404


def test_binds_loopback_by_default(site):
    with FeedServer(site, port=0) as srv:
        assert srv.host == "127.0.0.1"
        assert srv.url == f"http://127.0.0.1:{srv.port}"


def test_uvicorn_end_to_end_then_port_freed(site):
    with FeedServer(site, port=0) as srv:
        first = get(srv, "/atom.xml")
        assert first.status == 200 and first.data == ATOM.encode()
        assert get(srv, "/atom.xml", If_None_Match=first.getheader("ETag")).status == 304
        assert get(srv, "/atom.xml", method="HEAD").data == b""
        assert get(srv, "/atom.xml", method="DELETE").status == 405
        for target in TRAVERSALS[:8]:
            status, data = raw(srv.port, target)
            assert status in (400, 404) and SECRET.encode() not in data
        port = srv.port
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_asgi_app_follows_the_protocol(site):
    app = make_app(site)  # call_asgi checks the ASGI message sequence of every answer
    status, headers, body = call_asgi(app, "/atom.xml", Accept_Encoding="gzip")
    assert status == "200 OK" and gzip.decompress(body) == ATOM.encode()
    etag = headers["ETag"]
    assert call_asgi(app, "/atom.xml", If_None_Match=etag)[0] == "200 OK"  # gzip ETag, identity asked
    assert call_asgi(app, "/atom.xml", If_None_Match=etag, Accept_Encoding="gzip")[0] == "304 Not Modified"
    assert call_asgi(app, "/atom.xml", method="HEAD")[2] == b""
    assert call_asgi(app, "/nope")[0] == "404 Not Found"
    assert call_asgi(app, "/items/first.html")[2] == PAGE.encode()
    # raw_path holds the bytes of the request line: b"/\xc3(" is not UTF-8, percent-encoded or not
    assert call_asgi(app, b"/%C3(")[0] == "400 Bad Request"
    assert call_asgi(app, b"/\xc3(")[0] == "400 Bad Request"


def test_invalid_utf8_path_is_400_over_the_wire(server):
    assert raw(server.port, b"/%C3(")[0] == 400


def test_asgi_lifespan_completes():
    sent: list[dict] = []
    incoming = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

    async def receive() -> dict:
        return next(incoming)

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(AsgiApp(None)({"type": "lifespan"}, receive, send))  # type: ignore[arg-type]
    assert [m["type"] for m in sent] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]


# ----------------------------------------------------------------------------------- parse_listen


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("127.0.0.1:8080", ("127.0.0.1", 8080)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("localhost:9000", ("localhost", 9000)),
        (":8081", ("127.0.0.1", 8081)),
        ("8082", ("127.0.0.1", 8082)),
        ("[::1]:8000", ("::1", 8000)),
        ("[::]:0", ("::", 0)),
        ("[::1]", ("::1", 8000)),
        ("example.internal", ("example.internal", 8000)),
    ],
)
def test_parse_listen(spec, expected):
    assert parse_listen(spec) == expected


@pytest.mark.parametrize("spec", ["::1:8000", "host:port", "host:70000", "[::1", "[::1]8000", ":", "[]:80"])
def test_parse_listen_rejects(spec):
    with pytest.raises(ValueError):
        parse_listen(spec)


# ---------------------------------------------------------------------------------------- helpers


def http_scope(method: str, path: str | bytes, headers: dict[str, str] | None = None) -> dict:
    """An ASGI ``http`` scope as uvicorn builds it; a bytes ``path`` is the raw (still percent-encoded) target."""
    raw_path = path if isinstance(path, bytes) else quote(path).encode()
    headers = {"host": "127.0.0.1", **(headers or {})}   # HTTP/1.1 requires exactly one Host (RFC 9112 section 3.2)
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path.decode("latin-1")),
        "raw_path": raw_path,
        "query_string": b"",
        "root_path": "",
        "headers": [(k.replace("_", "-").lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }


async def no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


def call_asgi(app, path: str | bytes, method: str = "GET", **headers: str) -> tuple[str, CaseInsensitiveDict, bytes]:
    """Drive the ASGI face of ``app`` (a FeedApp core, or an AsgiApp) for one request, checking the message
    sequence; returns ("200 OK", headers, body) like a WSGI server would see it."""
    asgi = app if isinstance(app, AsgiApp) else AsgiApp(app)
    messages: list[dict] = []

    async def send(message: dict) -> None:
        messages.append(message)

    asyncio.run(asgi(http_scope(method, path, headers), no_body, send))
    start, *bodies = messages
    assert start["type"] == "http.response.start" and isinstance(start["status"], int)
    assert all(isinstance(k, bytes) and isinstance(v, bytes) and k == k.lower() for k, v in start["headers"])
    assert bodies and all(m["type"] == "http.response.body" for m in bodies)
    assert all(m.get("more_body") for m in bodies[:-1]) and not bodies[-1].get("more_body", False)
    status = start["status"]
    response_headers = CaseInsensitiveDict((k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"])
    return f"{status} {HTTPStatus(status).phrase}", response_headers, b"".join(m.get("body", b"") for m in bodies)
