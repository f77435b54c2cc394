"""The caching core of ``seedfeed serve``: :class:`FeedApp` maps a request to a :class:`Response`.

``FeedApp.respond(method, path, header)`` maps a decoded URL path and the request headers to a
:class:`Response` (status, headers, body), without depending on any server.  It confines paths to the output
folder, picks the Content-Type, computes strong ETags from a content hash, handles ``If-None-Match`` /
``If-Modified-Since`` (RFC 9110 section 13.2.2 precedence), negotiates gzip and keeps pre-compressed responses in
memory keyed by (inode, mtime_ns, size).  It knows no server protocol: :class:`~.asgi.AsgiApp` holds one and
speaks ASGI for it.  The header rules it applies are in :mod:`.http`.  :func:`make_app` builds one.

The tuning constants below (``MAX_CACHED_FILE``, ``CACHE_BUDGET``, ...) are read from this module at request time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import os
import stat
import threading
import time
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..render.base import archive_file, archive_page
from .http import (
    FEED_TYPES,
    accepts_gzip,
    content_type_for,
    etag_matches,
    etag_matches_strong,
    http_date,
    is_compressible,
    parse_http_date,
)
from .response import NeedsRead, Response, plain

log = logging.getLogger("seedfeed.serve")

MaxAge = Callable[[str], int]
Health = Callable[[], tuple[bool, str]]
HeaderGetter = Callable[[str], "str | None"]

FEED_MAX_AGE = 300
PAGE_MAX_AGE = 3600
ARCHIVE_MAX_AGE = 31_536_000   # a year: a full RFC 5005 archive page never changes (Cache-Control: immutable)
ALLOWED_METHODS = "GET, HEAD"
#: Methods HTTP defines (RFC 9110 section 9, plus PATCH): refused with 405. Any other is 501 (section 9.1).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
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


def default_max_age(rel_path: str) -> int:
    """Seconds a cache may reuse ``rel_path``: feeds change on the schedule, item pages rarely.

    A folder's ``index.html`` is a feed's page (or the overview of all feeds): it changes with its feed."""
    name = rel_path.rsplit("/", 1)[-1]
    return FEED_MAX_AGE if name in FEED_TYPES or name == "index.html" else PAGE_MAX_AGE


def _always_healthy() -> tuple[bool, str]:
    return True, "ok"


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
    """Server-independent caching core: :meth:`respond` answers one request from the output folder."""

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
        self._sealed_pages: set[str] = set()

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
        if method not in KNOWN_METHODS:
            return plain(501, "method not implemented", [("Allow", ALLOWED_METHODS)])
        if path == HEALTH_PATH:
            return self._health(method)
        if method not in ("GET", "HEAD"):
            return plain(405, "method not allowed", [("Allow", ALLOWED_METHODS)])
        resolved = self.resolve(path)
        if resolved is None:
            return plain(404, "not found")
        rel, real, known = resolved
        try:
            st = known if known is not None else os.stat(real)  # known: lstat of a non-symlink
        except (OSError, ValueError):
            return plain(404, "not found")
        if stat.S_ISDIR(st.st_mode):
            index = os.path.join(real, "index.html")
            try:
                st = os.stat(index)
            except OSError:
                return plain(404, "not found")
            if not stat.S_ISREG(st.st_mode):
                return plain(404, "not found")
            if rel and not path.endswith("/"):
                location = "/" + "/".join(urllib.parse.quote(s) for s in rel.split("/")) + "/"
                return plain(301, "moved", [("Location", location)])
            rel, real = (f"{rel}/index.html" if rel else "index.html"), index
        elif not stat.S_ISREG(st.st_mode) or path.endswith("/"):  # "/atom.xml/" is not a file
            return plain(404, "not found")

        fd: int | None = None
        entry = self._cache.get(rel)
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if entry is None or entry.key != key or entry.body is None:
            if not may_read:
                raise NeedsRead(rel)
            try:
                entry, fd = self._load(real, rel)
            except OSError:
                return plain(404, "not found")
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
            ("Cache-Control", f"max-age={ARCHIVE_MAX_AGE}, immutable" if self._sealed(rel) else f"max-age={max_age}"),
            ("X-Content-Type-Options", "nosniff"),
        ]
        if entry.compressible:
            headers.append(("Vary", "Accept-Encoding"))

        # RFC 9110 section 13.2.2: If-Match, else If-Unmodified-Since; then If-None-Match, else If-Modified-Since
        if_match = header("If-Match")
        if if_match is not None:
            failed = not etag_matches_strong(if_match, etag)
        else:
            ius = header("If-Unmodified-Since")
            until = parse_http_date(ius) if ius else None   # not one valid date: ignored (section 13.1.4)
            failed = until is not None and int(min(entry.mtime, now)) > until   # changed since: the Last-Modified
        if failed:
            if fd is not None:
                os.close(fd)
            return plain(412, "precondition failed", [("ETag", etag), ("Last-Modified", last_modified)])
        if_none_match = header("If-None-Match")
        if if_none_match is not None:
            not_modified = if_none_match == etag or etag_matches(if_none_match, etag)
        else:
            ims = header("If-Modified-Since")
            since = parse_http_date(ims) if ims else None   # not one valid date (a list, 25:61:61): ignored
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

    def _sealed(self, rel: str) -> bool:
        """An RFC 5005 archive page that has a successor: its name and bytes never change (state/archives.py)."""
        if rel in self._sealed_pages:
            return True
        page = archive_page(rel)
        if page is None:
            return False
        following = f"{rel.rpartition('/')[0]}/{archive_file(page[0], page[1] + 1).rpartition('/')[2]}"
        if not os.path.isfile(os.path.join(self.root, following)):
            return False
        if len(self._sealed_pages) < 100_000:
            self._sealed_pages.add(rel)
        return True

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
            return plain(405, "method not allowed", [("Allow", ALLOWED_METHODS)])
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


def make_app(
    output_dir: Path,
    *,
    max_age: MaxAge | None = None,
    health: Health | None = None,
    now: Callable[[], float] = time.time,
) -> FeedApp:
    """The caching core serving ``output_dir`` (see :class:`FeedApp`; ``AsgiApp(make_app(...))`` is the ASGI app)."""
    return FeedApp(output_dir, max_age=max_age, health=health, now=now)
