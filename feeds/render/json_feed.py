"""JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/); feedgen has none, so it is written directly."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..models import Item
from .base import JSON_FILE, FeedMeta, feed_body_html, item_link, item_title


def _date(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def render_json(meta: FeedMeta, items: Sequence[Item], *, feed_url: str | None = None,
                next_url: str | None = None) -> bytes:
    """``feed_url``: where this document is served (default ``feed.json``); ``next_url``: the page of older items
    (RFC 5005 archives, see :mod:`.archive`)."""
    feed: dict[str, Any] = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": meta.title,
        "home_page_url": meta.site_url,
        "feed_url": feed_url or meta.url(JSON_FILE),
        "description": meta.description,
    }
    if next_url:
        feed["next_url"] = next_url
    if meta.language:
        feed["language"] = meta.language
    if meta.author:
        feed["authors"] = [{"name": meta.author}]
    if meta.hub:
        feed["hubs"] = [{"type": "WebSub", "url": meta.hub}]
    feed["items"] = [_item(item, meta) for item in items]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _item(item: Item, meta: FeedMeta) -> dict[str, Any]:
    doc = item.doc
    out: dict[str, Any] = {"id": item.id, "url": item_link(item, meta)}
    out["title"] = item_title(item)
    out["content_html"] = feed_body_html(item, meta) or "<p></p>"
    if doc.summary:
        out["summary"] = doc.summary
    if doc.image:
        out["image"] = doc.image
    out["date_published"] = _date(item.published)
    out["date_modified"] = _date(item.updated)
    if doc.author:
        out["authors"] = [{"name": doc.author}]
    if doc.tags:
        out["tags"] = list(doc.tags)
    if doc.language:
        out["language"] = doc.language
    return out
