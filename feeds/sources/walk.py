"""Find documents: walk seed folders (stat only — reading is left to the caller for changed files).

A seed folder is walked recursively; symlinks to files are followed, but a symlink loop, a broken symlink or an
unreadable folder is reported as a skip, not a crash. Hidden files, editor temp/backup files, partial
downloads and unknown extensions are ignored (listed at ``-v``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import NamedTuple

from ..records import record
from .names import KINDS, ignore_reason
from .names import undecodable as _undecodable

_SLASH = os.sep == "/"


class SeedFile(NamedTuple):
    """One document found (a named tuple: the walk makes 100,000 of them, a frozen dataclass is 3x slower)."""

    key: str            # path relative to its seed folder, "/"-separated; the document's key in its feed
    path: str           # a plain string: the walk is the hot path of a no-change run, pathlib is slow there
    kind: str
    size: int
    mtime_ns: int


@record
class Skip:
    origin: str
    reason: str
    ignored: bool = False   # True: deliberately ignored (temp file, unknown type); False: a problem


class Unchanged(Mapping[str, tuple[int, int]]):
    """The stored stats of a feed's documents, by folder, for a walk that skips what did not change; also the
    key -> (size, mtime_ns) mapping of them all.

    A no-change run stats every file and compares it with the state; grouped by folder, each comparison is a
    lookup in a small dict by the entry's own name (no key to build, no probe into 100,000 keys), and what
    vanished is found from the folders whose count of matches falls short, not from a set of every key."""

    def __init__(self, by_folder: dict[str, dict[str, tuple[int, int]]]) -> None:
        self.by_folder = by_folder   # folder ("" at the top) -> file name -> (size, mtime_ns)
        self.size = sum(map(len, by_folder.values()))
        self.web = {f"{folder}/{name}" for folder in self.by_folder if ":" in folder
                    for name in self.by_folder[folder] if "://" in f"{folder}/{name}"}   # pages are not walked
        self.visited: set[str] = set()
        self.unmatched: list[str] = []   # stored keys of visited folders whose file was not found unchanged

    def __getitem__(self, key: str) -> tuple[int, int]:
        found = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: str, default: tuple[int, int] | None = None) -> tuple[int, int] | None:  # type: ignore[override]
        """Without the KeyError Mapping.get would catch: a first build asks about every one of its documents."""
        if not self.size:
            return default
        folder, _, name = key.rpartition("/")
        names = self.by_folder.get(folder)
        return default if names is None else names.get(name, default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        for folder, names in self.by_folder.items():
            yield from (f"{folder}/{name}" if folder else name for name in names)

    def __len__(self) -> int:
        return self.size

    def gone(self, present: set[str]) -> set[str]:
        """Stored seed keys not found by the walk (``present``: the keys it yielded as documents)."""
        gone = {k for k in self.unmatched if k not in present}
        for folder, names in self.by_folder.items():
            if folder not in self.visited:
                gone.update(f"{folder}/{name}" if folder else name for name in names)
        return gone - self.web

    def skip(self, entries: list[os.DirEntry[str]], folder: str) -> list[os.DirEntry[str]]:
        """The entries that are not a stored document of ``folder`` (its key prefix) with the same stat."""
        self.visited.add(folder)
        names = self.by_folder.get(folder)
        if not names:
            return entries
        rest: list[os.DirEntry[str]] = []
        get, is_reg = names.get, stat.S_ISREG
        for entry in entries:
            stored = get(entry.name)
            if stored is not None:
                try:
                    st = entry.stat()   # cached in the entry: the full treatment does not stat it again
                except OSError:
                    rest.append(entry)
                    continue
                if stored[1] == st.st_mtime_ns and stored[0] == st.st_size and is_reg(st.st_mode):
                    continue
            rest.append(entry)
        if len(entries) - len(rest) < len(names):   # some stored documents are changed or gone
            matched = {e.name for e in entries} - {e.name for e in rest}
            self.unmatched += [f"{folder}/{n}" if folder else n for n in names if n not in matched]
        return rest


def scan(folder: Path, unchanged: Unchanged | None = None, key_prefix: str = "") -> Iterator[SeedFile | Skip]:
    """Yield the documents under ``folder`` and the skipped entries, in a stable order.

    With ``unchanged`` (the stored stats; this folder's keys start with ``key_prefix``), a regular file whose
    stat matches is not yielded, so a no-change run does little more per file than a bare ``scandir`` +
    ``stat``; what is yielded keeps the order of a full scan (a sorted subset of a sorted list)."""
    if not folder.is_dir():
        yield Skip(str(folder), "seed folder does not exist; create it or fix the path")
        return
    root = str(folder)
    yield from _walk(root, root, set(), unchanged, key_prefix)


def _walk(root: str, folder: str, seen_dirs: set[tuple[int, int]], unchanged: Unchanged | None = None,
          key_prefix: str = "") -> Iterator[SeedFile | Skip]:
    try:
        st = os.stat(folder)
    except OSError as exc:
        yield Skip(folder, f"cannot read folder ({exc.strerror})")
        return
    ident = (st.st_dev, st.st_ino)
    if ident in seen_dirs:
        yield Skip(folder, "symlink loop, or a second link to a folder already read; remove the link")
        return
    seen_dirs.add(ident)
    try:
        with os.scandir(folder) as it:
            entries = list(it)
    except OSError as exc:
        yield Skip(folder, f"cannot list folder ({exc.strerror}); check its permissions")
        return
    if unchanged is not None:
        rel = folder[len(root) + 1:]
        entries = unchanged.skip(entries, key_prefix + (rel if _SLASH else rel.replace(os.sep, "/")) if rel
                                 else key_prefix[:-1])
    # Real entries before symlinks: a folder reached both ways is read where it really is, and the link is the
    # one reported.
    entries.sort(key=lambda e: (e.is_symlink(), e.name))
    # The loop below runs once per file of every no-change run: it decides the common case (a plain document
    # name, a regular file) with as few calls as it can, and leaves the rest to ignore_reason.
    prefix = len(root) + 1
    kinds, is_dir, is_reg = KINDS, stat.S_ISDIR, stat.S_ISREG
    for entry in entries:
        name, path = entry.name, entry.path
        if name[0] == "." and entry.is_dir(follow_symlinks=False):
            yield Skip(path, "hidden folder", ignored=True)
            continue
        if not name.isascii() and _undecodable(name):
            # Keys and origins are stored as UTF-8 text; a name with bytes that are not UTF-8 cannot be.
            yield Skip(path, "name is not valid UTF-8; rename it")
            continue
        try:
            st = entry.stat()  # follows symlinks
        except FileNotFoundError:
            yield Skip(path, "broken symlink; fix or remove it")
            continue
        except OSError as exc:
            yield Skip(path, f"cannot read ({exc.strerror})")
            continue
        mode = st.st_mode
        if is_dir(mode):
            yield from _walk(root, path, seen_dirs, unchanged, key_prefix)
            continue
        lower = name.lower()
        dot = lower.rfind(".")
        kind = kinds.get(lower[dot:]) if dot > 0 and name[0] not in ".#" else None
        if kind is None:
            reason = ignore_reason(name)
            if reason:
                yield Skip(path, reason, ignored=True)
                continue
            kind = kinds[lower[dot:]]
        if not is_reg(mode):
            yield Skip(path, "not a regular file")
            continue
        yield SeedFile(path[prefix:] if _SLASH else path[prefix:].replace(os.sep, "/"), path, kind, st.st_size,
                       st.st_mtime_ns)
