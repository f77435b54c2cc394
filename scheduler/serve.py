"""`seedfeed serve`: serve the output folder to feed readers with correct HTTP caching.

Layers (so the caching logic is testable without any server):

* :class:`FeedApp` -- the server-independent core.  ``respond(method, path, header)`` maps a decoded
  URL path and the request headers to a :class:`Response` (status, headers, body).  It confines paths
  to the output folder, picks the Content-Type, computes strong ETags from a content hash, handles
  ``If-None-Match`` / ``If-Modified-Since`` (RFC 9110 section 13.2.2 precedence), negotiates gzip and
  keeps pre-compressed responses in memory keyed by (inode, mtime_ns, size).
* ``FeedApp.__call__`` is the WSGI face of that core; :func:`make_app` builds one.
* ``FeedApp.asgi`` is its ASGI face.
* :class:`FeedServer` runs the core under uvicorn (chosen by measurement, see docs/serving.md and
  bench/serve.py) in a background thread or in the foreground, and stops it cleanly.  If uvicorn is not
  installed it falls back to the stdlib ``ThreadingHTTPServer`` driving the same core.
"""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import hashlib
import json
import logging
import math
import mimetypes
import os
import socket
import stat
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
MaxAge = Callable[[str], int]
Health = Callable[[], tuple[bool, str]]
HeaderGetter = Callable[[str], "str | None"]

FEED_MAX_AGE = 300
PAGE_MAX_AGE = 3600
ALLOWED_METHODS = "GET, HEAD"
HEALTH_PATH = "/healthz"

#: Files up to this size are kept (with their gzip variant) in memory; larger ones are streamed.
MAX_CACHED_FILE = 8 * 1024 * 1024
#: Total bytes of bodies (identity + gzip) the in-memory cache may hold.
CACHE_BUDGET = 64 * 1024 * 1024
#: Below this size gzip is not worth a Content-Encoding header.
MIN_GZIP_SIZE = 256
CHUNK = 256 * 1024
#: Seconds a ``max_age(path)`` answer is reused.
MAX_AGE_TTL = 10.0

FEED_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json",
}
EXT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".xsl": "text/xsl; charset=utf-8",
    ".json": "application/json",
    ".opml": "text/x-opml; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".pdf": "application/pdf",
}
COMPRESSIBLE_HINTS = ("xml", "json", "javascript", "svg")


def content_type_for(name: str) -> str:
    """Content-Type for a file name (the last path segment)."""
    if name in FEED_TYPES:
        return FEED_TYPES[name]
    ext = os.path.splitext(name)[1].lower()
    if ext in EXT_TYPES:
        return EXT_TYPES[ext]
    guessed, encoding = mimetypes.guess_type(name, strict=False)
    if guessed and not encoding:
        return guessed + ("; charset=utf-8" if guessed.startswith("text/") else "")
    return "application/octet-stream"


def is_compressible(ctype: str) -> bool:
    return ctype.startswith("text/") or any(hint in ctype for hint in COMPRESSIBLE_HINTS)


def default_max_age(rel_path: str) -> int:
    """Seconds a cache may reuse ``rel_path``: feeds change on the schedule, item pages rarely."""
    return FEED_MAX_AGE if rel_path.rsplit("/", 1)[-1] in FEED_TYPES else PAGE_MAX_AGE


def _always_healthy() -> tuple[bool, str]:
    return True, "ok"


def http_date(ts: float) -> str:
    return email.utils.formatdate(ts, usegmt=True)


def parse_http_date(value: str) -> int | None:
    """Epoch seconds of an HTTP-date (IMF-fixdate, RFC 850 or asctime), or None if invalid."""
    try:
        parsed = email.utils.parsedate_tz(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    try:
        return int(email.utils.mktime_tz(parsed))
    except (OverflowError, ValueError):
        return None


def _parse_qvalue(params: list[str]) -> float:
    for param in params:
        key, _, value = param.partition("=")
        if key.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if math.isfinite(q) else 0.0
    return 1.0


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether ``Accept-Encoding`` allows gzip: an explicit gzip/x-gzip q-value wins over ``*``."""
    if not accept_encoding:
        return False
    explicit: float | None = None
    wildcard: float | None = None
    for item in accept_encoding.split(","):
        coding, *params = item.split(";")
        coding = coding.strip().lower()
        if coding in ("gzip", "x-gzip"):
            q = _parse_qvalue(params)
            explicit = q if explicit is None else max(explicit, q)
        elif coding == "*":
            wildcard = _parse_qvalue(params)
    if explicit is not None:
        return explicit > 0
    return wildcard is not None and wildcard > 0


def _split_etags(value: str) -> Iterator[str]:
    """Entity-tags of an If-None-Match list (quoted strings may contain commas)."""
    i, n = 0, len(value)
    while i < n:
        while i < n and value[i] in " \t,":
            i += 1
        if i >= n:
            return
        start = i
        if value.startswith("W/", i):
            i += 2
        if i < n and value[i] == '"':
            end = value.find('"', i + 1)
            i = n if end < 0 else end + 1
        else:
            while i < n and value[i] != ",":
                i += 1
        yield value[start:i].strip()


def etag_matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison (RFC 9110 section 8.8.3.2) of ``etag`` against an If-None-Match value."""
    opaque = etag[2:] if etag.startswith("W/") else etag
    for tag in _split_etags(if_none_match):
        if tag == "*":
            return True
        if (tag[2:] if tag.startswith("W/") else tag) == opaque:
            return True
    return False


class NeedsRead(Exception):
    """Raised by ``FeedApp.respond(..., may_read=False)`` when the answer needs file I/O."""


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes = b""
    #: Streamed body for files too large for the memory cache (None when ``body`` holds it all).
    stream: Iterator[bytes] | None = None

    def close(self) -> None:
        if self.stream is not None:
            close = getattr(self.stream, "close", None)
            if close is not None:
                close()


@dataclass(slots=True)
class _Entry:
    key: tuple[int, int, int]  # (st_ino, st_mtime_ns, st_size)
    mtime: float
    content_type: str
    compressible: bool
    etag: str
    body: bytes | None  # None: too large to cache, stream it from disk
    loaded_at: float  # self.now() when this version was first read: its content is at least this old
    gz_etag: str | None = None
    gz_body: bytes | None = None
    last_modified: str = field(default="")

    @property
    def cost(self) -> int:
        return len(self.body or b"") + len(self.gz_body or b"")


class _FileStream:
    """Chunks of an open file; closes the fd at EOF or on close() (even if never iterated)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def __iter__(self) -> _FileStream:
        return self

    def __next__(self) -> bytes:
        if self.fd < 0:
            raise StopIteration
        chunk = os.read(self.fd, CHUNK)
        if not chunk:
            self.close()
            raise StopIteration
        return chunk

    def close(self) -> None:
        fd, self.fd = self.fd, -1
        if fd >= 0:
            os.close(fd)


class FeedApp:
    """Server-independent core; instances are WSGI applications."""

    def __init__(
        self,
        output_dir: Path,
        *,
        max_age: MaxAge | None = None,
        health: Health | None = None,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.root = os.path.realpath(os.fspath(output_dir))
        self.max_age = max_age or default_max_age
        self.health = health or _always_healthy
        self.now = now
        self._cache: OrderedDict[str, _Entry] = OrderedDict()
        self._cache_bytes = 0
        self._lock = threading.Lock()
        self._max_age_memo: dict[str, tuple[int, float]] = {}

    # ------------------------------------------------------------------ paths

    def resolve(self, path: str) -> tuple[str, str, os.stat_result | None] | None:
        """(relative path, real file system path, its stat if already known) for a decoded URL path,
        or None if it is refused.

        Refused: NUL bytes, backslashes, ``.``/``..`` or dot-file segments (also hides atomic-write
        temp files), anything whose real path (after symlinks) is outside the output folder.
        """
        if "\x00" in path or "\\" in path:
            return None
        segments = [s for s in path.split("/") if s]
        if any(s.startswith(".") for s in segments):
            return None
        # Fast path: lstat each component below the (already real) root; only if one of them is a
        # symlink pay for a full realpath() and check where it lands.
        current = self.root
        st: os.stat_result | None = None
        for segment in segments:
            current = f"{current}/{segment}"
            try:
                st = os.lstat(current)
            except (OSError, ValueError):
                st = None
                break  # does not exist (404 later) or unusable
            if stat.S_ISLNK(st.st_mode):
                st = None
                current = os.path.realpath(os.path.join(self.root, *segments))
                if current != self.root and not current.startswith(self.root + os.sep):
                    return None
                break
        return "/".join(segments), current, st

    # -------------------------------------------------------------- responses

    def respond(self, method: str, path: str, header: HeaderGetter, *, may_read: bool = True) -> Response:
        """Answer one request. ``path`` is the percent-decoded URL path (no query string);
        ``header(name)`` returns a request header value or None.  With ``may_read=False`` a request
        that would have to read a file (cache miss, large file) raises :class:`NeedsRead` instead, so
        an event loop can redo it in a worker thread; everything else costs at most a few ``stat``s."""
        if path == HEALTH_PATH:
            return self._health(method)
        if method not in ("GET", "HEAD"):
            return self._plain(405, "method not allowed", [("Allow", ALLOWED_METHODS)])
        resolved = self.resolve(path)
        if resolved is None:
            return self._plain(404, "not found")
        rel, real, known = resolved
        try:
            st = known if known is not None else os.stat(real)  # known: lstat of a non-symlink
        except (OSError, ValueError):
            return self._plain(404, "not found")
        if stat.S_ISDIR(st.st_mode):
            index = os.path.join(real, "index.html")
            try:
                st = os.stat(index)
            except OSError:
                return self._plain(404, "not found")
            if not stat.S_ISREG(st.st_mode):
                return self._plain(404, "not found")
            if rel and not path.endswith("/"):
                location = "/" + "/".join(urllib.parse.quote(s) for s in rel.split("/")) + "/"
                return self._plain(301, "moved", [("Location", location)])
            rel, real = (f"{rel}/index.html" if rel else "index.html"), index
        elif not stat.S_ISREG(st.st_mode) or path.endswith("/"):  # "/atom.xml/" is not a file
            return self._plain(404, "not found")

        fd: int | None = None
        entry = self._cache.get(rel)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if entry is None or entry.key != key or entry.body is None:
            if not may_read:
                raise NeedsRead(rel)
            try:
                entry, fd = self._load(real, rel)
            except OSError:
                return self._plain(404, "not found")
        try:
            return self._file_response(method, rel, entry, header, fd)
        except BaseException:
            if fd is not None:
                os.close(fd)
            raise

    def _file_response(
        self, method: str, rel: str, entry: _Entry, header: HeaderGetter, fd: int | None
    ) -> Response:
        gz = entry.gz_body is not None and accepts_gzip(header("Accept-Encoding"))
        etag = entry.gz_etag if gz else entry.etag
        assert etag is not None
        now = self.now()
        # a file stamped by a clock that runs ahead: never claim a future time
        last_modified = entry.last_modified if entry.mtime <= now else http_date(int(now))
        # For If-Modified-Since: this version has not changed since we first read it, so it is at least
        # as old as min(mtime, loaded_at) -- a client echoing a clamped Last-Modified gets its 304.
        modified_ts = int(min(entry.mtime, entry.loaded_at))
        max_age = self._max_age(rel)
        headers = [
            ("ETag", etag),
            ("Last-Modified", last_modified),
            ("Cache-Control", f"max-age={max_age}"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if entry.compressible:
            headers.append(("Vary", "Accept-Encoding"))

        if_none_match = header("If-None-Match")
        if if_none_match is not None:
            not_modified = if_none_match == etag or etag_matches(if_none_match, etag)
        else:
            ims = header("If-Modified-Since")
            since = parse_http_date(ims) if ims else None
            not_modified = since is not None and modified_ts <= since
        if not_modified:
            if fd is not None:
                os.close(fd)
            return Response(304, headers)

        body = entry.gz_body if gz else entry.body
        size = len(body) if body is not None else entry.key[2]
        headers.append(("Content-Type", entry.content_type))
        headers.append(("Content-Length", str(size)))
        if gz:
            headers.append(("Content-Encoding", "gzip"))
        if method == "HEAD" or body is not None:
            if fd is not None:
                os.close(fd)
            return Response(200, headers, b"" if method == "HEAD" else body or b"")
        assert fd is not None
        return Response(200, headers, stream=_FileStream(fd))

    def _load(self, real: str, rel: str) -> tuple[_Entry, int | None]:
        """Read and hash a file. Small files go into the cache; for a large one the open fd
        (positioned at 0) is returned too so its body is streamed from the very inode hashed."""
        fd = os.open(real, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            st = os.fstat(fd)  # key from the open file: an atomic rename cannot slip in between
            if not stat.S_ISREG(st.st_mode):
                raise OSError("not a regular file")
            key = (st.st_ino, st.st_mtime_ns, st.st_size)
            old = self._cache.get(rel)
            if old is not None and old.key == key and old.body is None:
                return old, fd
            ctype = content_type_for(rel.rsplit("/", 1)[-1])
            compressible = is_compressible(ctype)
            if st.st_size <= MAX_CACHED_FILE:
                chunks = []
                while chunk := os.read(fd, CHUNK):
                    chunks.append(chunk)
                body = b"".join(chunks)
                digest = hashlib.sha256(body).hexdigest()[:24]
                entry = _Entry(key, st.st_mtime, ctype, compressible, f'"{digest}"', body, self.now())
                if compressible and len(body) >= MIN_GZIP_SIZE:
                    packed = gzip.compress(body, compresslevel=6, mtime=0)
                    if len(packed) < len(body):
                        entry.gz_body, entry.gz_etag = packed, f'"{digest}-gz"'
                os.close(fd)
                fd = -1
            else:
                hasher = hashlib.sha256()
                while chunk := os.read(fd, CHUNK):
                    hasher.update(chunk)
                os.lseek(fd, 0, os.SEEK_SET)
                etag = f'"{hasher.hexdigest()[:24]}"'
                entry = _Entry(key, st.st_mtime, ctype, compressible, etag, None, self.now())
            entry.last_modified = http_date(int(st.st_mtime))
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
        self._store(rel, entry)
        return entry, (None if fd < 0 else fd)

    def _store(self, rel: str, entry: _Entry) -> None:
        with self._lock:
            old = self._cache.pop(rel, None)
            if old is not None:
                self._cache_bytes -= old.cost
            self._cache[rel] = entry
            self._cache_bytes += entry.cost
            while self._cache_bytes > CACHE_BUDGET and len(self._cache) > 1:
                _, evicted = self._cache.popitem(last=False)
                self._cache_bytes -= evicted.cost

    def _max_age(self, rel: str) -> int:
        """``max_age(rel)``, asked at most once per path every MAX_AGE_TTL seconds (hot polls stay cheap
        even if the callback walks schedules)."""
        tick = time.monotonic()
        memo = self._max_age_memo.get(rel)
        if memo is not None and memo[1] > tick:
            return memo[0]
        try:
            value = max(0, int(self.max_age(rel)))
        except Exception:  # a broken callback must not take the server down
            log.exception("max_age(%r) failed", rel)
            value = default_max_age(rel)
        if len(self._max_age_memo) > 10_000:
            self._max_age_memo.clear()
        self._max_age_memo[rel] = (value, tick + MAX_AGE_TTL)
        return value

    def _health(self, method: str) -> Response:
        if method not in ("GET", "HEAD"):
            return self._plain(405, "method not allowed", [("Allow", ALLOWED_METHODS)])
        try:
            ok, detail = self.health()
        except Exception as exc:  # noqa: BLE001 - a failing probe is an unhealthy server
            ok, detail = False, f"health check failed: {type(exc).__name__}"
        body = json.dumps({"ok": bool(ok), "detail": str(detail)}).encode() + b"\n"
        headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        return Response(200 if ok else 503, headers, b"" if method == "HEAD" else body)

    @staticmethod
    def _plain(status: int, text: str, extra: list[tuple[str, str]] | None = None) -> Response:
        body = text.encode() + b"\n"
        headers = [
            ("Content-Type", "text/plain; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("X-Content-Type-Options", "nosniff"),
            ("Cache-Control", "no-store"),
            *(extra or []),
        ]
        return Response(status, headers, body)

    # ------------------------------------------------------------------- WSGI

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        try:  # PEP 3333: PATH_INFO carries the decoded bytes as latin-1
            path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8")
        except UnicodeError:
            resp = self._plain(400, "bad request")
        else:
            resp = self.respond(method, path, lambda name: environ.get(_wsgi_key(name)))
        start_response(f"{resp.status} {HTTPStatus(resp.status).phrase}", resp.headers)
        if resp.stream is not None:
            if method == "HEAD":
                resp.close()
                return []
            return resp.stream
        return [resp.body] if resp.body and method != "HEAD" else []

    # ------------------------------------------------------------------- ASGI

    async def asgi(self, scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
        """ASGI face of the same core (``app.asgi`` is the ASGI application; used with uvicorn).

        Cache hits are answered on the event loop (one ``stat``); a miss (first request after a file
        changed: read, hash, gzip) and large-file streaming run in a worker thread.
        """
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        method, path = scope["method"], scope["path"]

        def header(name: str) -> str | None:
            return headers.get(name.lower())

        try:
            resp = self.respond(method, path, header, may_read=False)
        except NeedsRead:
            resp = await asyncio.to_thread(self.respond, method, path, header)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": resp.status,
                    "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in resp.headers],
                }
            )
            if resp.stream is not None and method != "HEAD":
                while (chunk := await asyncio.to_thread(next, resp.stream, b"")) != b"":
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": resp.body if method != "HEAD" else b""})
        finally:
            resp.close()


_WSGI_KEYS: dict[str, str] = {}


def _wsgi_key(name: str) -> str:
    key = _WSGI_KEYS.get(name)
    if key is None:
        key = _WSGI_KEYS[name] = "HTTP_" + name.upper().replace("-", "_")
    return key


def make_app(
    output_dir: Path,
    *,
    max_age: MaxAge | None = None,
    health: Health | None = None,
    now: Callable[[], float] = time.time,
) -> FeedApp:
    """The WSGI application serving ``output_dir`` (see :class:`FeedApp`)."""
    return FeedApp(output_dir, max_age=max_age, health=health, now=now)


# ---------------------------------------------------------------------------------------------- servers


def parse_listen(spec: str) -> tuple[str, int]:
    """``"HOST:PORT"``, ``":PORT"``, ``"PORT"``, ``"HOST"``, ``"[::1]:8000"`` -> (host, port).

    A missing host means 127.0.0.1, a missing port 8000.
    """
    spec = spec.strip()
    host, port_text = "127.0.0.1", ""
    if spec.startswith("["):
        end = spec.find("]")
        if end < 0:
            raise ValueError(f"unterminated IPv6 address in {spec!r}")
        host, rest = spec[1:end], spec[end + 1 :]
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"expected ':PORT' after ']' in {spec!r}")
            port_text = rest[1:]
    elif spec.isdigit():
        port_text = spec
    elif spec.count(":") == 1:
        host_part, port_text = spec.split(":")
        host = host_part or host
        if not port_text:
            raise ValueError(f"missing port in {spec!r}")
    elif ":" in spec:
        raise ValueError(f"IPv6 addresses must be bracketed, e.g. [::1]:8000, got {spec!r}")
    elif spec:
        host = spec
    if not host:
        raise ValueError(f"empty host in {spec!r}")
    if port_text == "":
        return host, 8000
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"invalid port in {spec!r}")
    return host, int(port_text)


class _Backend:
    """One HTTP server library: ``bind()`` listens (sets ``port``), ``run()`` serves until
    ``shutdown()`` is called from another thread."""

    port: int

    def bind(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        """True once requests are being served (``bind()`` already queues connections)."""
        return True

    def shutdown(self, timeout: float) -> None:
        raise NotImplementedError

    def force(self) -> None:
        """Called if ``run()`` has not returned within the stop timeout."""


class UvicornBackend(_Backend):
    """uvicorn (uvloop + httptools when installed) on a socket we bind ourselves, so a busy port
    fails in ``start()`` and ``port=0`` is known at once.  Off the main thread uvicorn installs no
    signal handlers; ``should_exit`` makes its loop close listeners and connections and return."""

    loop = "auto"
    http = "auto"

    def __init__(self, app: FeedApp, host: str, port: int, threads: int = 0) -> None:
        import uvicorn

        self.app, self.host, self.requested_port = app, host, port
        self.config = uvicorn.Config(
            app.asgi,
            interface="asgi3",  # a bound coroutine method; uvicorn's guess would say ASGI2
            loop=self.loop,
            http=self.http,
            lifespan="off",
            log_config=None,  # leave the daemon's logging configuration alone
            log_level="warning",
            access_log=False,
            server_header=False,
            headers=[("server", "seedfeed")],
            ws="none",
        )
        self.server = uvicorn.Server(self.config)
        self.sock: socket.socket | None = None

    def bind(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(1024)
        except BaseException:
            sock.close()
            raise
        self.sock = sock
        self.port = sock.getsockname()[1]

    def run(self) -> None:
        assert self.sock is not None
        try:
            self.server.run(sockets=[self.sock])
        finally:
            self.sock.close()

    def ready(self) -> bool:
        return bool(self.server.started)

    def shutdown(self, timeout: float) -> None:
        self.config.timeout_graceful_shutdown = max(0.1, timeout - 0.5)  # type: ignore[assignment]
        self.server.should_exit = True

    def force(self) -> None:
        self.server.force_exit = True


class _StdlibHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "seedfeed"
    timeout = 30  # idle keep-alive seconds
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    app: FeedApp

    def _handle(self) -> None:
        target = self.path
        if "://" in target.split("/", 1)[0] + "/":  # absolute-form request target
            target = urllib.parse.urlsplit(target).path or "/"
        raw = target.split("?", 1)[0].split("#", 1)[0]
        try:
            path = urllib.parse.unquote(raw, errors="strict")
        except UnicodeDecodeError:
            resp = FeedApp._plain(400, "bad request")
        else:
            resp = self.app.respond(self.command, path, self.headers.get)
        try:
            self.send_response(resp.status)
            for name, value in resp.headers:
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and resp.status != 304:
                if resp.stream is not None:
                    for chunk in resp.stream:
                        self.wfile.write(chunk)
                elif resp.body:
                    self.wfile.write(resp.body)
        finally:
            resp.close()

    def version_string(self) -> str:
        return self.server_version

    do_GET = do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _handle

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("%s " + format, self.address_string(), *args)


class _ThreadingServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], ConnectionError):  # client went away: not our problem
            log.debug("connection from %s dropped", client_address)
        else:
            log.exception("error while serving %s", client_address)


class StdlibBackend(_Backend):
    def __init__(self, app: FeedApp, host: str, port: int, threads: int = 0) -> None:
        handler = type("Handler", (_StdlibHandler,), {"app": app})
        server_cls = _ThreadingServer
        if ":" in host:
            server_cls = type("Server6", (_ThreadingServer,), {"address_family": socket.AF_INET6})
        self.server = server_cls((host, port), handler, bind_and_activate=False)

    def bind(self) -> None:
        try:
            self.server.server_bind()
            self.server.server_activate()
        except BaseException:
            self.server.server_close()
            raise
        self.port = self.server.server_address[1]

    def run(self) -> None:
        self.server.serve_forever(poll_interval=0.25)

    def shutdown(self, timeout: float) -> None:
        self.server.shutdown()
        self.server.server_close()


#: Server libraries FeedServer can drive (bench/serve.py registers more candidates for measuring).
BACKENDS: dict[str, type[_Backend]] = {
    "uvicorn": UvicornBackend,
    "stdlib": StdlibBackend,
}
DEFAULT_BACKEND = "uvicorn"


def _pick_backend(name: str | None) -> type[_Backend]:
    if name is not None:
        return BACKENDS[name]
    try:
        import uvicorn  # noqa: F401
    except ImportError:  # pragma: no cover - uvicorn is a declared dependency
        log.warning("uvicorn is not installed; serving with the stdlib ThreadingHTTPServer")
        return StdlibBackend
    return BACKENDS[DEFAULT_BACKEND]


class FeedServer:
    """HTTP server for the output folder; runs in a background thread or in the foreground."""

    def __init__(
        self,
        output_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        max_age: MaxAge | None = None,
        health: Health | None = None,
        backend: str | None = None,
        threads: int = 8,
    ) -> None:
        self.app = make_app(Path(output_dir), max_age=max_age, health=health)
        self.host = host
        self.port = port
        self._backend_cls = _pick_backend(backend)
        self._threads = threads
        self._backend: _Backend | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> None:
        """Listen, then serve from a daemon thread; returns once the socket accepts connections."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("FeedServer already started")
            backend = self._backend_cls(self.app, self.host, self.port, self._threads)
            backend.bind()
            self._backend = backend
            self.port = backend.port
            self._done.clear()
            self._thread = threading.Thread(target=self._run, args=(backend,), name="seedfeed-serve", daemon=True)
            self._thread.start()
            while not backend.ready():
                if self._done.wait(0.005):
                    self._backend = self._thread = None
                    raise RuntimeError(f"HTTP server on {self.url} failed to start")
        log.debug("serving %s on %s", self.app.root, self.url)

    def _run(self, backend: _Backend) -> None:
        try:
            backend.run()
        except BaseException:  # incl. SystemExit, which uvicorn raises when start-up fails
            log.exception("HTTP server crashed")
        finally:
            self._done.set()

    def serve_forever(self) -> None:
        """Serve in the foreground until :meth:`stop` is called (from another thread) or Ctrl-C."""
        if self._thread is None:
            self.start()
        try:
            while not self._done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def stop(self, timeout: float = 5) -> None:
        """Stop listening, finish or drop in-flight requests and join the thread. Idempotent."""
        with self._lock:
            backend, thread = self._backend, self._thread
            self._backend = self._thread = None
        if backend is None or thread is None:
            return
        deadline = time.monotonic() + timeout
        try:
            backend.shutdown(timeout)
        finally:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                backend.force()
                thread.join(1.0)
            if thread.is_alive():
                log.warning("HTTP server thread did not stop within %.1fs", timeout)
            self._done.set()

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
