"""What a stamp compares, kept cheap to import: file stats, the documents of seed folders, the stamp file."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from array import array
from collections.abc import Mapping, Sequence

from ..sources.names import KINDS, ignore_reason, undecodable

TYPE_CHECKING = False   # not typing.TYPE_CHECKING: importing typing costs the check ~1 ms
if TYPE_CHECKING:
    from typing import Any

try:
    from _blake2 import blake2b  # what hashlib.blake2b is, without hashlib's OpenSSL start-up (~2 ms)
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

FORMAT = 2
STAMP_SUFFIX = ".stamp"


def listing(folder: str) -> dict[str, list[tuple[str, int, int]]] | None:
    """Folder ("/"-separated, relative; "" at the top) -> sorted (name, size, mtime_ns) of its documents, found
    as seedfeed.sources.walk finds them. ``None`` if that walk would report a problem (or ``folder`` is gone)."""
    found: dict[str, list[tuple[str, int, int]]] = {}
    seen: set[tuple[int, int]] = set()
    is_dir, is_reg = stat.S_ISDIR, stat.S_ISREG

    def walk(path: str, rel: str) -> bool:
        try:
            st = os.stat(path)
            if (st.st_dev, st.st_ino) in seen:
                return False   # a symlink loop, or a folder linked twice
            seen.add((st.st_dev, st.st_ino))
            with os.scandir(path) as it:
                entries = list(it)
        except OSError:
            return False
        docs = []
        for entry in entries:
            name = entry.name
            if name[0] == "." and entry.is_dir(follow_symlinks=False):
                continue   # hidden folders are never walked
            if not name.isascii() and undecodable(name):
                return False
            try:
                st = entry.stat()
            except OSError:
                return False
            if is_dir(st.st_mode):
                if not walk(entry.path, f"{rel}/{name}" if rel else name):
                    return False
                continue
            lower = name.lower()
            dot = lower.rfind(".")
            if not (dot > 0 and name[0] not in ".#" and lower[dot:] in KINDS) and ignore_reason(name):
                continue   # ignored, as the walk ignores it
            if not is_reg(st.st_mode):
                return False
            docs.append((name, st.st_size, st.st_mtime_ns))
        if docs:
            docs.sort()
            found[rel] = docs
        return True

    return found if os.path.isdir(folder) and walk(folder, "") else None


def digest(docs: Sequence[tuple[str, int, int]]) -> str:
    """One folder's documents, as (name, size, mtime_ns) sorted by name: the names, then the numbers as 64-bit
    integers (a fifth of the time of hashing their ``repr``, which counts at 1,000 folders)."""
    if not docs:
        return blake2b(b"", digest_size=16).hexdigest()
    names, sizes, mtimes = zip(*docs, strict=True)
    hashed = blake2b("\0".join(names).encode("utf-8", "surrogateescape"), digest_size=16)
    hashed.update(array("q", sizes).tobytes())
    hashed.update(array("q", mtimes).tobytes())
    return hashed.hexdigest()


def sig(path: str) -> list[int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_mode]


def read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def load(path: str) -> dict[str, Any] | None:
    data = read_bytes(path)
    if data is None:
        return None
    try:
        stamp = json.loads(data)
    except ValueError:
        return None   # torn or hand-edited: a full run writes a new one
    return stamp if isinstance(stamp, dict) else None


def save(path: str, stamp: Mapping[str, Any]) -> None:
    """Replace the stamp in one step. Not fsynced: a stamp lost in a crash only costs one full run, and one that
    survives a state the crash lost no longer matches that state's stat."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(stamp, separators=(",", ":")))   # one call: json's C encoder (dump is Python)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def plain(config: Mapping[str, list[int] | None]) -> list[list[Any]]:
    return [[path, sig] for path, sig in sorted(config.items())]
