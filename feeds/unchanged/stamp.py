"""Leaving a stamp after a clean run: each feed's documents as the state holds them, by folder."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence

from .files import FORMAT, STAMP_SUFFIX, digest, plain, save, sig

TYPE_CHECKING = False   # not typing.TYPE_CHECKING: importing typing costs the check ~1 ms
if TYPE_CHECKING:
    from typing import Any

    from ..config import Config
    from ..state.base import Store


class Stamping:
    """Leaves the stamp after a run: :func:`seedfeed.pipeline.run_once` enters it under the run lock, calls
    ``record`` once the state is committed, and leaves it once the state is closed (the lock still held)."""

    def __init__(self, state: str, key: str, code: str, config: dict[str, list[int] | None]) -> None:
        self.state, self.key, self.code, self.config = state, key, code, config
        self.previous: dict[str, Any] | None = None   # the stamp of a run told which paths changed
        self.state_sig: list[int] | None = None
        self.pending: dict[str, Any] | None = None
        self.recorded = False

    def __enter__(self) -> Stamping:
        """Under the run lock, before the state is opened: another writer since the check means the old stamp's
        folders may not match the state any more."""
        if self.previous is not None and sig(self.state) != self.state_sig:
            self.previous = None
        self.recorded = False
        return self

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        """The state closed, the run lock still held: save the stamp, or remove a stale one (a dry run and a run
        that failed before its commit leave the stamp as it was)."""
        if kind is None and self.recorded:
            self.write()

    def record(self, config: Config, store: Store, report: Any, changed: Sequence[str] | None) -> None:
        """Read back from the state what the stamp says of each feed's documents, if this run may leave one."""
        self.pending, self.recorded = None, True
        if not self.config and config.source_file is not None:
            return   # the config was racy at the check
        if (str(config.state) != self.state or config.state_url or config.output_url or report.dry_run
                or report.skipped or report.warnings or report.source_errors
                or any(f.web_sources or not f.seeds for f in config.feeds)):
            return
        feeds = []
        for feed in config.feeds:
            multi = len(feed.seeds) > 1
            names = [s.name for s in feed.seeds]
            if (multi and len(set(names)) != len(names)) or store.files(feed.name):
                return   # linked files are synced by every run; keys of same-named folders collide
            old = self._previous_folders(feed.name) if changed is not None else None
            folders = _folders(store, feed.name, [str(s) for s in feed.seeds], multi, old, changed)
            if folders is None:
                return
            feeds.append({"name": feed.name, "folders": folders})
        self.pending = {"format": FORMAT, "key": self.key, "code": self.code, "config": plain(self.config),
                        "feeds": feeds, "files": _output_files(config, store)}

    def write(self) -> None:
        """Save the stamp (the state closed, the run lock still held), or remove a stale one."""
        path = self.state + STAMP_SUFFIX
        if self.pending is None:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return
        files = [self.state, self.state + "-wal", *self.pending.pop("files")]
        self.pending["files"] = [[p, sig(p)] for p in files]
        save(path, self.pending)

    def _previous_folders(self, feed: str) -> dict[str, dict[str, list[str]]] | None:
        for entry in (self.previous or {}).get("feeds", ()):
            if entry["name"] == feed:
                return dict((folder, dirs) for folder, dirs in entry["folders"])
        return None


def _folders(store: Store, feed: str, seeds: list[str], multi: bool, old: dict[str, dict[str, list[str]]] | None,
             changed: Sequence[str] | None) -> list[list[Any]] | None:
    """[seed folder, {folder: [digest, names]}] of each seed folder, from the state: all of it, or (``old`` and
    ``changed`` given) the old stamp with the folders of the changed paths read again."""
    if old is not None and changed is not None and set(old) == set(seeds):
        touched: dict[str, set[str]] = {}
        for path in changed:
            for seed in seeds:
                if path.startswith(seed + os.sep):
                    rel = os.path.relpath(os.path.dirname(path), seed)
                    touched.setdefault(seed, set()).add("" if rel == "." else rel.replace(os.sep, "/"))
        keys = [_key_of(seed, path, multi) for path in changed for seed in seeds if path.startswith(seed + os.sep)]
        from ..state.rows import by_folder as by_folder_stats  # here: the check itself never needs the state's code

        by_folder = by_folder_stats((key, *stats) for key, stats in store.stats(feed, keys).items())
        result = []
        for seed in seeds:
            dirs = dict(old[seed])
            for rel in touched.get(seed, ()):
                dirs.pop(rel, None)
            result.append([seed, dirs])
    else:
        by_folder = store.folder_stats(feed)
        result = [[seed, {}] for seed in seeds]
    prefixes = {os.path.basename(seed): i for i, seed in enumerate(seeds)}
    for folder, names in by_folder.items():
        if ":" in folder:
            return None   # web pages in a seed-only feed: the next run removes them
        if multi:
            top, _, rel = folder.partition("/")
            if top not in prefixes:
                return None
            dirs = result[prefixes[top]][1]
        else:
            rel, dirs = folder, result[0][1]
        docs = sorted((name, size, mtime_ns) for name, (size, mtime_ns) in names.items())
        dirs[rel] = [digest(docs), "\n".join(name for name, _, _ in docs)]
    return result


def _key_of(seed: str, path: str, multi: bool) -> str:
    rel = os.path.relpath(path, seed).replace(os.sep, "/")
    return f"{os.path.basename(seed)}/{rel}" if multi else rel


def _output_files(config: Config, store: Store) -> list[str]:
    """The output files a no-change run looks for (a missing one makes it render)."""
    from ..render.base import ATOM_FILE, JSON_FILE, OPML_FILE, PAGE_FILE, RSS_FILE, archive_file

    files = [str(config.output / OPML_FILE)]
    if any(feed.name for feed in config.feeds):
        files.append(str(config.output / PAGE_FILE))
    for feed in config.feeds:
        folder = config.output / feed.name if feed.name else config.output
        files += [str(folder / name) for name in (RSS_FILE, ATOM_FILE, JSON_FILE, PAGE_FILE)]
        last = store.last_archive_page(feed.name) if feed.archives else None
        if last:
            files += [str(folder / archive_file(name, last)) for name in (RSS_FILE, ATOM_FILE, JSON_FILE)]
    return files
