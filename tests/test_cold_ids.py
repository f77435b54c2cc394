"""Minted ids are exactly uuid.uuid5 of the feed, key and first-seen time in the ids' namespace (ids are never
recomputed, so one that came out different would be a new item to every reader)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from seedfeed.state import merge


def test_minted_ids_are_uuid5_of_feed_key_and_first_seen():
    names = ["", "a", "feed\0doc.md\x002026-01-01T00:00:00+00:00", "näïve/日本語.md", "\U0001f600" * 40,
             *(f"news\0batch-{i:03d}/doc-{i:05d}.txt\0{datetime(2026, 3, 1, i % 24, tzinfo=UTC).isoformat()}"
               for i in range(2000))]
    namespace = uuid.UUID(merge._ID_NAMESPACE)
    for n, name in enumerate(names):
        feed, key = f"feed{n % 3}", f"batch/doc-{n}-{name[:20]}.md"
        assert merge.mint_id(feed, key, datetime(2026, 3, 1, n % 24, tzinfo=UTC)) == \
            f"urn:uuid:{uuid.uuid5(namespace, chr(0).join((feed, key, datetime(2026, 3, 1, n % 24, tzinfo=UTC).isoformat())))}"
        assert merge.mint_id(feed, key, datetime(2026, 3, 1, tzinfo=UTC), name or "x") == (
            name if name and merge._URI.match(name) else f"urn:uuid:{uuid.uuid5(namespace, 'explicit:' + (name or 'x'))}")
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    name = "\0".join(("f", "a/b.md", when.isoformat()))
    assert merge.mint_id("f", "a/b.md", when) == f"urn:uuid:{uuid.uuid5(namespace, name)}"
    assert merge.mint_id("f", "x", when, "my id 1") == f"urn:uuid:{uuid.uuid5(namespace, 'explicit:my id 1')}"
