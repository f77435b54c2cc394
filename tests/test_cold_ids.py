"""Minting ids without uuid objects gives exactly the ids uuid.uuid5 gives (ids are never recomputed, so one
that came out different would be a new item to every reader)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from seedfeed.state import merge


def test_fast_uuid5_is_uuid5():
    names = ["", "a", "feed\0doc.md\x002026-01-01T00:00:00+00:00", "näïve/日本語.md", "\U0001f600" * 40,
             *(f"news\0batch-{i:03d}/doc-{i:05d}.txt\0{datetime(2026, 3, 1, i % 24, tzinfo=UTC).isoformat()}"
               for i in range(2000))]
    namespace = uuid.UUID(merge._ID_NAMESPACE)
    for name in names:
        assert merge._uuid5(name) == str(uuid.uuid5(namespace, name))
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    name = "\0".join(("f", "a/b.md", when.isoformat()))
    assert merge.mint_id("f", "a/b.md", when) == f"urn:uuid:{uuid.uuid5(namespace, name)}"
    assert merge.mint_id("f", "x", when, "my id 1") == f"urn:uuid:{uuid.uuid5(namespace, 'explicit:my id 1')}"
