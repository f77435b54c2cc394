"""``--output s3://bucket/prefix``: the rendered files, mirrored to an S3-compatible object store.

The endpoint and credentials come from the usual places (``AWS_ENDPOINT_URL``, ``AWS_ACCESS_KEY_ID``, ...,
``~/.aws``), read by boto3. Each object is one PUT -- atomic on S3: a reader sees the old bytes or the new ones,
never half -- with its content type and cache headers. An object whose bytes are already there (its ETag is the
MD5 of its bytes for a single-part upload) is not uploaded again.

Order (a feed must never link a page that is not there yet, and a page must never stay linked after it is gone):
1. item pages and other files the feeds link to; 2. the feeds; 3. the pages that link the feeds (overview,
feed pages, OPML); 4. last, the deletions of item pages no feed links any more.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import OutputError
from ..publish import TEMP_SUFFIX
from ..records import record
from ..render.base import ITEMS_DIR
from ..state.backends import peek_store

log = logging.getLogger(__name__)

FEED_TYPES = {"rss.xml": "application/rss+xml; charset=utf-8", "atom.xml": "application/atom+xml; charset=utf-8",
              "feed.json": "application/feed+json; charset=utf-8"}
# Feeds change and are polled: a short cache. Item pages keep their URL for life: cache them longer.
CACHE = {"feed": "public, max-age=300", "item": "public, max-age=3600", "page": "public, max-age=300"}


@record(frozen=False)
class SyncReport:
    uploaded: list[str]
    unchanged: int
    deleted: list[str]


def split_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` -> ("bucket", "some/prefix/")."""
    rest = url.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise OutputError(f"--output {url}: no bucket", "give --output s3://BUCKET or s3://BUCKET/PREFIX")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


def kind_of(relative: str) -> str:
    """"item" (pages that feeds link), "feed" or "page" (what links the feeds)."""
    name = relative.rsplit("/", 1)[-1]
    if name in FEED_TYPES:
        return "feed"
    if "/items/" in f"/{relative}" or not name.endswith((".html", ".opml")):
        return "item"
    return "page"


ORDER = {"item": 0, "feed": 1, "page": 2}


def content_type(relative: str) -> str:
    name = relative.rsplit("/", 1)[-1]
    if name in FEED_TYPES:
        return FEED_TYPES[name]
    if name.endswith(".opml"):
        return "text/x-opml; charset=utf-8"
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def client() -> Any:
    try:
        import boto3
    except ImportError:
        raise OutputError("--output s3://...: S3 support is not installed", "pip install 'seedfeed[hosted]' (boto3)") from None
    return boto3.client("s3")


def sync(folder: Path, url: str, *, gone: list[str] = (), since_ns: int | None = None,  # type: ignore[assignment]
         skip: tuple[str, ...] = (), s3: Any | None = None, under: str = "") -> SyncReport:
    """Upload what changed in ``folder`` to ``url`` in link order, then delete the ``gone`` pages (paths relative
    to ``folder``: the pages of removed items, which the state knows -- a staging folder on one of many machines
    may lack pages that another machine wrote, so absence from it proves nothing).

    ``since_ns``: consider only files written since then (a worker's staging folder may hold files older than
    what another worker uploaded since; uploading only what this run wrote never puts an older version back).
    ``under``: only that subfolder (one feed's), whose uploads another feed's run must not order or repeat."""
    s3 = s3 or client()
    bucket, prefix = split_url(url)
    try:
        remote: dict[str, str] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + under):
            for obj in page.get("Contents", []):
                remote[obj["Key"]] = obj["ETag"].strip('"')
        local = sorted((p.relative_to(folder).as_posix() for p in (folder / under).rglob("*")
                        if p.is_file() and not p.name.endswith(TEMP_SUFFIX) and p.relative_to(folder).as_posix() not in skip
                        and (since_ns is None or p.stat().st_mtime_ns >= since_ns)),
                       key=lambda r: (ORDER[kind_of(r)], r))
        uploaded, unchanged = [], 0
        for relative in local:
            data = (folder / relative).read_bytes()
            key = prefix + relative
            if remote.get(key) == hashlib.md5(data, usedforsecurity=False).hexdigest():
                unchanged += 1
                continue
            s3.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type(relative),
                          CacheControl=CACHE[kind_of(relative)])
            log.info("uploaded s3://%s/%s", bucket, key)
            uploaded.append(key)
        deleted = []
        for relative in sorted(set(gone)):
            if prefix + relative in remote and not (folder / relative).is_file():
                s3.delete_object(Bucket=bucket, Key=prefix + relative)
                log.info("deleted s3://%s/%s", bucket, prefix + relative)
                deleted.append(prefix + relative)
    except OutputError:
        raise
    except Exception as exc:  # botocore's errors: no bucket, no credentials, endpoint down
        raise OutputError(f"{url}: cannot upload ({exc})",
                          "check the bucket exists, AWS_ENDPOINT_URL and the credentials (AWS_ACCESS_KEY_ID, ...)") from None
    return SyncReport(uploaded, unchanged, deleted)


def gone_pages(config: Config) -> list[str]:
    """The item pages of every removed item (tombstone), relative to the output folder."""
    store = peek_store(config)
    if store is None:
        return []
    try:
        return [f"{feed.name}/" * bool(feed.name) + f"{ITEMS_DIR}/{slug}.html"
                for feed in config.feeds for slug in store.removed_slugs(feed.name)]
    finally:
        store.close()


def publish(config: Config, *, since_ns: int | None = None, skip: tuple[str, ...] = (),
            under: str = "") -> SyncReport | None:
    """After a run: mirror the staging folder (or its subfolder ``under``) to ``config.output_url`` (nothing to do
    for a local output)."""
    if not config.output_url:
        return None
    report = sync(config.output, config.output_url, gone=gone_pages(config), since_ns=since_ns, skip=skip, under=under)
    log.info("%s: %d uploaded, %d unchanged, %d deleted", config.output_url, len(report.uploaded), report.unchanged,
             len(report.deleted))
    return report
