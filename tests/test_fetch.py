"""The fetching layer against real local HTTP servers (pytest-httpserver and tiny raw-socket servers).

Every test fetcher keeps the SSRF guard ON and lets only loopback through (``allowed_networks``), so no test can
send a packet to a non-loopback address even by mistake. A recording socket class asserts that, too.
"""

from __future__ import annotations

import email.utils
import gzip
import ipaddress
import os
import random
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer
from seedfeed import __version__
from seedfeed.errors import FetchError
from seedfeed.fetch.fetcher import DEFAULT_USER_AGENT, Fetcher, FetchJob, FetchPolicy, parse_content_type, parse_retry_after
from seedfeed.fetch.netguard import BlockedAddressError, Guard, address_problem, check_url
from seedfeed.fetch.policy import FEED_ACCEPT
from seedfeed.fetch.robots import ROBOTS_MAX_BYTES
from seedfeed.sources.decode import decode
from werkzeug import Request, Response

from tests.conftest import ROOT

LOOPBACK = ("127.0.0.0/8", "::1/128")
HTML = b"<!doctype html><html><head><title>t</title></head><body><p>hello</p></body></html>"


def policy(**kw) -> FetchPolicy:
    base = dict(allowed_networks=LOOPBACK, per_host_delay=0, connect_timeout=2, read_timeout=2, deadline=5,
                retries=2, backoff_base=0.01)
    base.update(kw)
    return FetchPolicy(**base)


class Sleeps(list):
    """An injectable sleep that records and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="module")
def _shared_server():
    srv = HTTPServer(host="127.0.0.1")
    srv.no_handler_status_code = 404      # so /robots.txt is "unavailable" (allow all) unless a test says otherwise
    srv.start()
    yield srv
    srv.stop()


def reset(srv: HTTPServer) -> None:
    srv.clear()
    srv.no_handler_status_code = 404


@pytest.fixture
def server(_shared_server):
    reset(_shared_server)
    yield _shared_server
    reset(_shared_server)


pytestmark = pytest.mark.usefixtures("only_loopback")   # conftest: connections outside loopback fail


def fetcher(sleep: Callable[[float], None] | None = None, **kw) -> Fetcher:
    return Fetcher(policy(**kw), sleep=Sleeps() if sleep is None else sleep, rng=random.Random(1))


def fails(f: Fetcher, url: str, *words: str, status: int | None = None, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        f.fetch(url, **kw)
    err = info.value
    assert err.message.startswith(url), err.message          # names the URL ...
    for word in words:                                        # ... and says why
        assert word in err.message, err.message
    assert err.hint
    assert err.status == status
    assert "Traceback" not in str(err)
    return err


# --- raw socket servers for behaviour pytest-httpserver cannot produce ---------------------------------------


class RawServer:
    """Accepts connections on 127.0.0.1 and runs ``handler(conn)`` for each in a thread."""

    def __init__(self, handler: Callable[[socket.socket, threading.Event], None]) -> None:
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.active = 0
        self.peak = 0
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self._lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            self.handler(conn, self.stop)
        except OSError:
            pass
        finally:
            with self._lock:
                self.active -= 1
            conn.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    data = b""
    conn.settimeout(5)
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.fixture
def raw():
    servers: list[RawServer] = []

    def make(handler):
        srv = RawServer(handler)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()


def robots_404(conn: socket.socket, request: bytes) -> bool:
    if request.startswith(b"GET /robots.txt"):
        conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        return True
    return False


# --- success, conditional GET --------------------------------------------------------------------------------


def test_200_returns_body_type_charset_and_validators(server):
    server.expect_request("/a").respond_with_data(
        HTML, content_type="text/html; charset=ISO-8859-1",
        headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"})
    with fetcher() as f:
        r = f.fetch(server.url_for("/a"))
    assert (r.status, r.body, r.content_type, r.charset) == (200, HTML, "text/html", "ISO-8859-1")
    assert r.etag == '"v1"' and r.last_modified == "Wed, 01 Jan 2025 00:00:00 GMT"
    assert r.url == r.final_url == server.url_for("/a")


def test_user_agent_is_honest_and_configurable(server):
    seen = []
    server.expect_request("/ua").respond_with_handler(
        lambda req: (seen.append(req.headers.get("User-Agent")), Response(HTML, content_type="text/html"))[1])
    with fetcher() as f:
        f.fetch(server.url_for("/ua"))
    with fetcher(user_agent="mybot/1 (+https://example.org/bot)") as f:
        f.fetch(server.url_for("/ua"))
    assert seen[0] == DEFAULT_USER_AGENT == f"seedfeed/{__version__} (+https://github.com/seedfeed/seedfeed)"
    assert seen[1] == "mybot/1 (+https://example.org/bot)"


def conditional(req: Request) -> Response:
    etag, modified = '"v7"', "Tue, 03 Jun 2025 10:00:00 GMT"
    if req.headers.get("If-None-Match") == etag or req.headers.get("If-Modified-Since") == modified:
        return Response(status=304, headers={"ETag": etag})
    return Response(HTML, content_type="text/html; charset=utf-8", headers={"ETag": etag, "Last-Modified": modified})


def test_304_with_etag(server):
    server.expect_request("/c").respond_with_handler(conditional)
    with fetcher() as f:
        first = f.fetch(server.url_for("/c"))
        again = f.fetch(server.url_for("/c"), etag=first.etag)
    assert first.status == 200 and first.etag == '"v7"'
    assert (again.status, again.body, again.etag) == (304, b"", '"v7"')


def test_304_with_last_modified(server):
    server.expect_request("/c").respond_with_handler(conditional)
    with fetcher() as f:
        first = f.fetch(server.url_for("/c"))
        again = f.fetch(server.url_for("/c"), last_modified=first.last_modified)
    assert again.status == 304 and again.body == b""
    assert again.last_modified == "Tue, 03 Jun 2025 10:00:00 GMT"   # kept from the caller when not re-sent


@pytest.mark.parametrize(("sent", "expected"), [('"v8"', '"v8"'), (None, '"v7"')])
def test_a_304_gives_the_new_etag_if_sent_else_keeps_the_callers(server, sent, expected):
    headers = {"ETag": sent} if sent else {}
    server.expect_request("/c").respond_with_data("", status=304, headers=headers)
    with fetcher() as f:
        again = f.fetch(server.url_for("/c"), etag='"v7"')
    assert (again.status, again.etag) == (304, expected)


def test_an_unexpected_exception_is_this_urls_failure_named_as_a_bug():
    def broken(host, port, *args):   # stands in for a bug anywhere below fetch()
        raise RuntimeError("boom")
    with Fetcher(policy(respect_robots=False, retries=0), sleep=Sleeps(), resolver=broken) as f:
        err = fails(f, "http://broken.example/x", "unexpected error", "RuntimeError", "boom")
    assert "bug" in err.hint


# --- redirects -----------------------------------------------------------------------------------------------


def test_redirect_chain_301_302(server):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/older"})
    server.expect_request("/older").respond_with_data("", status=302, headers={"Location": server.url_for("/new")})
    server.expect_request("/new").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        r = f.fetch(server.url_for("/old"))
    assert r.url == server.url_for("/old") and r.final_url == server.url_for("/new") and r.body == HTML


def test_redirect_loop_is_reported(server):
    server.expect_request("/a").respond_with_data("", status=302, headers={"Location": "/b"})
    server.expect_request("/b").respond_with_data("", status=302, headers={"Location": "/a"})
    with fetcher() as f:
        err = fails(f, server.url_for("/a"), "redirect loop", "/b")
    assert err.message.endswith("/b -> " + server.url_for("/a") + ")")


def test_too_many_redirects(server):
    for i in range(8):
        server.expect_request(f"/r{i}").respond_with_data("", status=307, headers={"Location": f"/r{i + 1}"})
    with fetcher() as f:
        fails(f, server.url_for("/r0"), "more than 5 redirects")


def test_redirect_to_other_scheme_refused(server):
    server.expect_request("/ftp").respond_with_data("", status=302, headers={"Location": "ftp://example.org/x"})
    with fetcher() as f:
        fails(f, server.url_for("/ftp"), "ftp", "only http and https")


# --- error statuses, retries, Retry-After --------------------------------------------------------------------


@pytest.mark.parametrize(("status", "words", "hint"), [
    (404, ["404 Not Found"], "the page may have moved"), (410, ["410 Gone", "removed"], "remove this source or fix"),
    (403, ["403"], "block automated readers"), (401, ["login"], "public pages only"),
    (451, ["451 Unavailable For Legal Reasons"], "remove this source"), (400, ["400 Bad Request"], "in a browser")])
def test_client_errors_carry_status_and_a_hint_for_their_cause(server, status, words, hint):
    server.expect_request("/x").respond_with_data("nope", status=status)
    sleeps = Sleeps()
    with fetcher(sleeps) as f:
        err = fails(f, server.url_for("/x"), *words, status=status)
    assert hint in err.hint, err.hint
    assert "Location" not in err.message   # only a 3xx is blamed on a missing Location
    assert "redirected" not in err.message
    assert sleeps == []   # not retried


def test_an_error_after_a_redirect_names_where_it_was_redirected(server):
    server.expect_request("/old").respond_with_data("", status=301, headers={"Location": "/gone"})
    server.expect_request("/gone").respond_with_data("", status=410)
    with fetcher() as f:
        fails(f, server.url_for("/old"), f"(redirected to {server.url_for('/gone')})", "410 Gone", status=410)


def test_500_retried_with_backoff_then_reported(server):
    server.expect_request("/e").respond_with_data("oops", status=500)
    sleeps = Sleeps()
    with fetcher(sleeps, retries=3, backoff_base=1.0) as f:
        fails(f, server.url_for("/e"), "500 Internal Server Error", "after 4 tries", "will retry next run",
              status=500)
    assert len(sleeps) == 3
    for n, s in enumerate(sleeps):       # equal jitter: between half and all of base * 2**n
        assert 2 ** n / 2 <= s <= 2 ** n
    assert [req.path for req, _ in server.log].count("/e") == 4


def test_502_then_success(server):
    answers = iter([Response("", status=502), Response(HTML, content_type="text/html")])
    server.expect_request("/flaky").respond_with_handler(lambda req: next(answers))
    sleeps = Sleeps()
    with fetcher(sleeps) as f:
        assert f.fetch(server.url_for("/flaky")).status == 200
    assert len(sleeps) == 1


def test_503_with_retry_after_seconds(server):
    server.expect_request("/busy").respond_with_data("", status=503, headers={"Retry-After": "7"})
    sleeps = Sleeps()
    with fetcher(sleeps, retries=2) as f:
        fails(f, server.url_for("/busy"), "503 Service Unavailable", "after 3 tries", status=503)
    assert sleeps == [7.0, 7.0]


def test_429_with_retry_after_date(server):
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    server.expect_request("/slow").respond_with_data("", status=429, headers={"Retry-After": when})
    sleeps = Sleeps()
    with fetcher(sleeps, retries=1) as f:
        fails(f, server.url_for("/slow"), "429 Too Many Requests", status=429)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_retry_after_longer_than_cap_gives_up_now(server):
    server.expect_request("/later").respond_with_data("", status=429, headers={"Retry-After": "3600"})
    sleeps = Sleeps()
    with fetcher(sleeps, max_retry_wait=120) as f:
        fails(f, server.url_for("/later"), "3600 s", "120 s", "will retry next run", status=429)
    assert sleeps == []
    assert [req.path for req, _ in server.log] == ["/robots.txt", "/later"]


def test_total_retry_wait_is_bounded(server):
    server.expect_request("/busy").respond_with_data("", status=503, headers={"Retry-After": "70"})
    sleeps = Sleeps()
    with fetcher(sleeps, retries=5, max_retry_wait=120) as f:
        fails(f, server.url_for("/busy"), "503", "after 2 tries", status=503)
    assert sleeps == [70.0]      # a second 70 s wait would pass the 120 s budget


def test_the_waits_add_up_to_max_retry_wait_and_not_a_second_more(server):
    server.expect_request("/busy").respond_with_data("", status=503, headers={"Retry-After": "1"})
    sleeps = Sleeps()
    with fetcher(sleeps, retries=5, max_retry_wait=2) as f:
        fails(f, server.url_for("/busy"), "503", "after 3 tries", status=503)
    assert sleeps == [1.0, 1.0]      # a third 1 s wait would make 3 s in all


def test_203_from_a_transforming_proxy_is_a_page(server):
    server.expect_request("/proxied").respond_with_data(HTML, status=203, content_type="text/html")
    with fetcher() as f:
        result = f.fetch(server.url_for("/proxied"))
    assert (result.status, result.body) == (200, HTML)


@pytest.mark.parametrize("status", [204, 299])
def test_a_2xx_without_a_page_is_an_error_naming_the_status(server, status):
    server.expect_request("/odd").respond_with_data("", status=status)
    with fetcher() as f:
        err = fails(f, server.url_for("/odd"), f"server answered {status}", status=status)
    assert "Location" not in err.message


@pytest.mark.parametrize("status", [300, 399])
def test_a_3xx_without_location_says_so(server, status):
    server.expect_request("/choices").respond_with_data("", status=status)
    with fetcher() as f:
        fails(f, server.url_for("/choices"), str(status), "without a usable Location", status=status)


def test_parse_retry_after():
    now = 1_700_000_000.0
    assert parse_retry_after("120") == 120
    assert parse_retry_after(email.utils.formatdate(now + 90, usegmt=True), now=now) == pytest.approx(90)
    assert parse_retry_after(email.utils.formatdate(now - 90, usegmt=True), now=now) == 0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_connection_refused_is_retried_and_reported():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()                     # nothing listens there now
    sleeps = Sleeps()
    with fetcher(sleeps, retries=1) as f:
        fails(f, f"http://127.0.0.1:{port}/", "connection refused", "after 2 tries")
    assert len(sleeps) == 1


def test_unknown_host_is_not_retried():
    def resolver(host, port, *args):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    sleeps = Sleeps()
    with Fetcher(policy(), sleep=sleeps, resolver=resolver) as f:
        fails(f, "http://no-such-host.invalid/a", "no-such-host.invalid could not be found", "DNS")
    assert sleeps == []


def test_temporary_dns_failure_is_retried():
    def resolver(host, port, *args):
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
    sleeps = Sleeps()
    with Fetcher(policy(retries=1), sleep=sleeps, resolver=resolver) as f:
        fails(f, "http://flaky-dns.example/a", "after 2 tries", respect_robots=False)
    assert len(sleeps) == 1


@pytest.mark.parametrize("bad", ["http://example.com:99999/", "http://exa mple.com/"])
def test_invalid_urls(bad):
    with fetcher() as f:
        fails(f, bad, "not a valid URL")


# --- timeouts, deadline, size caps ---------------------------------------------------------------------------


def test_server_that_hangs_hits_read_timeout(raw):
    def hang(conn, stop):
        request = read_request(conn)
        if not robots_404(conn, request):
            stop.wait(5)
    srv = raw(hang)
    sleeps = Sleeps()
    with fetcher(sleeps, read_timeout=0.3, retries=1) as f:
        fails(f, srv.url("/page"), "did not answer within 0.3 s", "after 1 try")
    assert sleeps == []    # a timeout is not retried within the run: the schedule is the retry (issue #11)


def drip(headers_first: bool):
    def handler(conn, stop):
        request = read_request(conn)
        if robots_404(conn, request):
            return
        if headers_first:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n")
            payload = b"<html>" + b"x" * 99994
        else:
            payload = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 50000 + b"\r\n\r\n"
        for byte in payload:        # one byte every 0.1 s: each read is quick, the whole is never done
            if stop.wait(0.1):
                return
            conn.sendall(bytes([byte]))
    return handler


@pytest.mark.parametrize("headers_first", [True, False], ids=["dripping-body", "dripping-headers"])
def test_dripping_server_is_cut_off_by_deadline(raw, headers_first):
    srv = raw(drip(headers_first))
    sleeps = Sleeps()
    start = time.monotonic()
    with fetcher(sleeps, read_timeout=0.5, deadline=1.0) as f:
        fails(f, srv.url("/drip"), "longer than the 1 s deadline")
    elapsed = time.monotonic() - start
    assert 0.9 <= elapsed < 2.5
    assert sleeps == []           # a deadline is not retried


def test_stalled_tls_handshake_is_cut_off_by_deadline(raw):
    def silent(conn, stop):
        conn.recv(4096)          # the ClientHello; no ServerHello ever comes
        stop.wait(5)
    srv = raw(silent)
    start = time.monotonic()
    with fetcher(connect_timeout=5, read_timeout=5, deadline=0.8) as f:
        fails(f, f"https://127.0.0.1:{srv.port}/", "deadline", respect_robots=False)
    assert time.monotonic() - start < 2


def test_a_connect_that_never_completes_is_cut_off_by_the_connect_timeout():
    """A listening socket whose accept queue is full: Linux drops further SYNs, so a connect hangs. The connect
    timeout (0.5 s) ends it, not the 5 s deadline; the guarded connection sets it on the socket it pins."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)                  # never accepted: one connection fills the queue
        port = listener.getsockname()[1]
        filling = []
        try:
            for _ in range(3):
                s = socket.socket()
                filling.append(s)
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
            time.sleep(0.2)
            with fetcher(connect_timeout=0.5, deadline=5, retries=0) as f:
                fails(f, f"http://127.0.0.1:{port}/", "could not connect within 0.5 s", respect_robots=False)
        finally:
            for s in filling:
                s.close()


def stream_big(size: int, with_length: bool):
    chunk = b"<p>" + b"a" * (64 * 1024 - 3)

    def handler(conn, stop):
        request = read_request(conn)
        if robots_404(conn, request):
            return
        head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
        if with_length:
            head += b"Content-Length: %d\r\n" % size
        conn.sendall(head + b"\r\n")
        sent = 0
        while sent < size and not stop.is_set():
            conn.sendall(chunk)
            sent += len(chunk)
    return handler


@pytest.mark.parametrize("with_length", [True, False], ids=["content-length", "streamed"])
def test_50mb_body_is_cut_at_cap(raw, with_length):
    srv = raw(stream_big(50 * 1024 * 1024, with_length))
    start = time.monotonic()
    with fetcher(max_bytes=10 * 1024 * 1024) as f:
        fails(f, srv.url("/big"), "larger than 10 MB", status=200)
    assert time.monotonic() - start < 5


def gzip_bomb(megabytes: int) -> bytes:
    """A valid gzip stream of ``megabytes`` MB of zeros, built from one repeated self-contained deflate block."""
    zeros = bytes(1024 * 1024)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = comp.compress(b"<html><body>") + comp.flush(zlib.Z_FULL_FLUSH)
    block = comp.compress(zeros) + comp.flush(zlib.Z_FULL_FLUSH)   # no back-references across the flush
    tail = comp.flush(zlib.Z_FINISH)
    crc = zlib.crc32(b"<html><body>")
    for _ in range(megabytes):
        crc = zlib.crc32(zeros, crc)
    size = 12 + megabytes * len(zeros)
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + head + block * megabytes + tail
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


def test_gzip_bomb_builder_is_valid():
    assert gzip.decompress(gzip_bomb(3)) == b"<html><body>" + bytes(3 * 1024 * 1024)


def test_gzip_bomb_is_stopped_without_inflating_it(server):
    bomb = gzip_bomb(200)       # ~200 KB on the wire, 200 MB inflated
    assert len(bomb) < 400_000
    server.expect_request("/bomb").respond_with_data(
        bomb, content_type="text/html", headers={"Content-Encoding": "gzip"})
    with fetcher(max_bytes=2 * 1024 * 1024) as f:
        tracemalloc.start()
        try:
            fails(f, server.url_for("/bomb"), "larger than 2 MB", "decompression", status=200)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 12 * 1024 * 1024, peak


def test_gzip_page_is_decompressed(server):
    server.expect_request("/gz").respond_with_data(
        gzip.compress(HTML), content_type="text/html", headers={"Content-Encoding": "gzip"})
    with fetcher() as f:
        assert f.fetch(server.url_for("/gz")).body == HTML


# --- content types and charsets ------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", ["image/png", "application/pdf", "application/rss+xml"])
def test_non_html_is_refused_with_its_type(server, ctype):
    server.expect_request("/file").respond_with_data(b"\x89PNG....", content_type=ctype)
    with fetcher() as f:
        fails(f, server.url_for("/file"), ctype, "not an HTML page", status=200)


def untyped(body: bytes) -> Response:
    resp = Response(body)
    del resp.headers["Content-Type"]
    return resp


def test_xhtml_accepted_and_missing_type_sniffed(server):
    server.expect_request("/x").respond_with_data(HTML, content_type="application/xhtml+xml")
    server.expect_request("/none").respond_with_handler(lambda req: untyped(HTML))
    server.expect_request("/bin").respond_with_handler(lambda req: untyped(b"\x00\x01binary"))
    with fetcher() as f:
        assert f.fetch(server.url_for("/x")).content_type == "application/xhtml+xml"
        assert f.fetch(server.url_for("/none")).content_type == "text/html"
        fails(f, server.url_for("/bin"), "unknown type", status=200)


def test_lying_charset_decodes_right_with_feeds_decode(server):
    text = "<html><body><p>Café – “quoted” naïve</p></body></html>"
    server.expect_request("/lie").respond_with_data(text.encode("cp1252"), content_type="text/html; charset=utf-8")
    with fetcher() as f:
        r = f.fetch(server.url_for("/lie"))
    assert r.charset == "utf-8"
    assert decode(r.body, r.charset, html=True).text == text


def test_parse_content_type():
    assert parse_content_type('text/HTML; charset="UTF-8"') == ("text/html", "UTF-8")
    assert parse_content_type("text/html") == ("text/html", None)
    assert parse_content_type(None) == ("", None)


# --- robots.txt ----------------------------------------------------------------------------------------------


def test_robots_disallow_is_respected_and_can_be_overridden(server):
    server.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private\n\nUser-agent: otherbot\nDisallow: /\n", content_type="text/plain")
    server.expect_request("/private/x").respond_with_data(HTML, content_type="text/html")
    server.expect_request("/public").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        assert f.fetch(server.url_for("/public")).status == 200
        fails(f, server.url_for("/private/x"), "robots.txt", "disallows")
        assert f.fetch(server.url_for("/private/x"), respect_robots=False).status == 200
    with fetcher(respect_robots=False) as f:
        assert f.fetch(server.url_for("/private/x")).status == 200
    robots_hits = [req for req, _ in server.log if req.path == "/robots.txt"]
    assert len(robots_hits) == 1     # cached per host


def test_a_robots_txt_over_the_size_limit_is_read_up_to_it(server):
    # RFC 9309: a crawler MUST parse at least 500 KiB; past our limit the file is cut, not refused as too big
    padding = "# " + "x" * 98 + "\n"
    robots = "User-agent: *\nDisallow: /private\n" + padding * (ROBOTS_MAX_BYTES // len(padding) + 100)
    assert len(robots) > ROBOTS_MAX_BYTES
    server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    server.expect_request("/private/x").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        fails(f, server.url_for("/private/x"), "robots.txt", "disallows")


def test_robots_rules_for_our_token(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: seedfeed\nDisallow: /\n")
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        fails(f, server.url_for("/a"), "disallows")


def test_robots_rules_follow_a_configured_user_agent(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: examplebot\nDisallow: /\n")
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher(user_agent="examplebot/2.0 (+https://example.org/bot)") as f:
        fails(f, server.url_for("/a"), "disallows")


def test_robots_5xx_means_disallow_all_robots_4xx_means_allow_all(server):
    server.expect_request("/robots.txt").respond_with_data("", status=503)
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        fails(f, server.url_for("/a"), "robots.txt", "503", "RFC 9309")
    reset(server)
    server.expect_request("/robots.txt").respond_with_data("", status=403)
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        assert f.fetch(server.url_for("/a")).status == 200


def test_robots_redirect_loop_means_no_rules(server):
    server.expect_request("/robots.txt").respond_with_data("", status=301, headers={"Location": "/robots.txt"})
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        assert f.fetch(server.url_for("/a")).status == 200


def test_robots_redirect_into_private_network_disallows_site(server):
    server.expect_request("/robots.txt").respond_with_data(
        "", status=302, headers={"Location": "http://10.0.0.1/robots.txt"})
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        fails(f, server.url_for("/a"), "robots.txt could not be read", "10.0.0.1", "RFC 9309")


def test_robots_crawl_delay_slows_the_host(server):
    server.expect_request("/robots.txt").respond_with_data("User-agent: *\nCrawl-delay: 4\n")
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    clock = FakeClock()
    with Fetcher(policy(per_host_delay=0), sleep=clock.sleep, clock=clock) as f:
        f.fetch(server.url_for("/a"))
        f.fetch(server.url_for("/a"))
    assert clock.sleeps and clock.sleeps[-1] == pytest.approx(4)


# --- per-host politeness and concurrency ---------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.now += seconds


def test_per_host_delay_is_honoured(server):
    server.expect_request("/p").respond_with_data(HTML, content_type="text/html")
    clock = FakeClock()
    with Fetcher(policy(per_host_delay=3.0), sleep=clock.sleep, clock=clock) as f:
        for _ in range(4):
            f.fetch(server.url_for("/p"))
    # robots.txt at t=0, then the four pages each 3 s after the previous request start
    assert clock.sleeps == [pytest.approx(3.0)] * 4
    assert clock.now == pytest.approx(1012.0)


def slow_page(delay: float):
    def handler(conn, stop):
        request = read_request(conn)
        if robots_404(conn, request):
            return
        stop.wait(delay)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(HTML), HTML))
    return handler


def test_fetch_many_limits_per_host_and_runs_hosts_in_parallel(raw):
    srv = raw(slow_page(0.25))
    jobs = [FetchJob(srv.url(f"/a{i}", host)) for i in range(6) for host in ("127.0.0.1", "localhost")]
    with fetcher(per_host_concurrency=2, max_workers=8) as f:
        results = f.fetch_many(jobs)
    assert [r.url for r in results] == [j.url for j in jobs]          # same order as the jobs
    assert all(r.status == 200 for r in results)
    assert srv.peak <= 4                                                 # 2 per host, two "hosts"
    assert srv.peak >= 3                                                 # ... and the hosts overlapped (no clock)


def test_fetch_many_counts_each_port_as_its_own_host(raw):
    """Two servers on one address but different ports are two hosts: with one request per host at a time, both
    requests are in flight together. Each handler waits for the other's request, so run one after the other
    they would time out instead of answering."""
    both = threading.Barrier(2, timeout=5)

    def handler(conn, stop):
        request = read_request(conn)
        if robots_404(conn, request):
            return
        both.wait()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s"
                     % (len(HTML), HTML))

    one, two = raw(handler), raw(handler)
    with fetcher(per_host_concurrency=1, max_workers=4, read_timeout=10, deadline=10) as f:
        results = f.fetch_many([FetchJob(one.url("/a")), FetchJob(two.url("/b"))])
    assert [getattr(r, "status", r) for r in results] == [200, 200]


def test_fetch_many_reports_a_url_with_a_bad_port_in_place(server):
    server.expect_request("/ok").respond_with_data(HTML, content_type="text/html")
    with fetcher() as f:
        results = f.fetch_many([FetchJob("http://127.0.0.1:99999/"), FetchJob(server.url_for("/ok"))])
    assert isinstance(results[0], FetchError) and "not a valid URL" in results[0].message
    assert results[1].status == 200


def test_fetch_many_returns_errors_in_place(server):
    server.expect_request("/ok").respond_with_data(HTML, content_type="text/html")
    server.expect_request("/gone").respond_with_data("", status=410)
    with fetcher() as f:
        results = f.fetch_many([FetchJob(server.url_for("/ok")), FetchJob(server.url_for("/gone")),
                                FetchJob("ftp://example.org/")])
    assert results[0].status == 200
    assert isinstance(results[1], FetchError) and results[1].status == 410
    assert isinstance(results[2], FetchError) and "only http and https" in results[2].message


# --- SSRF guard ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", ["http://10.0.0.1/admin", "http://169.254.169.254/latest/meta-data/",
                                    "http://[::ffff:10.0.0.1]/", "http://100.64.0.1/", "http://192.168.1.1/",
                                    "http://[fd00::1]/", "http://0.0.0.0/", "http://167772161/",
                                    "http://0x0a000001/"])
@pytest.mark.parametrize("robots", [True, False], ids=["robots", "no-robots"])
def test_redirect_to_private_address_refused_before_connecting(server, target, robots):
    """Each redirect hop is checked before anything is done for it: no DNS lookup, no robots.txt, no connection.

    The connection-level guard would refuse these too, with the same message, so the test watches the
    resolver: numeric hosts such as ``167772161`` reach it only if the hop's pre-check is skipped. With robots.txt
    on, its fetch is pre-checked too, so the ``no-robots`` cases are the ones that see the hop's own check."""
    asked: list[str] = []

    def resolver(host, port, *args):
        asked.append(host)
        return socket.getaddrinfo(host, port, *args)

    server.expect_request("/go").respond_with_data("", status=302, headers={"Location": target})
    with Fetcher(policy(respect_robots=robots), sleep=Sleeps(), resolver=resolver) as f:   # only loopback allowed
        err = fails(f, server.url_for("/go"), "redirected to", "refused", "SSRF")
    assert "allow_private" in err.hint
    assert set(asked) == {"127.0.0.1"}, f"looked up a refused redirect target: {asked}"


def test_private_url_refused_by_default():
    with Fetcher(FetchPolicy(), sleep=Sleeps()) as f:
        fails(f, "http://127.0.0.1:9/", "loopback", "SSRF")
        fails(f, "http://169.254.169.254/", "metadata")
        fails(f, "http://[::1]:9/", "loopback")


def test_hostname_resolving_to_private_address_refused(server):
    def resolver(host, port, *args):
        table = {"internal.example": ["10.1.2.3"], "mixed.example": ["127.0.0.1", "192.168.0.9"],
                 "127.0.0.1": ["127.0.0.1"]}
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in table[host]]
    server.expect_request("/go").respond_with_data(
        "", status=302, headers={"Location": "http://internal.example/"})
    with Fetcher(policy(), sleep=Sleeps(), resolver=resolver) as f:
        err = fails(f, server.url_for("/go"), "internal.example resolves to 10.1.2.3", "private", "SSRF")
        assert "robots" not in err.message
        fails(f, f"http://mixed.example:{server.port}/", "resolves to 192.168.0.9")


def test_connection_is_pinned_to_checked_address_with_original_host_header(server):
    calls = []

    def resolver(host, port, *args):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
    server.expect_request("/pin", headers={"Host": f"pinned.example:{server.port}"}).respond_with_data(
        HTML, content_type="text/html")
    with Fetcher(policy(respect_robots=False), sleep=Sleeps(), resolver=resolver) as f:
        r = f.fetch(f"http://pinned.example:{server.port}/pin")
        f.fetch(f"http://pinned.example:{server.port}/pin")
    assert r.status == 200
    assert set(calls) == {"pinned.example"}   # looked up by the guard only; urllib3 never resolved it again


def test_dns_rebinding_cannot_slip_past_the_check(server):
    answers = iter(["127.0.0.1", "10.0.0.1", "127.0.0.1", "10.0.0.1"])

    def rebinding(host, port, *args):   # a hostile DNS server alternating public-looking and private answers
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
    server.expect_request("/r").respond_with_data(HTML, content_type="text/html")
    with Fetcher(policy(respect_robots=False, retries=0), sleep=Sleeps(), resolver=rebinding) as f:
        assert f.fetch(f"http://rebind.example:{server.port}/r").status == 200   # checked 127.0.0.1, used it
    with Fetcher(policy(respect_robots=False, retries=0), sleep=Sleeps(), resolver=rebinding) as f:
        fails(f, f"http://rebind.example:{server.port}/r", "resolves to 10.0.0.1", "SSRF")   # new connection
    # the recording socket (autouse fixture) proves no connect() ever went to 10.0.0.1


def test_retry_after_of_exactly_max_retry_wait_is_waited_for(server):
    answers = iter([Response("", status=503, headers={"Retry-After": "120"}),
                    Response(HTML, status=200, content_type="text/html")])
    server.expect_request("/busy").respond_with_handler(lambda req: next(answers))
    sleeps = Sleeps()
    with fetcher(sleeps, retries=1, max_retry_wait=120) as f:
        assert f.fetch(server.url_for("/busy")).status == 200
    assert sleeps == [120.0]


@pytest.mark.parametrize("feed", [False, True])
def test_a_feed_is_asked_for_as_a_feed_and_a_page_as_html(server, feed):
    seen: list[str] = []

    def handler(req: Request) -> Response:
        seen.append(req.headers.get("Accept", ""))
        return Response(HTML, status=200, content_type="text/html")
    server.expect_request("/x").respond_with_handler(handler)
    with fetcher(respect_robots=False) as f:
        assert f.fetch(server.url_for("/x"), feed=feed).status == 200
    assert seen == [FEED_ACCEPT if feed else "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"]


def test_robots_cache_ttls_and_statuses():
    from seedfeed.fetch.robots import RobotsCache

    clock = FakeClock()
    answers = {"https://a.example/robots.txt": [(503, b""), (200, b"User-agent: *\nDisallow: /x\n")],
               "https://b.example/robots.txt": [(429, b"")],
               "https://c.example/robots.txt": [(404, b"")]}
    calls = []

    def fetch(url):
        calls.append(url)
        return answers[url].pop(0)
    cache = RobotsCache(DEFAULT_USER_AGENT, fetch, clock=clock, error_ttl=600)
    assert cache.agent == "seedfeed"
    first = cache.check("https://a.example/post")
    assert not first.allowed and "503" in first.reason and "RFC 9309" in first.reason
    assert not cache.check("https://a.example/other").allowed          # cached: no second fetch
    clock.sleep(601)                                                      # the disallow-all expires
    assert cache.check("https://a.example/post").allowed
    assert not cache.check("https://a.example/x/1").allowed
    assert not cache.check("https://b.example/").allowed                 # 429 counts as unreachable
    assert cache.check("https://c.example/anything").allowed             # 404: no rules
    assert calls.count("https://a.example/robots.txt") == 2

    def unreachable(url):
        raise FetchError(f"{url}: connection refused after 2 tries; will retry next run", "", None)
    verdict = RobotsCache(DEFAULT_USER_AGENT, unreachable).check("https://d.example/p")
    assert not verdict.allowed and "connection refused" in verdict.reason


def test_allow_private_turns_guard_off(server):
    server.expect_request("/a").respond_with_data(HTML, content_type="text/html")
    with Fetcher(FetchPolicy(allow_private=True, per_host_delay=0), sleep=Sleeps()) as f:
        assert f.fetch(server.url_for("/a")).status == 200


def test_address_problem_table():
    def problem(ip: str) -> str | None:
        return address_problem(ipaddress.ip_address(ip))
    for ip in ["127.0.0.1", "10.9.8.7", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
               "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
               "::ffff:127.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe", "2002:c0a8:0101::1"]:
        assert problem(ip), ip
    for ip in ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8", "93.184.215.14"]:
        assert problem(ip) is None, ip
    assert "metadata" in problem("169.254.169.254")
    assert address_problem(ipaddress.ip_address("127.0.0.1"), [ipaddress.ip_network("127.0.0.0/8")]) is None


def test_check_url_schemes_and_odd_numeric_hosts():
    guard = Guard.build()
    for url in ["file:///etc/passwd", "gopher://x/", "http:///nohost", "http://0x7f.1/", "http://127.1/"]:
        with pytest.raises(BlockedAddressError):
            check_url(url, guard)
    check_url("https://example.org/a", guard)
    with pytest.raises(BlockedAddressError, match="uses the gopher: scheme; only http and https are fetched"):
        check_url("gopher://x/", guard)
    with pytest.raises(BlockedAddressError, match="uses the missing: scheme"):
        check_url("//example.org/a", guard)


# --- HTTPS: pinned IP, but SNI and certificate checked against the host name ---------------------------------


def _make_cert(tmp_path, hostname: str):
    crypto = pytest.importorskip("cryptography")
    del crypto
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_https_pinned_to_checked_ip_verifies_certificate_for_hostname(tmp_path):
    cert, key = _make_cert(tmp_path, "secure.example")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    sni: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: sni.append(name)
    srv = HTTPServer(host="127.0.0.1", ssl_context=context)
    srv.no_handler_status_code = 404
    srv.start()
    try:
        srv.expect_request("/s").respond_with_data(HTML, content_type="text/html")

        def resolver(host, port, *args):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        with Fetcher(policy(), sleep=Sleeps(), resolver=resolver) as f:
            f.session.verify = str(cert)
            assert f.fetch(f"https://secure.example:{srv.port}/s").body == HTML
            # same server, other name: the certificate does not match, so it is refused
            fails(f, f"https://other.example:{srv.port}/s", "certificate is not valid", "other.example",
                  respect_robots=False)
        assert "secure.example" in sni
    finally:
        srv.stop()


# --- the only_loopback fixture itself ------------------------------------------------------------------------

SWALLOWING_TEST = '''
import pytest
from seedfeed.fetch import Fetcher, FetchPolicy
from seedfeed.errors import FetchError


def test_code_that_turns_the_violation_into_a_fetch_error(only_loopback):
    with Fetcher(FetchPolicy(allow_private=True, retries=0, respect_robots=False)) as f, pytest.raises(FetchError):
        f.fetch("http://192.0.2.1/")   # TEST-NET-1: refused by the fixture before any packet is sent
'''


def test_only_loopback_fails_a_test_even_when_the_code_swallows_the_violation(tmp_path):
    """The fetcher turns any exception into a FetchError, so the fixture records the attempt and fails the test
    in teardown: a test that only expects *some* fetch error must still fail when a non-loopback connection
    was attempted."""
    (tmp_path / "conftest.py").write_text((ROOT / "tests" / "conftest.py").read_text())
    (tmp_path / "test_inner.py").write_text(SWALLOWING_TEST)
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
                             "-c", os.devnull, str(tmp_path / "test_inner.py")], capture_output=True, text=True,
                            timeout=60, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "connections outside loopback were attempted" in result.stdout and "('192.0.2.1', 80)" in result.stdout, (
        result.stdout)


def test_numeric_hosts_that_are_no_ipv4_address_are_left_to_the_resolver():
    """``256.1.1.1`` or ``4294967296`` look numeric but are no address (``inet_aton`` refuses them): the pre-check
    lets them through to name resolution, where the connection-level guard judges what they resolve to."""
    for host in ("256.1.1.1", "4294967296", "1.2.3.4.5", "0x1ffffffff"):
        check_url(f"http://{host}/", Guard.build())
    with pytest.raises(BlockedAddressError, match="is a loopback address"):
        check_url("http://0x7f.1/", Guard.build())


def test_a_guard_made_with_no_arguments_refuses_private_addresses():
    with pytest.raises(BlockedAddressError, match="is a private address"):
        Guard().check_ip("10.0.0.1", ipaddress.ip_address("10.0.0.1"))
    Guard(allow_private=True).check_ip("10.0.0.1", ipaddress.ip_address("10.0.0.1"))


def test_6to4_addresses_are_judged_by_the_ipv4_address_they_embed():
    assert address_problem(ipaddress.ip_address("2002:0808:0808::1")) is None          # 8.8.8.8: public
    problem = address_problem(ipaddress.ip_address("2002:0a00:0001::1"))               # 10.0.0.1: private
    assert problem is not None and "10.0.0.0/8" in problem


def test_an_embedded_ipv4_address_is_read_to_its_last_bit():
    """The broadcast address is blocked as itself; its neighbour ...254 is only "reserved": the label shows
    the whole embedded address was read (IPv4-mapped and 6to4)."""
    for v6 in ("::ffff:255.255.255.255", "2002:ffff:ffff::1"):
        problem = address_problem(ipaddress.ip_address(v6))
        assert problem is not None and problem.startswith("the broadcast address (255.255.255.255/32)"), problem


def test_a_scoped_link_local_answer_is_refused_as_link_local():
    """getaddrinfo gives link-local IPv6 answers with a zone ("fe80::1%eth0"); the guard reads the address."""
    def resolver(host, port, *args):
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("fe80::1%lo", port, 0, 1))]

    with pytest.raises(BlockedAddressError, match="resolves to fe80::1, which is a link-local address"):
        Guard.build(resolver=resolver).resolve("scoped.example", 80)
    assert "link-local" in address_problem(ipaddress.ip_address("fe80::1%eth0"))
