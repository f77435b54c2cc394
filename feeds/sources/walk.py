"""Find documents: walk seed folders (stat only — reading is left to the caller for changed files).

A seed folder is walked recursively; symlinks to files are followed, but a symlink loop, a broken symlink or an
unreadable folder is reported as a skip, not a crash. Hidden files, editor temp/backup files, partial
downloads and unknown extensions are ignored (listed at ``-v``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

KINDS = {".txt": "txt", ".text": "txt", ".md": "md", ".markdown": "md", ".html": "html", ".htm": "html"}
_SLASH = os.sep == "/"
_TEMP_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".temp", ".part", ".partial", ".crdownload", ".download",
                  ".bak", ".orig", ".rej", ".kate-swp")


class SeedFile(NamedTuple):
    """One document found (a named tuple: the walk makes 100,000 of them, a frozen dataclass is 3x slower)."""

    key: str            # path relative to its seed folder, "/"-separated; the document's key in its feed
    path: str           # a plain string: the walk is the hot path of a no-change run, pathlib is slow there
    kind: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Skip:
    origin: str
    reason: str
    ignored: bool = False   # True: deliberately ignored (temp file, unknown type); False: a problem


def ignore_reason(name: str) -> str | None:
    """Why a file name is not a document, or ``None`` if it may be one."""
    lower = name.lower()
    ext = lower[lower.rfind("."):] if "." in lower else ""
    if ext in KINDS and not name.startswith((".", "#")):
        return None  # the common case, decided fast
    if name.startswith("."):
        return "hidden file" if not name.startswith(".#") else "editor lock file"
    if name.endswith("~") or (name.startswith("#") and name.endswith("#")):
        return "editor backup file"
    if lower.endswith(_TEMP_SUFFIXES):
        return "temporary or partial file"
    if name in ("Thumbs.db", "desktop.ini"):
        return "system file"
    return "unknown extension (seedfeed reads .txt, .md, .markdown, .html, .htm)"


def _undecodable(name: str) -> bool:
    """True for a name with bytes that are not UTF-8 (os.scandir gives them as lone surrogates)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def scan(folder: Path, known: Mapping[str, tuple[int, int]] | None = None, prefix: str = "",
         same: list[str] | None = None) -> Iterator[SeedFile | Skip]:
    """Yield the documents under ``folder`` and the skipped entries, in a stable order.

    With ``known`` (key -> (size, mtime_ns) of the documents stored, keys starting with ``prefix``), a regular
    file whose key and stat match is not yielded: its key is appended to ``same`` instead. A no-change run then
    does little more per file than a bare ``scandir`` + ``stat``, and what is yielded keeps the order of a full
    scan (a sorted subset of a sorted list)."""
    if not folder.is_dir():
        yield Skip(str(folder), "seed folder does not exist; create it or fix the path")
        return
    root = str(folder)
    yield from _walk(root, root, set(), known, prefix, same if same is not None else [])


def _unchanged(entries: list[os.DirEntry[str]], base: str, known: Mapping[str, tuple[int, int]],
               same: list[str]) -> list[os.DirEntry[str]]:
    """The entries that are not a stored document with the same stat (their keys go to ``same``)."""
    rest: list[os.DirEntry[str]] = []
    get, is_reg = known.get, stat.S_ISREG
    for entry in entries:
        key = base + entry.name
        stored = get(key)
        if stored is not None:
            try:
                st = entry.stat()   # cached in the entry: the full treatment below does not stat it again
            except OSError:
                rest.append(entry)
                continue
            if stored[1] == st.st_mtime_ns and stored[0] == st.st_size and is_reg(st.st_mode):
                same.append(key)
                continue
        rest.append(entry)
    return rest


def _walk(root: str, folder: str, seen_dirs: set[tuple[int, int]], known: Mapping[str, tuple[int, int]] | None = None,
          key_prefix: str = "", same: list[str] | None = None) -> Iterator[SeedFile | Skip]:
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
    if known and same is not None:
        rel = folder[len(root) + 1:]
        base = key_prefix + ((rel if _SLASH else rel.replace(os.sep, "/")) + "/" if rel else "")
        entries = _unchanged(entries, base, known, same)
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
            yield from _walk(root, path, seen_dirs, known, key_prefix, same)
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
